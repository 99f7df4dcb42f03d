package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** The MySQL-protocol binlog server every node runs for replicas and CDC clients. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BinlogServerSpec {
    public Boolean enabled;

    @Min(1)
    @Max(65535)
    @Default("3390")
    public Integer port = 3390;

    @JsonPropertyDescription("The user and password replicas must present; the password reaches the pods only as a "
            + "secretKeyRef environment variable.")
    public SecretKeys credentialsSecret;

    @JsonPropertyDescription("Server version string the binlog server announces (default: the node's).")
    public String version;

    @JsonPropertyDescription("Linux niceness (0..19) of the binlog server's threads on every node, so that raft and "
            + "apply keep the CPU they need while many replicas read; the node's binlog-server-nice (default: the "
            + "node's, 10; 0: the same priority as the rest of the node).")
    @Min(0)
    @Max(19)
    public Integer threadNice;

    @JsonPropertyDescription("SO_SNDBUF of each replica's connection on every node, e.g. 256Ki or 1Mi (4Ki..64Mi, "
            + "or a number of bytes): bounds the kernel memory one client holds on the node, where Linux autotunes a "
            + "busy connection's send queue up to 4 MiB; the node's binlog-server-send-buffer (default: the kernel's "
            + "autotuning, as a MySQL primary's).")
    @Pattern("^[0-9]+([KkMm]i?B?)?$")
    public String socketSendBuffer;

    public boolean serverEnabled() {
        return Boolean.TRUE.equals(enabled);
    }

    public int portOrDefault() {
        return port == null ? 3390 : port;
    }
}

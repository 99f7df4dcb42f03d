package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** The arguments of PUT /binlog/syncer/start; the user and password come from {@link #credentialsSecret} only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class BinlogSyncerSpec {
    @Required
    public ClusterRef clusterRef;

    @Required
    @Min(1)
    @Max(4294967295L)
    @JsonPropertyDescription("server_id the syncer presents to the primary")
    public Long syncerId;

    @Required
    @Pattern("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    @JsonPropertyDescription("server_uuid the syncer presents to the primary")
    public String syncerUuid;

    @Required
    @Pattern("^[^\\s:]+:[0-9]{1,5}$")
    @JsonPropertyDescription("host:port of the MySQL primary")
    public String mysqlAddr;

    @Required
    public SecretKeys credentialsSecret;

    public Boolean semiSync;

    @JsonPropertyDescription("true stops the syncer (it stays stopped across leader changes)")
    public Boolean paused;

    public boolean semiSyncOn() {
        return Boolean.TRUE.equals(semiSync);
    }

    public boolean stopRequested() {
        return Boolean.TRUE.equals(paused);
    }
}

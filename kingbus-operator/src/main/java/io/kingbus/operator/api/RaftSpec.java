package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** Raft timings passed to every node (heartbeat-interval, election-timeout). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RaftSpec {
    @Pattern(KingbusClusterSpec.DURATION_PATTERN)
    @JsonPropertyDescription("e.g. 500ms")
    public String heartbeatInterval;

    @Pattern(KingbusClusterSpec.DURATION_PATTERN)
    @JsonPropertyDescription("e.g. 2s; more than twice heartbeatInterval")
    public String electionTimeout;
}

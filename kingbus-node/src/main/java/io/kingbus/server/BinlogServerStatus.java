package io.kingbus.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * What {@code GET /binlog/server/status} returns (admin-api.md §3): the listen address and user, the password
 * redacted, the connected replicas, and the binlog the node serves.
 *
 * @param status "running" or "stopped"
 * @param error  why the last start failed (absent when it did not)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BinlogServerStatus(
        @JsonProperty("addr") String addr,
        @JsonProperty("user") String user,
        @JsonProperty("password") String password,
        @JsonProperty("server_id") long serverId,
        @JsonProperty("server_uuid") String serverUuid,
        @JsonProperty("server_version") String serverVersion,
        @JsonProperty("slaves") List<ReplicaStatus> slaves,
        @JsonProperty("current_gtid") String currentGtid,
        @JsonProperty("last_binlog_file") String lastBinlogFile,
        @JsonProperty("last_file_position") long lastFilePosition,
        @JsonProperty("executed_gtid_set") String executedGtidSet,
        @JsonProperty("purged_gtid_set") String purgedGtidSet,
        @JsonProperty("connections") int connections,
        @JsonProperty("status") String status,
        @JsonProperty("error") String error) {

    /** What the password is shown as: never the password itself. */
    public static final String REDACTED = "******";

    public static String redact(String password) {
        return password == null || password.isEmpty() ? "" : REDACTED;
    }

    public boolean running() {
        return "running".equals(status);
    }

    /**
     * One connected replica or binlog client that is dumping (or registered with COM_REGISTER_SLAVE).
     *
     * @param host        the host it reported with COM_REGISTER_SLAVE (else its address)
     * @param port        the port it reported (else its source port)
     * @param address     where it connects from
     * @param since       when its dump started (ISO-8601, UTC)
     * @param mode        "gtid" or "position"; null before it dumps
     * @param file        the file of the last event sent
     * @param position    the position after the last event (or heartbeat) sent
     * @param lagSeconds  seconds between the newest event sent and now, while events remain to send; 0 when caught up
     * @param lagBytes    stored bytes not yet sent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ReplicaStatus(
            @JsonProperty("server_id") long serverId,
            @JsonProperty("uuid") String uuid,
            @JsonProperty("host") String host,
            @JsonProperty("port") int port,
            @JsonProperty("address") String address,
            @JsonProperty("user") String user,
            @JsonProperty("since") String since,
            @JsonProperty("mode") String mode,
            @JsonProperty("file") String file,
            @JsonProperty("position") long position,
            @JsonProperty("lag_seconds") long lagSeconds,
            @JsonProperty("lag_bytes") long lagBytes,
            @JsonProperty("caught_up") boolean caughtUp,
            @JsonProperty("events_sent") long eventsSent,
            @JsonProperty("bytes_sent") long bytesSent,
            @JsonProperty("heartbeat_period_ms") long heartbeatPeriodMillis,
            @JsonProperty("checksum") String checksum) {
    }
}

package io.kingbus.operator.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The subset of a kingbus node's admin API (admin-api.md) the operator calls. Thread-safe. */
public final class NodeAdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;

    public NodeAdminClient(Duration timeout) {
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** A member as GET /cluster lists it. */
    public record ClusterMember(String id, String name, String peerUrl, String adminUrl, boolean leader) {
    }

    /** GET /ready: {@code ready} is true for a caught-up voting member; {@code message} says why not otherwise. */
    public record Readiness(boolean ready, String role, String leader, long appliedIndex, String message) {
    }

    /** The arguments of PUT /binlog/syncer/start. {@link #toString()} leaves the password out. */
    public record SyncerArgs(long syncerId, String syncerUuid, String mysqlAddr, String mysqlUser, String mysqlPassword,
                             boolean semiSync) {
        @Override
        public String toString() {
            return "syncer_id=" + syncerId + " syncer_uuid=" + syncerUuid + " mysql_addr=" + mysqlAddr
                    + " mysql_user=" + mysqlUser + " semi_sync=" + semiSync;
        }
    }

    /** GET /binlog/syncer/status, without the (redacted) password. */
    public record SyncerReport(String status, long syncerId, String syncerUuid, String mysqlAddr, String mysqlUser,
                               boolean semiSync, String executedGtidSet, String purgedGtidSet, String lastBinlogFile,
                               long lastFilePosition, Long lagSeconds, String lastError) {
    }

    public List<ClusterMember> cluster(URI admin) throws AdminApiException {
        JsonNode data = call(admin, "GET", "/cluster", null);
        List<ClusterMember> out = new ArrayList<>();
        for (JsonNode m : data) {
            out.add(new ClusterMember(m.path("Id").asText(), m.path("name").asText(), first(m.path("peerURLs")),
                    first(m.path("adminURLs")), m.path("isLeader").asBoolean(false)));
        }
        return out;
    }

    public Readiness ready(URI admin) throws AdminApiException {
        try {
            JsonNode d = call(admin, "GET", "/ready", null);
            return new Readiness(true, text(d, "role"), text(d, "leader"), d.path("appliedIndex").asLong(0), null);
        } catch (AdminApiException e) {
            if (e.status() == 503) {
                return new Readiness(false, null, null, 0, e.getMessage());
            }
            throw e;
        }
    }

    public void addMember(URI admin, String name, URI peerUrl, URI adminUrl) throws AdminApiException {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("peer_url", peerUrl.toString())
                .put("admin_url", adminUrl.toString());
        call(admin, "POST", "/members", body);
    }

    public void removeMember(URI admin, String name, URI peerUrl) throws AdminApiException {
        ObjectNode body = JSON.createObjectNode().put("name", name).put("peer_url", peerUrl.toString());
        call(admin, "DELETE", "/members", body);
    }

    public void startSyncer(URI admin, SyncerArgs a) throws AdminApiException {
        ObjectNode body = JSON.createObjectNode().put("syncer_id", a.syncerId()).put("syncer_uuid", a.syncerUuid())
                .put("mysql_addr", a.mysqlAddr()).put("mysql_user", a.mysqlUser())
                .put("mysql_password", a.mysqlPassword()).put("semi_sync", a.semiSync());
        call(admin, "PUT", "/binlog/syncer/start", body);
    }

    public void stopSyncer(URI admin) throws AdminApiException {
        call(admin, "PUT", "/binlog/syncer/stop", null);
    }

    public SyncerReport syncerStatus(URI admin) throws AdminApiException {
        JsonNode d = call(admin, "GET", "/binlog/syncer/status", null);
        return new SyncerReport(text(d, "status"), d.path("syncer_id").asLong(0), text(d, "syncer_uuid"),
                text(d, "mysql_addr"), text(d, "mysql_user"), d.path("semi_sync").asBoolean(false),
                text(d, "executed_gtid_set"), text(d, "purged_gtid_set"), text(d, "last_binlog_file"),
                d.path("last_file_position").asLong(0), d.has("lag_seconds") ? d.path("lag_seconds").asLong() : null,
                text(d, "last_error"));
    }

    /** Sends a request and returns the envelope's {@code data}; a non-2xx answer throws with the node's message. */
    private JsonNode call(URI admin, String method, String path, JsonNode body) throws AdminApiException {
        URI uri = admin.resolve(path);
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).method(method, publisher)
                .header("Content-Type", "application/json").build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AdminApiException(0, method + " " + uri + ": no answer (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminApiException(0, method + " " + uri + ": interrupted");
        }
        JsonNode envelope;
        try {
            envelope = JSON.readTree(response.body());
        } catch (IOException e) {
            envelope = null;
        }
        String message = envelope == null ? "" : envelope.path("message").asText("");
        if (response.statusCode() / 100 != 2) {
            throw new AdminApiException(response.statusCode(), method + " " + path + " on " + admin.getAuthority()
                    + ": HTTP " + response.statusCode() + (message.isEmpty() ? "" : ": " + message));
        }
        if (envelope == null) {
            throw new AdminApiException(response.statusCode(), method + " " + path + " on " + admin.getAuthority()
                    + ": the answer is not JSON");
        }
        return envelope.path("data");
    }

    private static String first(JsonNode array) {
        return array.isArray() && !array.isEmpty() ? array.get(0).asText() : null;
    }

    private static String text(JsonNode d, String field) {
        JsonNode v = d.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}

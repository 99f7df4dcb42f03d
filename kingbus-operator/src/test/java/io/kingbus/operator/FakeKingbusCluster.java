package io.kingbus.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A fake kingbus cluster: one loopback HTTP server per member implementing the admin API subset the operator calls
 * (GET /cluster, GET /ready, POST/DELETE /members, PUT /binlog/syncer/start|stop, GET /binlog/syncer/status) over one
 * shared raft state. A fake because the operator tests run on Fabric8's mock API server, where no pod ever runs: the
 * real node cannot run as a pod here (the e2e tests drive real nodes).
 *
 * <p>A node serves only while its pod "runs" ({@link #setRunning}); a member added with POST /members becomes ready
 * {@link #joinDelayMillis} after the add, once its pod runs. Every change request is logged with what was true at
 * that moment, so tests can check the order of steps.
 */
public final class FakeKingbusCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One admin request that changed something, and the cluster's state when it arrived. */
    public record Call(String what, String member, Set<String> readyMembers, Set<String> runningNodes,
                       JsonNode body) {
    }

    private final String clusterName;
    private final Map<String, HttpServer> servers = new LinkedHashMap<>();
    private final List<String> members = new ArrayList<>();
    private final Set<String> running = new LinkedHashSet<>();
    private final Set<String> unhealthy = new LinkedHashSet<>();
    private final Map<String, Long> joinedAt = new LinkedHashMap<>();
    private final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    private String leader;
    private volatile long joinDelayMillis = 300;
    private volatile String refuseRemovals;
    private String syncerStatus = "stopped";
    private ObjectNode syncerArgs;

    /** A cluster whose bootstrap members are {@code <name>-0..<name>-(initial-1)}, with room for {@code max} nodes. */
    public FakeKingbusCluster(String clusterName, int initial, int max) throws IOException {
        this.clusterName = clusterName;
        for (int i = 0; i < max; i++) {
            String node = clusterName + "-" + i;
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.createContext("/", ex -> handle(node, ex));
            s.start();
            servers.put(node, s);
        }
        for (int i = 0; i < initial; i++) {
            members.add(clusterName + "-" + i);
            joinedAt.put(clusterName + "-" + i, 0L);
        }
        leader = members.isEmpty() ? null : members.get(0);
    }

    public String clusterName() {
        return clusterName;
    }

    public URI adminUrl(String node) {
        HttpServer s = servers.get(node);
        if (s == null) {
            throw new IllegalArgumentException("no fake node " + node);
        }
        return URI.create("http://127.0.0.1:" + s.getAddress().getPort());
    }

    /** The peer URL a member registers with (nothing listens there: the fake needs no raft traffic). */
    public URI peerUrl(String node) {
        return URI.create("http://" + node + ".fake:9696");
    }

    public synchronized void setRunning(String node, boolean isRunning) {
        if (isRunning) {
            running.add(node);
        } else {
            running.remove(node);
        }
    }

    /** An unhealthy member answers /ready with 503 (not caught up) while its pod runs. */
    public synchronized void setHealthy(String node, boolean healthy) {
        if (healthy) {
            unhealthy.remove(node);
        } else {
            unhealthy.add(node);
        }
    }

    /** How long a member added with POST /members takes to catch up and become ready. */
    public void joinDelayMillis(long millis) {
        joinDelayMillis = millis;
    }

    /** Non-null: DELETE /members answers 409 with this reason, as a node does for a removal it finds unsafe. */
    public void refuseRemovals(String reason) {
        refuseRemovals = reason;
    }

    public synchronized List<String> members() {
        return List.copyOf(members);
    }

    public synchronized String syncerStatus() {
        return syncerStatus;
    }

    public List<Call> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    public synchronized boolean isReady(String node) {
        Long joined = joinedAt.get(node);
        return running.contains(node) && !unhealthy.contains(node) && members.contains(node) && leader != null
                && joined != null && System.currentTimeMillis() - joined >= (joined == 0 ? 0 : joinDelayMillis);
    }

    private synchronized Set<String> readySet() {
        Set<String> out = new LinkedHashSet<>();
        for (String m : members) {
            if (isReady(m)) {
                out.add(m);
            }
        }
        return out;
    }

    private void handle(String node, HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            byte[] raw = ex.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? null : JSON.readTree(raw);
            synchronized (this) {
                if (!running.contains(node)) {
                    reply(ex, 503, "node " + node + " is not running", null);
                    return;
                }
                switch (method + " " + path) {
                    case "GET /ready" -> {
                        if (isReady(node)) {
                            ObjectNode d = JSON.createObjectNode().put("name", node)
                                    .put("role", node.equals(leader) ? "LEADER" : "FOLLOWER").put("leader", leader)
                                    .put("term", 1).put("commitIndex", 10).put("appliedIndex", 10);
                            reply(ex, 200, "success", d);
                        } else {
                            reply(ex, 503, "not ready: " + node, null);
                        }
                    }
                    case "GET /cluster" -> {
                        ArrayNode list = JSON.createArrayNode();
                        for (String m : members) {
                            list.addObject().put("Id", Integer.toHexString(m.hashCode())).put("name", m)
                                    .put("isLeader", m.equals(leader))
                                    .set("peerURLs", JSON.createArrayNode().add(peerUrl(m).toString()));
                        }
                        reply(ex, 200, "success", list);
                    }
                    case "POST /members" -> {
                        String name = body.path("name").asText();
                        calls.add(new Call("add", name, readySet(), Set.copyOf(running), body));
                        if (members.contains(name)) {
                            reply(ex, 409, "a member named " + name + " already exists", null);
                        } else {
                            members.add(name);
                            joinedAt.put(name, System.currentTimeMillis());
                            reply(ex, 200, "success", JSON.createArrayNode());
                        }
                    }
                    case "DELETE /members" -> {
                        String name = body.path("name").asText();
                        calls.add(new Call("remove", name, readySet(), Set.copyOf(running), body));
                        if (refuseRemovals != null) {
                            reply(ex, 409, refuseRemovals, null);
                        } else if (!members.remove(name)) {
                            reply(ex, 404, "no member named " + name, null);
                        } else {
                            joinedAt.remove(name);
                            if (name.equals(leader)) {
                                leader = members.isEmpty() ? null : members.get(0);
                            }
                            reply(ex, 200, "success", JSON.createArrayNode());
                        }
                    }
                    case "PUT /binlog/syncer/start" -> {
                        calls.add(new Call("syncer-start", null, readySet(), Set.copyOf(running), body));
                        ObjectNode args = (ObjectNode) body;
                        if (!"stopped".equals(syncerStatus) && !args.equals(syncerArgs)) {
                            reply(ex, 409, "the syncer runs with other arguments; stop it first", null);
                        } else {
                            syncerArgs = args;
                            syncerStatus = "running";
                            reply(ex, 200, "success", JSON.getNodeFactory().textNode(""));
                        }
                    }
                    case "PUT /binlog/syncer/stop" -> {
                        calls.add(new Call("syncer-stop", null, readySet(), Set.copyOf(running), null));
                        syncerStatus = "stopped";
                        reply(ex, 200, "success", JSON.getNodeFactory().textNode(""));
                    }
                    case "GET /binlog/syncer/status" -> {
                        ObjectNode d = JSON.createObjectNode();
                        ObjectNode a = syncerArgs == null ? JSON.createObjectNode() : syncerArgs;
                        d.put("status", syncerStatus)
                                .put("executed_gtid_set", "214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-42")
                                .put("purged_gtid_set", "").put("last_binlog_file", "mysql-bin.000003")
                                .put("last_file_position", 1234).put("lag_seconds", 0).put("last_error", "")
                                .put("syncer_id", a.path("syncer_id").asLong(0))
                                .put("syncer_uuid", a.path("syncer_uuid").asText(""))
                                .put("mysql_addr", a.path("mysql_addr").asText(""))
                                .put("mysql_user", a.path("mysql_user").asText(""))
                                .put("mysql_password", syncerArgs == null ? "" : "******")
                                .put("semi_sync", a.path("semi_sync").asBoolean(false));
                        reply(ex, 200, "success", d);
                    }
                    default -> reply(ex, 404, "no route " + method + " " + path, null);
                }
            }
        }
    }

    private static void reply(HttpExchange ex, int status, String message, JsonNode data) throws IOException {
        ObjectNode env = JSON.createObjectNode().put("message", message);
        env.set("data", data == null ? JSON.getNodeFactory().textNode("") : data);
        byte[] out = JSON.writeValueAsBytes(env);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, out.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
        }
    }

    @Override
    public void close() {
        servers.values().forEach(s -> s.stop(0));
    }
}

package io.kingbus.syncer;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kingbus.admin.HttpUrl;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.gtid.GtidSet;
import io.kingbus.node.KingbusNode;
import io.kingbus.node.NodeConfig;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.testkit.FreePorts;
import io.kingbus.testkit.MySqlServer;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** In-process kingbus nodes (KingbusNode: store, raft, syncer, admin API) on loopback, for the syncer tests. */
final class SyncerCluster implements AutoCloseable {
    static {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.ratis")).setLevel(Level.WARN);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.javalin")).setLevel(Level.WARN);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.eclipse.jetty")).setLevel(Level.WARN);
    }

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

    final Path root;
    final List<Node> nodes = new ArrayList<>();

    final class Node {
        final NodeConfig config;
        KingbusNode node;

        Node(NodeConfig config) {
            this.config = config;
        }

        void start() throws IOException {
            node = KingbusNode.start(config);
        }

        /** Stops the node (in-process: the raft server, syncer, admin API and store close at once). */
        void stop() {
            KingbusNode n = node;
            node = null;
            if (n != null) {
                n.close();
            }
        }

        boolean running() {
            return node != null;
        }

        String url() {
            return config.adminUrl().toString();
        }

        String name() {
            return config.name();
        }

        Path binlogDir() {
            return config.dataDir().resolve("store").resolve("binlog");
        }

        @Override
        public String toString() {
            return config.name();
        }
    }

    SyncerCluster(Path root, int count) {
        this.root = root;
        Map<String, HttpUrl> initial = new LinkedHashMap<>();
        for (int i = 1; i <= count; i++) {
            initial.put("n" + i, new HttpUrl("http", "127.0.0.1", FreePorts.take()));
        }
        for (String name : initial.keySet()) {
            NodeConfig c = new NodeConfig(name, new HttpUrl("http", "127.0.0.1", FreePorts.take()), initial.get(name),
                    initial, NodeConfig.ClusterState.NEW, "syncer-test", root.resolve(name), null, "INFO",
                    Duration.ofMillis(500), Duration.ofMillis(1500), null, 0);
            nodes.add(new Node(c));
        }
    }

    SyncerCluster startAll() throws IOException {
        nodes.parallelStream().forEach(n -> {
            try {
                n.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return this;
    }

    List<Node> running() {
        return nodes.stream().filter(Node::running).toList();
    }

    Node awaitLeader(Duration timeout) throws InterruptedException {
        Node[] found = new Node[1];
        await("a ready leader", timeout, () -> {
            List<Node> leaders = running().stream().filter(n -> n.node.raft().isLeaderReady()).toList();
            if (leaders.size() != 1) {
                return false;
            }
            found[0] = leaders.get(0);
            return true;
        });
        return found[0];
    }

    Node follower() throws InterruptedException {
        Node leader = awaitLeader(Duration.ofSeconds(30));
        return running().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }

    /** Every running node's executed set is exactly {@code expected}. */
    void awaitExecuted(String expected, Duration timeout) throws InterruptedException {
        GtidSet want = GtidSet.parse(expected);
        for (Node n : running()) {
            await(n + " executed " + expected, timeout, () -> n.running() && n.node.store().executedGtids().equals(want));
        }
    }

    /**
     * Every running node stores exactly the primary's binlog files (names and bytes); in the primary's open file the
     * FORMAT_DESCRIPTION's in-use flag is ignored. Returns the bytes compared per node.
     */
    long assertFilesIdentical(MySqlServer primary) throws IOException {
        List<Path> files = primary.binlogFiles();
        long total = 0;
        for (Node n : running()) {
            List<BinlogFileInfo> stored = n.node.store().files();
            assertThat(stored.stream().map(BinlogFileInfo::name).toList()).as("files of %s", n)
                    .isEqualTo(files.stream().map(p -> p.getFileName().toString()).toList());
            total = 0;
            for (int i = 0; i < files.size(); i++) {
                byte[] want = Files.readAllBytes(files.get(i));
                byte[] all = Files.readAllBytes(n.binlogDir().resolve(stored.get(i).name()));
                byte[] have = Arrays.copyOf(all, (int) Math.min(all.length, stored.get(i).endPosition()));
                if (i == files.size() - 1 && want.length > 4 + BinlogEvent.FLAGS_OFFSET
                        && have.length > 4 + BinlogEvent.FLAGS_OFFSET) {
                    want[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
                    have[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
                }
                assertThat(have.length).as("%s: length of %s", n, stored.get(i).name()).isEqualTo(want.length);
                if (!Arrays.equals(have, want)) {
                    int at = Arrays.mismatch(have, want);
                    throw new AssertionError(n + ": " + stored.get(i).name() + " differs from the primary's at byte "
                            + at);
                }
                total += want.length;
            }
        }
        return total;
    }

    // ------------------------------------------------------------------ admin API

    record Reply(int status, JsonNode body) {
        String message() {
            return body.path("message").asText();
        }

        JsonNode data() {
            return body.path("data");
        }
    }

    static Reply http(String method, String url, String body) {
        try {
            HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body))
                    .header("Content-Type", "application/json").build();
            HttpResponse<String> resp = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
            return new Reply(resp.statusCode(), JSON.readTree(resp.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String startBody(long id, String uuid, String addr, String user, String password, boolean semi) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("syncer_id", id);
        m.put("syncer_uuid", uuid);
        m.put("mysql_addr", addr);
        m.put("mysql_user", user);
        m.put("mysql_password", password);
        m.put("semi_sync", semi);
        try {
            return JSON.writeValueAsString(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PUT /binlog/syncer/start on {@code n}, retried while the cluster answers 503 (no leader yet). */
    static Reply startSyncer(Node n, String body) throws InterruptedException {
        return retry503("PUT", n.url() + "/binlog/syncer/start", body);
    }

    static Reply stopSyncer(Node n) throws InterruptedException {
        return retry503("PUT", n.url() + "/binlog/syncer/stop", null);
    }

    static JsonNode status(Node n) throws InterruptedException {
        Reply r = retry503("GET", n.url() + "/binlog/syncer/status", null);
        assertThat(r.status()).as("status: %s", r.body()).isEqualTo(200);
        return r.data();
    }

    static Reply retry503(String method, String url, String body) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Reply r;
            try {
                r = http(method, url, body);
            } catch (UncheckedIOException e) {
                r = null;
            }
            if (r != null && r.status() != 503) {
                return r;
            }
            if (System.nanoTime() > deadline) {
                return r;
            }
            Thread.sleep(200);
        }
    }

    // ------------------------------------------------------------------ helpers

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    @Override
    public void close() {
        nodes.parallelStream().forEach(n -> {
            try {
                n.stop();
            } catch (RuntimeException ignored) {
                // best effort
            }
        });
    }
}

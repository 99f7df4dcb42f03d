package io.kingbus.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kingbus.admin.AdminServer;
import io.kingbus.raft.ClusterControl;
import io.kingbus.raft.Member;
import io.kingbus.raft.RaftNodeStatus;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** PUT /binlog/server/start, PUT /binlog/server/stop, GET /binlog/server/status over real HTTP; settings kept. */
class BinlogServerRoutesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path dir;
    BinlogStore store;
    BinlogServerManager manager;
    AdminServer admin;

    @BeforeEach
    void setUp() throws Exception {
        store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
        startNode();
    }

    private void startNode() {
        manager = new BinlogServerManager(store, dir);
        BinlogServerManager m = manager;
        admin = new AdminServer(new NoCluster(), "127.0.0.1", 0)
                .routes(app -> BinlogServerRoutes.register(app, m)).start();
    }

    private void stopNode() {
        admin.close();
        manager.close();
    }

    @AfterEach
    void tearDown() throws Exception {
        stopNode();
        store.close();
    }

    private JsonNode call(String method, String path, String body, int expectStatus) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(expectStatus);
        return JSON.readTree(r.body());
    }

    @Test
    void startStatusStopAndResumeAfterRestart() throws Exception {
        JsonNode st = call("GET", "/binlog/server/status", null, 200);
        assertThat(st.get("message").asText()).isEqualTo("success");
        assertThat(st.get("data").get("status").asText()).isEqualTo("stopped");

        int port = FreePorts.take();
        JsonNode ok = call("PUT", "/binlog/server/start",
                "{\"addr\": \"127.0.0.1:" + port + "\", \"user\": \"kb\", \"password\": \"s3cret\"}", 200);
        assertThat(ok.get("message").asText()).isEqualTo("success");
        assertThat(ok.get("data").asText()).isEmpty();

        JsonNode data = call("GET", "/binlog/server/status", null, 200).get("data");
        assertThat(data.get("status").asText()).isEqualTo("running");
        assertThat(data.get("addr").asText()).isEqualTo("127.0.0.1:" + port);
        assertThat(data.get("user").asText()).isEqualTo("kb");
        assertThat(data.get("password").asText()).isEqualTo(BinlogServerStatus.REDACTED);
        assertThat(data.toString()).doesNotContain("s3cret");
        for (String field : List.of("slaves", "current_gtid", "last_binlog_file", "last_file_position",
                "executed_gtid_set", "purged_gtid_set")) {
            assertThat(data.has(field)).as(field).isTrue();
        }
        try (RawClient c = RawClient.login(port, "kb", "s3cret")) {
            assertThat(c.query("SELECT @@server_id").firstValue()).isEqualTo(data.get("server_id").asText());
        }

        // kept on the node, owner-only
        Path settings = dir.resolve(BinlogServerManager.SETTINGS_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(settings))).isEqualTo("rw-------");
        long serverId = data.get("server_id").asLong();
        String uuid = data.get("server_uuid").asText();

        // a restarted node serves again, with the same identity
        stopNode();
        assertThatThrownBy(() -> RawClient.login(port, "kb", "s3cret")).isInstanceOf(java.io.IOException.class);
        startNode();
        data = call("GET", "/binlog/server/status", null, 200).get("data");
        assertThat(data.get("status").asText()).isEqualTo("running");
        assertThat(data.get("server_id").asLong()).isEqualTo(serverId);
        assertThat(data.get("server_uuid").asText()).isEqualTo(uuid);
        try (RawClient c = RawClient.login(port, "kb", "s3cret")) {
            assertThat(c.query("SELECT @@server_uuid").firstValue()).isEqualTo(uuid);
        }

        // the same start again: no-op; new credentials: restarted with them
        call("PUT", "/binlog/server/start", "{\"addr\": \"127.0.0.1:" + port + "\", \"user\": \"kb\", \"password\": \"s3cret\"}", 200);
        call("PUT", "/binlog/server/start", "{\"addr\": \"127.0.0.1:" + port + "\", \"user\": \"kb2\", \"password\": \" pw \"}", 200);
        assertThatThrownBy(() -> RawClient.login(port, "kb", "s3cret")).isInstanceOf(RawClient.ServerError.class);
        try (RawClient c = RawClient.login(port, "kb2", " pw ")) {
            assertThat(c.query("SELECT 1").firstValue()).isEqualTo("1");
        }

        // stop: stays stopped across a restart
        assertThat(call("PUT", "/binlog/server/stop", null, 200).get("data").asText()).isEmpty();
        assertThat(call("GET", "/binlog/server/status", null, 200).get("data").get("status").asText())
                .isEqualTo("stopped");
        stopNode();
        startNode();
        assertThat(call("GET", "/binlog/server/status", null, 200).get("data").get("status").asText())
                .isEqualTo("stopped");
        assertThatThrownBy(() -> RawClient.login(port, "kb2", " pw ")).isInstanceOf(java.io.IOException.class);
        call("PUT", "/binlog/server/stop", null, 200); // idempotent
    }

    @Test
    void badRequests() throws Exception {
        assertThat(call("PUT", "/binlog/server/start", "{not json", 400).get("message").asText())
                .contains("not valid JSON");
        assertThat(call("PUT", "/binlog/server/start", "{\"user\": \"kb\"}", 400).get("message").asText())
                .isEqualTo("missing field: addr");
        assertThat(call("PUT", "/binlog/server/start", "{\"addr\": \"127.0.0.1:1\"}", 400).get("message").asText())
                .isEqualTo("missing field: user");
        assertThat(call("PUT", "/binlog/server/start", "{\"addr\": \"nohost\", \"user\": \"kb\"}", 400)
                .get("message").asText()).contains("host:port");
        assertThat(call("PUT", "/binlog/server/start", "{\"addr\": \"127.0.0.1:1\", \"user\": \"kb\", \"password\": 5}",
                400).get("message").asText()).contains("password");
        assertThat(call("PUT", "/binlog/server/start", "", 400).get("data").isNull()).isTrue();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            JsonNode r = call("PUT", "/binlog/server/start", "{\"addr\": \"127.0.0.1:" + taken.getLocalPort()
                    + "\", \"user\": \"kb\", \"password\": \"x\"}", 409);
            assertThat(r.get("message").asText()).contains("cannot listen on");
            JsonNode data = call("GET", "/binlog/server/status", null, 200).get("data");
            assertThat(data.get("status").asText()).isEqualTo("stopped");
            assertThat(data.get("error").asText()).contains("cannot listen on");
        }
    }

    /** A single-node cluster stand-in: the binlog server routes do not use it. */
    private static final class NoCluster implements ClusterControl {
        @Override
        public List<Member> members() {
            return List.of();
        }

        @Override
        public Member leader() {
            return null;
        }

        @Override
        public boolean isLeader() {
            return true;
        }

        @Override
        public RaftNodeStatus status() {
            return null;
        }

        @Override
        public List<Member> addMember(String name, String peerUrl, String adminUrl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Member> removeMember(String name, String peerUrl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Member> updateMember(String name, String newPeerUrl) {
            throw new UnsupportedOperationException();
        }
    }
}

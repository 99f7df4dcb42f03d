package io.kingbus.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kingbus.raft.Member;
import io.kingbus.raft.MembershipException;
import io.kingbus.raft.RaftNodeStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin HTTP layer against an in-memory {@link io.kingbus.raft.ClusterControl}, over real HTTP. */
class AdminServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** An id ≥ 2^63: negative as a Java long. */
    private static final long BIG_ID = 0xFFFF_FFFF_FFFF_FFF0L;
    private static final String BIG_ID_DECIMAL = "18446744073709551600";

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private final List<AdminServer> servers = new ArrayList<>();
    private FakeClusterControl control;
    private AdminServer server;

    record Resp(int status, String body, String contentType) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        String message() {
            return json().get("message").asText();
        }

        JsonNode data() {
            return json().get("data");
        }
    }

    @BeforeEach
    void setUp() {
        control = new FakeClusterControl()
                .member(BIG_ID, "kingbus_150", "http://192.168.1.150:9698", "http://192.168.1.150:9595", true)
                .member(0x757200e01244565L, "kingbus_149", "http://192.168.1.149:9696", null, false);
        server = start(control, AdminServer.Settings.defaults());
    }

    @AfterEach
    void tearDown() {
        servers.forEach(AdminServer::close);
    }

    private AdminServer start(FakeClusterControl c, AdminServer.Settings settings) {
        AdminServer s = new AdminServer(c, "127.0.0.1", 0, settings);
        servers.add(s);
        return s.start();
    }

    private Resp call(AdminServer s, String method, String path, String body) throws Exception {
        return call(s, method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private Resp call(AdminServer s, String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    private Resp get(String path) throws Exception {
        return call(server, "GET", path, (String) null);
    }

    private static void assertFailure(Resp r, int status, String messagePart) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.json().has("data")).isTrue();
        assertThat(r.data().isNull()).as(r.body()).isTrue();
        assertThat(r.message()).contains(messagePart).isNotEqualTo("success");
    }

    private static void assertSuccess(Resp r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.message()).isEqualTo("success");
    }

    // ---------------------------------------------------------------------------------------------- reads

    @Test
    void clusterListsMembersWithHexIdsAndLeaderFlag() throws Exception {
        Resp r = get("/cluster");
        assertSuccess(r);
        JsonNode data = r.data();
        assertThat(data).hasSize(2);
        JsonNode first = data.get(0);
        assertThat(first.get("Id").isTextual()).isTrue();
        assertThat(first.get("Id").asText()).isEqualTo("fffffffffffffff0");
        assertThat(first.get("peerURLs").get(0).asText()).isEqualTo("http://192.168.1.150:9698");
        assertThat(first.get("name").asText()).isEqualTo("kingbus_150");
        assertThat(first.get("adminURLs").get(0).asText()).isEqualTo("http://192.168.1.150:9595");
        assertThat(first.get("isLeader").asBoolean()).isTrue();
        JsonNode second = data.get(1);
        assertThat(second.get("Id").asText()).isEqualTo("757200e01244565");
        assertThat(second.get("isLeader").asBoolean()).isFalse();
        assertThat(second.has("adminURLs")).as("omitted while unknown").isFalse();
        // field order as in the Go original
        List<String> names = new ArrayList<>();
        first.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("Id", "peerURLs", "name", "adminURLs", "isLeader");
    }

    @Test
    void membersPrintIdsAsUnsignedNumbers() throws Exception {
        Resp r = get("/members");
        assertSuccess(r);
        // the raw text, not a double-parsed value: precision must survive
        assertThat(r.body()).contains("\"Id\":" + BIG_ID_DECIMAL + ",");
        assertThat(r.body()).doesNotContain("-16").doesNotContain("isLeader");
        JsonNode first = r.data().get(0);
        assertThat(first.get("Id").isIntegralNumber()).isTrue();
        assertThat(first.get("Id").bigIntegerValue().toString()).isEqualTo(BIG_ID_DECIMAL);
        assertThat(r.data().get(1).get("Id").asLong()).isEqualTo(0x757200e01244565L);
        assertThat(r.data().get(1).has("adminURLs")).isFalse();
        assertThat(MemberJson.unsigned(-1L).toString()).isEqualTo("18446744073709551615");
    }

    @Test
    void healthIsUpWhileTheProcessRunsEvenWhenRaftStatusCannotBeRead() throws Exception {
        control.statusCrash = new IllegalStateException("raft down");
        Resp r = get("/health");
        assertSuccess(r);
    }

    @Test
    void healthFailsWhenOnlyARestartCanBringTheNodeBack() throws Exception {
        control.unhealthy = "the raft server stopped serving group g before n4 became a member";
        assertFailure(get("/health"), 503, "unhealthy: the raft server stopped serving group g before n4");
        control.unhealthy = null;
        assertSuccess(get("/health"));
    }

    @Test
    void readyWhenCaughtUp() throws Exception {
        Resp r = get("/ready");
        assertSuccess(r);
        assertThat(r.data().get("role").asText()).isEqualTo("LEADER");
        assertThat(r.data().get("appliedIndex").asLong()).isEqualTo(10);
    }

    @Test
    void notReadyWhenBehindOrWithoutLeader() throws Exception {
        control.status = new RaftNodeStatus("kingbus-2", "FOLLOWER", 3, 10, 5, "kingbus-1", false, 0, 0, 0);
        Resp r = get("/ready");
        assertFailure(r, 503, "role follower");
        assertThat(r.message()).contains("leader kingbus-1").contains("applied index 5 of commit index 10")
                .contains("not caught up");

        control.status = new RaftNodeStatus("kingbus-2", "CANDIDATE", 4, 10, 10, null, false, 0, 0, 0);
        r = get("/ready");
        assertFailure(r, 503, "role candidate");
        assertThat(r.message()).contains("leader none").contains("no leader");

        control.statusCrash = new IllegalStateException("raft server not running");
        r = get("/ready");
        assertFailure(r, 503, "raft server not running");
    }

    @Test
    void metricsInPrometheusFormat() throws Exception {
        control.status = new RaftNodeStatus("kingbus-1", "LEADER", 7, 42, 41, "kingbus-1", true, 123456, 900, 65536);
        Resp r = get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.contentType()).startsWith("text/plain");
        String text = r.body();
        assertThat(text).containsPattern("(?m)^kingbus_raft_role\\{role=\"leader\"} 1(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_role\\{role=\"follower\"} 0(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_is_leader 1(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_term 7(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_commit_index 42(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_applied_index 41(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_members 2(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_store_size_bytes 123456(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_netty_direct_pinned_bytes \\d")
                .containsPattern("(?m)^kingbus_netty_direct_used_bytes \\d");
        assertThat(text).containsPattern("(?m)^kingbus_events_applied_total 900(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_bytes_applied_total 65536(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_caught_up 1(\\.0)?$");
        assertThat(text).contains("# HELP kingbus_raft_term").contains("# TYPE kingbus_events_applied_total counter");
        assertThat(text).contains("jvm_memory_used_bytes");

        // a role change moves the one-hot gauge; a failing status leaves counters alone and gauges NaN
        control.status = new RaftNodeStatus("kingbus-1", "FOLLOWER", 8, 50, 50, "kingbus-2", true, 1, 1000, 70000);
        text = get("/metrics").body();
        assertThat(text).containsPattern("(?m)^kingbus_raft_role\\{role=\"leader\"} 0(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_role\\{role=\"follower\"} 1(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_is_leader 0(\\.0)?$");
        control.statusCrash = new IllegalStateException("gone");
        text = get("/metrics").body();
        assertThat(text).containsPattern("(?m)^kingbus_status_up 0(\\.0)?$");
        assertThat(text).containsPattern("(?m)^kingbus_raft_term NaN$");
        assertThat(text).containsPattern("(?m)^kingbus_events_applied_total 1000(\\.0)?$");
    }

    @Test
    void otherComponentsCanRegisterMeters() throws Exception {
        server.meterRegistry().counter("kingbus.syncer.reconnects").increment(3);
        assertThat(get("/metrics").body()).containsPattern("(?m)^kingbus_syncer_reconnects_total 3(\\.0)?$");
    }

    // -------------------------------------------------------------------------------------------- changes

    @Test
    void addMemberReturnsTheNewListWithUnsignedIds() throws Exception {
        Resp r = call(server, "POST", "/members",
                "{\"name\":\"kingbus_148\",\"peer_url\":\"http://192.168.1.148:9696\"}");
        assertSuccess(r);
        assertThat(r.data()).hasSize(3);
        assertThat(r.body()).contains("\"Id\":" + BIG_ID_DECIMAL);
        JsonNode added = r.data().get(2);
        assertThat(added.get("name").asText()).isEqualTo("kingbus_148");
        assertThat(added.get("peerURLs").get(0).asText()).isEqualTo("http://192.168.1.148:9696");
        assertThat(added.has("adminURLs")).isFalse();
        assertThat(added.has("isLeader")).isFalse();
        assertThat(control.calls).containsExactly("add kingbus_148 http://192.168.1.148:9696 null");
    }

    @Test
    void addMemberWithAdminUrlAndNormalizedUrls() throws Exception {
        Resp r = call(server, "POST", "/members", "{\"name\":\"n4\",\"peer_url\":\" HTTP://Host4:9696/ \","
                + "\"admin_url\":\"http://host4:9595\",\"extra\":true}");
        assertSuccess(r);
        assertThat(control.calls).containsExactly("add n4 http://host4:9696 http://host4:9595");
        assertThat(r.data().get(2).get("adminURLs").get(0).asText()).isEqualTo("http://host4:9595");
    }

    @Test
    void removeMember() throws Exception {
        Resp r = call(server, "DELETE", "/members",
                "{\"name\":\"kingbus_149\",\"peer_url\":\"http://192.168.1.149:9696\"}");
        assertSuccess(r);
        assertThat(r.data()).hasSize(1);
        assertThat(r.data().get(0).get("name").asText()).isEqualTo("kingbus_150");
    }

    @Test
    void updateMember() throws Exception {
        Resp r = call(server, "PUT", "/members",
                "{\"name\":\"kingbus_149\",\"new_peer_url\":\"http://192.168.1.149:9699\"}");
        assertSuccess(r);
        assertThat(r.data().get(1).get("peerURLs").get(0).asText()).isEqualTo("http://192.168.1.149:9699");
        assertThat(r.data().get(1).get("Id").asLong()).isEqualTo(0x757200e01244565L);
    }

    @Test
    void membershipErrorsMapToStatuses() throws Exception {
        String body = "{\"name\":\"ghost\",\"peer_url\":\"http://10.0.0.9:9696\"}";
        assertFailure(call(server, "DELETE", "/members", body), 404, "no such member: ghost");
        assertFailure(call(server, "PUT", "/members", "{\"name\":\"ghost\",\"new_peer_url\":\"http://h:1\"}"),
                404, "no such member");
        assertFailure(call(server, "POST", "/members",
                "{\"name\":\"kingbus_149\",\"peer_url\":\"http://10.0.0.9:9696\"}"), 409, "already exists");

        control.failWith = new MembershipException(MembershipException.Kind.CONFLICT,
                "another membership change is in progress");
        assertFailure(call(server, "POST", "/members", body), 409, "another membership change is in progress");
        control.failWith = new MembershipException(MembershipException.Kind.BAD_REQUEST, "bad name");
        assertFailure(call(server, "POST", "/members", body), 400, "bad name");
        control.failWith = new MembershipException(MembershipException.Kind.NO_LEADER, "no leader elected");
        assertFailure(call(server, "POST", "/members", body), 503, "no leader elected");
        control.failWith = new MembershipException(MembershipException.Kind.INTERNAL, "ratis exploded");
        assertFailure(call(server, "POST", "/members", body), 500, "ratis exploded");
        control.failWith = null;
        control.crashWith = new IllegalStateException("unexpected");
        assertFailure(call(server, "POST", "/members", body), 500, "internal error: unexpected");
        assertFailure(get("/cluster"), 500, "internal error");
        control.crashWith = null;
        assertSuccess(get("/cluster"));
    }

    @Test
    void missingOrBadFieldsAre400() throws Exception {
        assertFailure(call(server, "POST", "/members", "{\"peer_url\":\"http://h:1\"}"), 400, "missing field: name");
        assertFailure(call(server, "POST", "/members", "{\"name\":\"x\"}"), 400, "missing field: peer_url");
        assertFailure(call(server, "POST", "/members", "{\"name\":\"  \",\"peer_url\":\"http://h:1\"}"), 400,
                "missing field: name");
        assertFailure(call(server, "POST", "/members", "{\"name\":5,\"peer_url\":\"http://h:1\"}"), 400,
                "field name must be a string");
        assertFailure(call(server, "POST", "/members", "{\"name\":\"x\",\"peer_url\":\"192.168.1.1:9696\"}"), 400,
                "bad peer_url");
        assertFailure(call(server, "POST", "/members", "{\"name\":\"x\",\"peer_url\":\"http://h\"}"), 400,
                "has no port");
        assertFailure(call(server, "POST", "/members", "{\"name\":\"x\",\"peer_url\":\"ftp://h:1\"}"), 400,
                "bad peer_url");
        assertFailure(call(server, "POST", "/members",
                "{\"name\":\"x\",\"peer_url\":\"http://h:1\",\"admin_url\":\"nope\"}"), 400, "bad admin_url");
        assertFailure(call(server, "DELETE", "/members", "{\"name\":\"x\"}"), 400, "missing field: peer_url");
        assertFailure(call(server, "PUT", "/members", "{\"name\":\"x\",\"peer_url\":\"http://h:1\"}"), 400,
                "missing field: new_peer_url");
        assertFailure(call(server, "PUT", "/members", "{\"name\":\"x\",\"new_peer_url\":\"http://h:99999\"}"), 400,
                "bad new_peer_url");
        assertThat(control.calls).isEmpty();
    }

    @Test
    void malformedBodiesNeverCrashOrWedge() throws Exception {
        List<byte[]> garbage = List.of(
                new byte[0],
                "{".getBytes(StandardCharsets.UTF_8),
                "not json at all".getBytes(StandardCharsets.UTF_8),
                "[]".getBytes(StandardCharsets.UTF_8),
                "null".getBytes(StandardCharsets.UTF_8),
                "\"a string\"".getBytes(StandardCharsets.UTF_8),
                "42".getBytes(StandardCharsets.UTF_8),
                "{\"name\":\"a\",\"name\":\"b\",\"peer_url\":\"http://h:1\"}".getBytes(StandardCharsets.UTF_8),
                "{\"name\":\"a\"} trailing".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0x80},
                ("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}").getBytes(StandardCharsets.UTF_8));
        for (String method : List.of("POST", "PUT", "DELETE")) {
            for (byte[] body : garbage) {
                Resp r = call(server, method, "/members", body, "application/json");
                assertThat(r.status()).as(method + " " + new String(body, StandardCharsets.UTF_8) + " -> " + r.body())
                        .isEqualTo(400);
                assertThat(r.data().isNull()).isTrue();
            }
        }
        assertThat(control.calls).isEmpty();
        assertSuccess(get("/cluster"));
    }

    @Test
    void contentTypeDoesNotMatter() throws Exception {
        String body = "{\"name\":\"n5\",\"peer_url\":\"http://h5:9696\"}";
        // curl -d sends application/x-www-form-urlencoded unless told otherwise
        assertSuccess(call(server, "POST", "/members", body.getBytes(StandardCharsets.UTF_8),
                "application/x-www-form-urlencoded"));
        assertSuccess(call(server, "DELETE", "/members", body.getBytes(StandardCharsets.UTF_8), "text/plain"));
        assertSuccess(call(server, "POST", "/members", body.getBytes(StandardCharsets.UTF_8), null));
        assertFailure(call(server, "POST", "/members", "name=n6&peer_url=http://h6:1".getBytes(StandardCharsets.UTF_8),
                "application/x-www-form-urlencoded"), 400, "not valid JSON");
        assertFailure(call(server, "POST", "/members", "--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"
                .getBytes(StandardCharsets.UTF_8), "multipart/form-data; boundary=xyz"), 400, "not valid JSON");
    }

    @Test
    void hugeBodiesAreRefused() throws Exception {
        byte[] huge = new byte[3 << 20];
        java.util.Arrays.fill(huge, (byte) 'a');
        // with a Content-Length: refused before reading; the client may see the 413 or a reset while still sending
        try {
            Resp r = call(server, "POST", "/members", huge, "application/json");
            assertFailure(r, 413, "too large");
        } catch (IOException reset) {
            // acceptable: the server answered and closed while the client was still writing
        }
        // chunked (no Content-Length): refused after reading just over the cap
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(server.url() + "/members"))
                .timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge)))
                .build();
        try {
            HttpResponse<String> r = http.send(chunked, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(413);
            assertThat(r.body()).contains("too large");
        } catch (IOException reset) {
            // as above
        }
        // a declared length far over the cap, no body sent: answered at once with 413
        String raw = rawExchange(server, "POST /members HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000000\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 413");
        assertThat(raw).contains("{\"message\":\"request body too large");
        // a smaller cap is honoured
        AdminServer small = start(control, AdminServer.Settings.defaults().withMaxBodyBytes(64));
        assertFailure(call(small, "POST", "/members", "{\"name\":\"" + "x".repeat(100)
                + "\",\"peer_url\":\"http://h:1\"}"), 413, "too large");
        assertThat(control.calls).isEmpty();
        assertSuccess(get("/cluster"));
    }

    @Test
    void unknownRoutesAre404AndWrongMethods405() throws Exception {
        assertFailure(get("/nope"), 404, "not found: GET /nope");
        assertFailure(call(server, "POST", "/nope", "{}"), 404, "not found");
        assertFailure(call(server, "PATCH", "/members", "{}"), 405, "method not allowed: PATCH /members");
        assertFailure(call(server, "POST", "/cluster", "{}"), 405, "method not allowed");
        assertFailure(call(server, "DELETE", "/health", (String) null), 405, "method not allowed");
        assertFailure(call(server, "PUT", "/metrics", (String) null), 405, "method not allowed");
        assertSuccess(get("/cluster/")); // trailing slash tolerated
    }

    @Test
    void protocolGarbageGetsAnEnvelopeToo() throws Exception {
        String raw = rawExchange(server, "THIS IS NOT HTTP\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400");
        assertThat(raw).contains("\"data\":null");
        assertSuccess(get("/health"));
    }

    // ----------------------------------------------------------------------------------------- forwarding

    /** A follower whose leader is {@code leaderServer}. */
    private FakeClusterControl followerOf(AdminServer leaderServer) {
        FakeClusterControl f = new FakeClusterControl();
        f.leaderHere = false;
        f.members.addAll(control.members);
        f.leader = new Member(BIG_ID, "kingbus_150", "http://192.168.1.150:9698",
                leaderServer == null ? null : leaderServer.url().toString(), true);
        return f;
    }

    @Test
    void followerForwardsChangesToTheLeaderAndRelaysItsAnswerByteForByte() throws Exception {
        List<String> forwardedBy = new CopyOnWriteArrayList<>();
        server.routes(app -> app.before("/members", ctx -> forwardedBy.add(String.valueOf(
                ctx.header(LeaderForwarder.HEADER)))));
        FakeClusterControl followerControl = followerOf(server);
        AdminServer follower = start(followerControl, AdminServer.Settings.defaults().withNodeName("kingbus_149"));

        Resp viaFollower = call(follower, "POST", "/members", "{\"name\":\"n4\",\"peer_url\":\"http://h4:9696\"}");
        assertSuccess(viaFollower);
        assertThat(followerControl.calls).containsExactly("add n4 http://h4:9696 null");
        assertThat(control.calls).containsExactly("add n4 http://h4:9696 null");
        assertThat(forwardedBy).containsExactly("kingbus_149");
        assertThat(viaFollower.body()).contains("\"Id\":" + BIG_ID_DECIMAL);
        Resp direct = get("/members");
        assertThat(viaFollower.body()).isEqualTo(direct.body());

        Resp put = call(follower, "PUT", "/members", "{\"name\":\"n4\",\"new_peer_url\":\"http://h4:9697\"}");
        assertSuccess(put);
        assertThat(put.body()).isEqualTo(get("/members").body());
        Resp del = call(follower, "DELETE", "/members", "{\"name\":\"n4\",\"peer_url\":\"http://h4:9697\"}");
        assertSuccess(del);
        assertThat(del.data()).hasSize(2);
        assertThat(control.members).hasSize(2);

        // the leader's refusals come back unchanged
        control.failWith = new MembershipException(MembershipException.Kind.CONFLICT, "change in progress");
        Resp refused = call(follower, "POST", "/members", "{\"name\":\"n5\",\"peer_url\":\"http://h5:9696\"}");
        assertFailure(refused, 409, "change in progress");
        control.failWith = null;
        // invalid requests are answered by the follower itself
        assertFailure(call(follower, "POST", "/members", "{\"name\":\"n5\"}"), 400, "missing field: peer_url");
        // reads are answered locally
        assertSuccess(call(follower, "GET", "/cluster", (String) null));
        assertThat(forwardedBy.stream().filter(h -> !h.equals("null"))).hasSize(4); // "null": our direct GETs
    }

    @Test
    void forwardingStopsAfterOneHop() throws Exception {
        // two nodes that each believe the other is the leader
        FakeClusterControl a = new FakeClusterControl();
        a.leaderHere = false;
        FakeClusterControl b = new FakeClusterControl();
        b.leaderHere = false;
        AdminServer serverA = start(a, AdminServer.Settings.defaults().withNodeName("node-a"));
        AdminServer serverB = start(b, AdminServer.Settings.defaults().withNodeName("node-b"));
        a.leader = new Member(1, "node-b", "http://127.0.0.1:1", serverB.url().toString(), true);
        b.leader = new Member(2, "node-a", "http://127.0.0.1:2", serverA.url().toString(), true);

        Resp r = call(serverA, "POST", "/members", "{\"name\":\"n\",\"peer_url\":\"http://h:1\"}");
        assertFailure(r, 503, "already forwarded by node-a");
        assertThat(a.calls).hasSize(1);
        assertThat(b.calls).hasSize(1);
    }

    @Test
    void noLeaderMeans503() throws Exception {
        FakeClusterControl f = followerOf(null);
        AdminServer follower = start(f, AdminServer.Settings.defaults());
        String body = "{\"name\":\"n\",\"peer_url\":\"http://h:1\"}";
        assertFailure(call(follower, "POST", "/members", body), 503, "has not published its admin URL");
        f.leader = null;
        assertFailure(call(follower, "POST", "/members", body), 503, "no leader");
        f.leader = new Member(1, "weird", "http://h:1", "not a url", true);
        assertFailure(call(follower, "DELETE", "/members", body), 503, "unusable admin URL");
    }

    @Test
    void unreachableOrSilentLeaderMeans503WithinTheTimeout() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        FakeClusterControl f = followerOf(null);
        f.leader = new Member(BIG_ID, "kingbus_150", "http://h:1", "http://127.0.0.1:" + closedPort, true);
        AdminServer follower = start(f, AdminServer.Settings.defaults()
                .withForwardTimeouts(Duration.ofMillis(500), Duration.ofMillis(800)));
        String body = "{\"name\":\"n\",\"peer_url\":\"http://h:1\"}";
        assertFailure(call(follower, "POST", "/members", body), 503, "cannot reach leader kingbus_150");

        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accept, never answer
                    }
                } catch (IOException done) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            f.leader = new Member(BIG_ID, "kingbus_150", "http://h:1", "http://127.0.0.1:" + silent.getLocalPort(),
                    true);
            long t0 = System.nanoTime();
            assertFailure(call(follower, "PUT", "/members", "{\"name\":\"n\",\"new_peer_url\":\"http://h:2\"}"), 503,
                    "did not answer within 800 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            for (Socket s : held) {
                s.close();
            }
        }
        assertSuccess(call(follower, "GET", "/health", (String) null));
    }

    // ------------------------------------------------------------------------------------------ lifecycle

    @Test
    void extraRoutesUseTheEnvelopeAndErrorHandling() throws Exception {
        server.routes(app -> {
            app.get("/internal/echo", ctx -> Envelope.ok(ctx, ctx.queryParam("x")));
            app.get("/internal/fail", ctx -> {
                throw ApiException.conflict("busy");
            });
            app.get("/internal/crash", ctx -> {
                throw new IllegalStateException("boom");
            });
        });
        Resp r = get("/internal/echo?x=hi");
        assertSuccess(r);
        assertThat(r.data().asText()).isEqualTo("hi");
        assertFailure(get("/internal/fail"), 409, "busy");
        assertFailure(get("/internal/crash"), 500, "internal error: boom");
    }

    @Test
    void portZeroReportsTheBoundPortAndCloseIsIdempotent() throws Exception {
        assertThat(server.port()).isPositive();
        assertThat(server.url().toString()).isEqualTo("http://127.0.0.1:" + server.port());
        AdminServer clash = new AdminServer(control, "127.0.0.1", server.port());
        servers.add(clash);
        assertThatThrownBy(clash::start).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("admin API cannot listen on 127.0.0.1:" + server.port())
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        server.close();
        server.close();
        assertThatThrownBy(() -> get("/health")).isInstanceOf(IOException.class);
    }

    @Test
    void forUrlConstructor() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        AdminServer s = new AdminServer(control, HttpUrl.parse("http://127.0.0.1:" + port + "/"),
                AdminServer.Settings.defaults());
        servers.add(s);
        s.start();
        assertThat(s.host()).isEqualTo("127.0.0.1");
        assertThat(s.port()).isEqualTo(port);
        assertSuccess(call(s, "GET", "/health", (String) null));
    }

    /** Sends raw bytes and returns what the server answers (until it closes or 2 s pass). */
    private static String rawExchange(AdminServer s, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), s.port())) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder sb = new StringBuilder();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    if (sb.indexOf("\r\n\r\n") > 0 && sb.toString().contains("\"data\"")) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
                // return what we have
            }
            return sb.toString();
        }
    }
}

package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.FreePorts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.kingbus.cluster.Http.q;
import static org.assertj.core.api.Assertions.assertThat;

/** The admin API's errors against real node processes: envelope, status and reason. */
class ClusterApiErrorsTest extends ClusterTestBase {

    private static void assertFails(Http.Reply r, int status, String reasonPart) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertThat(r.message()).as("reason of %s", r).isNotNull().containsIgnoringCase(reasonPart);
        assertThat(r.data().isNull()).as("data of a failure: %s", r).isTrue();
    }

    @Test
    void membershipAndProposalErrorsAnswerWithTheRightStatusAndReason() throws Exception {
        start(3);
        NodeProcess leader = cluster.awaitLeader(LEADER);
        cluster.await("all admin URLs published", CONVERGE, () -> cluster.nodes().stream().allMatch(n -> {
            JsonNode c = n.clusterOrNull();
            if (c == null || c.size() != 3) {
                return false;
            }
            for (JsonNode m : c) {
                if (m.path("adminURLs").size() != 1) {
                    return false;
                }
            }
            return true;
        }));
        List<NodeProcess> followers = cluster.nodes().stream().filter(n -> n != leader).toList();
        NodeProcess f1 = followers.get(0);
        NodeProcess f2 = followers.get(1);

        // malformed JSON and missing or bad fields: 400, on the leader and on a follower alike
        for (NodeProcess n : List.of(leader, f1)) {
            assertFails(n.send("POST", "/members", "{\"name\": \"x\", \"peer_url\": "), 400, "");
            assertFails(n.send("POST", "/members", "[1, 2]"), 400, "");
            assertFails(n.send("DELETE", "/members", "{\"name\": \"x\"}"), 400, "peer_url");
            assertFails(n.send("PUT", "/members", "{\"name\": \"x\", \"new_peer_url\": \"not a url\"}"), 400,
                    "new_peer_url");
        }

        // unknown members: 404 (a follower forwards the request to the leader and relays its answer)
        assertFails(f1.send("DELETE", "/members", "{\"name\": \"nobody\", \"peer_url\": \"http://127.0.0.1:1\"}"),
                404, "nobody");
        assertFails(leader.send("PUT", "/members", "{\"name\": \"nobody\", \"new_peer_url\": \"http://127.0.0.1:2\"}"),
                404, "nobody");

        // a second change while one is in flight: 409. The first adds a node that never starts.
        String ghostPeer = "http://127.0.0.1:" + FreePorts.take();
        Http.Reply ghost = leader.send("POST", "/members", "{\"name\": \"ghost\", \"peer_url\": " + q(ghostPeer) + "}");
        assertThat(ghost.status()).as("%s", ghost).isEqualTo(200);
        assertFails(f1.send("POST", "/members", "{\"name\": \"other\", \"peer_url\": \"http://127.0.0.1:"
                + FreePorts.take() + "\"}"), 409, "in progress");
        assertFails(leader.send("PUT", "/members", "{\"name\": " + q(f2.name) + ", \"new_peer_url\": \"http://127.0.0.1:"
                + FreePorts.take() + "\"}"), 409, "in progress");
        // removing the pending member cancels the add; afterwards the membership is as before
        Http.Reply cancel = f2.send("DELETE", "/members", "{\"name\": \"ghost\", \"peer_url\": " + q(ghostPeer) + "}");
        assertThat(cancel.status()).as("%s", cancel).isEqualTo(200);
        cluster.await("the cancelled add is gone everywhere and a new change is accepted", CONVERGE, () ->
                cluster.nodes().stream().allMatch(n -> ClusterHarness.names(n.clusterOrNull()).size() == 3)
                        && leader.send("POST", "/members", "{\"name\": \"n1\", \"peer_url\": \"http://127.0.0.1:9\"}")
                        .message().contains("already exists"));

        // malformed proposal bodies: 400, and the node goes on
        byte[] lyingHeader = new byte[19];
        lyingHeader[9] = 5; // event_size 5 < header
        assertFails(Http.postBytes(leader.adminUrl(), "/internal/test/propose?file=mysql-bin.000001", lyingHeader,
                Duration.ofSeconds(10)), 400, "malformed");
        byte[] truncated = new byte[40];
        truncated[9] = 100; // declares 100 bytes, has 40
        assertFails(Http.postBytes(leader.adminUrl(), "/internal/test/propose?file=mysql-bin.000001", truncated,
                Duration.ofSeconds(10)), 400, "malformed");
        byte[] huge = new byte[19];
        huge[9] = 1;
        huge[12] = 0x40; // declares 1 GiB + 1 byte: refused before anything is buffered
        assertFails(Http.postBytes(leader.adminUrl(), "/internal/test/propose?file=mysql-bin.000001", huge,
                Duration.ofSeconds(10)), 413, "largest binlog event");
        assertFails(Http.postBytes(leader.adminUrl(), "/internal/test/propose?file=x&entryBytes=abc", new byte[0],
                Duration.ofSeconds(10)), 400, "entryBytes");
        // well framed but not a binlog stream the store can continue: committed, refused by every store alike
        byte[] garbage = new byte[40];
        garbage[4] = (byte) 0xee; // no such event type
        garbage[9] = 40;
        assertFails(Http.postBytes(leader.adminUrl(), "/internal/test/propose?file=mysql-bin.000001", garbage,
                Duration.ofSeconds(30)), 409, "rejected by the store");
        Http.Reply onFollower = Http.postBytes(f1.adminUrl(), "/internal/test/propose?file=x", truncated,
                Duration.ofSeconds(10));
        assertFails(onFollower, 421, leader.name);
        assertThat(leader.get("/health").status()).isEqualTo(200);

        // a removal that would lose quorum: one follower killed, removing the other live one is refused
        f2.kill();
        long killed = System.nanoTime();
        // the leader counts a member as down once it has not answered for the maximum election timeout
        Duration quiet = cluster.options.electionTimeoutMax().plusSeconds(1);
        cluster.await("the leader has not heard from " + f2 + " for " + quiet.toMillis() + " ms", Duration.ofMinutes(1),
                () -> System.nanoTime() - killed > quiet.toNanos());
        Http.Reply refused = leader.send("DELETE", "/members", "{\"name\": " + q(f1.name) + ", \"peer_url\": "
                + q(f1.peerUrl()) + "}");
        assertFails(refused, 409, "majority");
        System.out.println("quorum-losing removal refused: " + refused.message());
        assertThat(ClusterHarness.names(leader.clusterOrNull())).containsExactly("n1", "n2", "n3");
        // and the two live nodes still commit
        java.util.UUID source = java.util.UUID.randomUUID();
        Primary p = new Primary(source);
        propose(batch(p, Primary::start));
        propose(batch(p, s -> s.transaction(2, 100)));
        cluster.awaitStoresEqual(p, List.of(leader, f1), CONVERGE); // waits through GET /internal/test/store?waitFor=

        // that wait's own errors: a malformed set is refused; a set the store lacks is answered after the timeout
        assertFails(leader.get("/internal/test/store?waitFor=nonsense"), 400, "not a GTID set");
        GtidSet lacking = GtidSet.parse(source + ":1-1000000");
        long asked = System.nanoTime();
        Http.Reply late = leader.storeWaitingFor(lacking, 300);
        assertThat(Duration.ofNanos(System.nanoTime() - asked)).as("answered after the timeout")
                .isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(late.status()).as("%s", late).isEqualTo(200);
        assertThat(GtidSet.parse(late.data().path("executed").asText()).containsAll(lacking)).isFalse();
        assertThat(leader.awaitExecuted(lacking, Duration.ofMillis(200))).isFalse();
        assertThat(leader.awaitExecuted(p.executed(), Duration.ofSeconds(5))).isTrue();
    }
}

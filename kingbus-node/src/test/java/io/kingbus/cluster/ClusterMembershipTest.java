package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.testkit.FreePorts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.kingbus.cluster.Http.q;
import static org.assertj.core.api.Assertions.assertThat;

/** Membership through the admin API of running node processes: add (catching up from files), remove, move. */
class ClusterMembershipTest extends ClusterTestBase {
    private static final UUID SID = UUID.fromString("9d2f3a10-51e8-11ee-be56-0242ac120002");

    /** Waits until every node in {@code on} lists exactly {@code names}, each with its admin URL. */
    private void awaitMembers(List<NodeProcess> on, List<String> names) throws InterruptedException {
        for (NodeProcess n : on) {
            cluster.await(n + " lists " + names + " with their admin URLs", CONVERGE, () -> {
                JsonNode c = n.clusterOrNull();
                if (c == null || !ClusterHarness.names(c).equals(names)) {
                    return false;
                }
                for (JsonNode m : c) {
                    NodeProcess member = cluster.node(m.path("name").asText());
                    if (!m.path("adminURLs").path(0).asText().equals(member.adminUrl())
                            || !m.path("peerURLs").path(0).asText().equals(member.peerUrl())) {
                        return false;
                    }
                }
                return true;
            });
        }
    }

    private Primary startedPrimary() throws InterruptedException {
        Primary p = new Primary(SID);
        propose(batch(p, Primary::start));
        return p;
    }

    private void proposeRandom(Primary p, Random r, int batches, int stepsPerBatch) throws InterruptedException {
        for (int i = 0; i < batches; i++) {
            propose(batch(p, s -> {
                for (int k = 0; k < stepsPerBatch; k++) {
                    s.randomStep(r);
                }
            }));
        }
    }

    @Test
    void fourthNodeAddedThroughAFollowerCatchesUpByCopyingFilesAfterTheLogWasPurged() throws Exception {
        start(3);
        NodeProcess leader = cluster.awaitLeader(LEADER);
        awaitMembers(cluster.nodes(), List.of("n1", "n2", "n3"));
        Primary p = startedPrimary();

        // The node config has no key for the snapshot threshold: the raft default (a snapshot marker every 10,000
        // entries, purge behind it keeping 1,000, 32 MiB segments) applies. Entries of ~6 KiB (one transaction
        // each) close a segment before the first snapshot, which then purges it.
        long t0 = System.nanoTime();
        long index = 0;
        int rounds = 0;
        while (ClusterHarness.firstLogIndex(leader) == 0) {
            assertThat(rounds++).as("rounds of 2,000 entries until the leader purged its log").isLessThan(10);
            Batch b = batch(p, s -> {
                for (int k = 0; k < 2000; k++) {
                    s.transaction(1, 6000);
                }
            });
            index = cluster.propose(b.file(), b.events(), 8 << 10, Duration.ofSeconds(120));
            long idx = index;
            cluster.await("the leader applied " + idx + " and snapshots if due", Duration.ofSeconds(30),
                    () -> leader.metric("kingbus_raft_applied_index") >= idx);
        }
        JsonNode snap = leader.get("/internal/snapshot").data();
        System.out.printf("leader %s: raft index %d, snapshot marker at %d, log starts at %d (%s, %d MB of binlog)%n",
                leader, index, snap.path("index").asLong(), ClusterHarness.firstLogIndex(leader), ms(t0),
                p.fileNames().stream().mapToLong(f -> p.expectedFile(f).length).sum() >> 20);
        assertThat(snap.path("index").asLong()).isPositive();
        proposeRandom(p, new Random(4), 5, 5);

        NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        NodeProcess n4 = cluster.newNode("n4");
        Http.Reply added = follower.send("POST", "/members", "{\"name\": \"n4\", \"peer_url\": " + q(n4.peerUrl())
                + ", \"admin_url\": " + q(n4.adminUrl()) + "}");
        assertThat(added.status()).as("POST /members on follower %s: %s", follower, added).isEqualTo(200);
        assertThat(added.message()).isEqualTo("success");
        assertThat(ClusterHarness.names(added.data())).containsExactly("n1", "n2", "n3", "n4");
        JsonNode m4 = added.data().get(3);
        assertThat(m4.path("peerURLs").get(0).asText()).isEqualTo(n4.peerUrl());
        assertThat(m4.path("Id").isIntegralNumber()).as("POST /members gives Id as a number: %s", m4).isTrue();

        long t1 = System.nanoTime();
        n4.start();
        awaitMembers(cluster.nodes(), List.of("n1", "n2", "n3", "n4"));
        cluster.awaitStoresEqual(p, List.of(n4), CONVERGE);
        System.out.printf("n4 joined and holds the %d MB store %s after it started%n",
                p.fileNames().stream().mapToLong(f -> p.expectedFile(f).length).sum() >> 20, ms(t1));
        assertThat(n4.logContains("caught up from")).as("n4 copied binlog files (its log):\n%s", n4.tail(40))
                .isTrue();
        assertThat(ClusterHarness.firstLogIndex(n4)).as("n4's raft log starts after the snapshot it installed").isPositive();

        proposeRandom(p, new Random(5), 5, 5);
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
        assertThat(leader.metric("kingbus_raft_members")).isEqualTo(4.0);
    }

    @Test
    void removedNodeLeavesTheClusterWhichKeepsWorkingWithoutLeaderChurn() throws Exception {
        start(3);
        NodeProcess leader = cluster.awaitLeader(LEADER);
        awaitMembers(cluster.nodes(), List.of("n1", "n2", "n3"));
        Primary p = startedPrimary();
        Random r = new Random(11);
        proposeRandom(p, r, 10, 5);
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);

        List<NodeProcess> followers = cluster.nodes().stream().filter(n -> n != leader).toList();
        NodeProcess victim = followers.get(0);
        NodeProcess stays = followers.get(1);
        long term = leader.get("/ready").data().path("term").asLong();
        Http.Reply removed = stays.send("DELETE", "/members", "{\"name\": " + q(victim.name) + ", \"peer_url\": "
                + q(victim.peerUrl()) + "}");
        assertThat(removed.status()).as("DELETE /members via follower %s: %s", stays, removed).isEqualTo(200);
        assertThat(ClusterHarness.names(removed.data())).doesNotContain(victim.name).hasSize(2);
        long t0 = System.nanoTime();
        awaitMembers(List.of(leader, stays), List.of(leader.name, stays.name).stream().sorted().toList());
        System.out.printf("%s removed %s after the DELETE%n", victim, ms(t0));

        // the removed process still runs and says it is out
        cluster.await(victim + " reports it was removed", CONVERGE, () -> {
            Http.Reply ready = victim.get("/ready");
            return ready.status() == 503 && ready.message() != null && ready.message().contains("removed");
        });
        assertThat(victim.alive()).isTrue();

        // the cluster keeps committing, for longer than two maximum election timeouts, with the same leader
        long until = System.nanoTime() + cluster.options.electionTimeoutMax().multipliedBy(2).toNanos();
        int proposals = 0;
        while (System.nanoTime() < until) {
            proposeRandom(p, r, 1, 3);
            proposals++;
        }
        cluster.awaitStoresEqual(p, List.of(leader, stays), CONVERGE);
        assertThat(cluster.currentLeader()).isEqualTo(leader);
        assertThat(leader.get("/ready").data().path("term").asLong()).as("leader's term (no re-election)")
                .isEqualTo(term);
        assertThat(stays.get("/ready").data().path("term").asLong()).as("follower's term").isEqualTo(term);
        assertThat(victim.get("/ready").status()).as("still removed").isEqualTo(503);
        System.out.printf("%d proposals committed after the removal, leader %s term %d unchanged%n", proposals,
                leader, term);
    }

    @Test
    void nodeMovedToANewPeerUrlRejoinsThereAndKeepsUp() throws Exception {
        start(3);
        NodeProcess leader = cluster.awaitLeader(LEADER);
        awaitMembers(cluster.nodes(), List.of("n1", "n2", "n3"));
        Primary p = startedPrimary();
        Random r = new Random(12);
        proposeRandom(p, r, 10, 5);

        NodeProcess moved = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        String oldUrl = moved.peerUrl();
        String newUrl = "http://127.0.0.1:" + FreePorts.take();
        Http.Reply updated = leader.send("PUT", "/members", "{\"name\": " + q(moved.name) + ", \"new_peer_url\": "
                + q(newUrl) + "}");
        assertThat(updated.status()).as("PUT /members: %s", updated).isEqualTo(200);
        JsonNode m = null;
        for (JsonNode x : updated.data()) {
            if (x.path("name").asText().equals(moved.name)) {
                m = x;
            }
        }
        assertThat(m).isNotNull();
        assertThat(m.path("peerURLs").get(0).asText()).isEqualTo(newUrl);

        assertThat(moved.stop()).as("exit code after SIGTERM").isIn(0, 143);
        moved.setPeerUrl(newUrl);
        long t0 = System.nanoTime();
        moved.start();
        awaitMembers(cluster.nodes(), List.of("n1", "n2", "n3"));
        System.out.printf("%s moved from %s to %s and rejoined %s after its restart%n", moved, oldUrl, newUrl, ms(t0));
        for (NodeProcess n : cluster.nodes()) {
            assertThat(n.clusterOrNull().toString()).as("%s no longer shows the old peer URL", n)
                    .doesNotContain(oldUrl);
        }
        proposeRandom(p, r, 10, 5);
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
        assertThat(leader.metric("kingbus_raft_members")).isEqualTo(3.0);
    }
}

package io.kingbus.cluster;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** kill -9 of every node at once loses nothing committed; the restarted cluster elects a leader and goes on. */
class ClusterRestartTest extends ClusterTestBase {

    @Test
    void allNodesKilledAtOnceRestartWithTheirStoresAndKeepReplicating() throws Exception {
        start(3);
        cluster.awaitLeader(LEADER);
        Primary p = new Primary(UUID.fromString("1b5e6a3c-51e9-11ee-be56-0242ac120002"));
        Random r = new Random(21);
        propose(batch(p, Primary::start));
        for (int i = 0; i < 40; i++) {
            propose(batch(p, s -> {
                for (int k = 0; k < 5; k++) {
                    s.randomStep(r);
                }
            }));
        }
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
        long terms = (long) cluster.currentLeader().metric("kingbus_raft_term");

        cluster.killAll();
        assertThat(cluster.running()).isEmpty();
        long t0 = System.nanoTime();
        cluster.startAll();
        NodeProcess leader = cluster.awaitLeader(LEADER);
        long electedMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("after kill -9 of all 3 nodes: %s leads %d ms after the restart (JVM start included)%n",
                leader, electedMs);
        assertThat(electedMs).as("a leader within seconds of the restart").isLessThan(30_000);
        assertThat(leader.metric("kingbus_raft_term")).isGreaterThan(terms);

        // nothing committed is lost, nothing is added: each store is the primary's files as they were
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
        System.out.printf("all 3 stores unchanged %d ms after the restart%n", (System.nanoTime() - t0) / 1_000_000);

        for (int i = 0; i < 10; i++) {
            propose(batch(p, s -> {
                for (int k = 0; k < 5; k++) {
                    s.randomStep(r);
                }
                s.rotate();
            }));
        }
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
    }

    /**
     * A follower down while the leader's log is purged behind a snapshot catches up by copying the binlog files it
     * lacks (notify-mode install), then follows the log.
     */
    @Test
    void followerDownWhileTheLogIsPurgedCatchesUpByCopyingFiles() throws Exception {
        start(3);
        NodeProcess leader = cluster.awaitLeader(LEADER);
        Primary p = new Primary(UUID.fromString("2c7e9b14-51e9-11ee-be56-0242ac120002"));
        propose(batch(p, Primary::start));
        NodeProcess down = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
        long lagging = (long) down.metric("kingbus_raft_applied_index");
        down.kill();
        // raft defaults (no config key for them): a snapshot marker every 10,000 entries, 32 MiB segments;
        // entries of ~6 KiB close segments before the snapshot, which then purges them
        int rounds = 0;
        while (ClusterHarness.firstLogIndex(leader) <= lagging + 1) {
            assertThat(rounds++).as("rounds of 2,000 entries until the leader purged its log").isLessThan(10);
            Batch b = batch(p, s -> {
                for (int k = 0; k < 2000; k++) {
                    s.transaction(1, 6000);
                }
            });
            long index = cluster.propose(b.file(), b.events(), 8 << 10, java.time.Duration.ofSeconds(120));
            cluster.await("the leader applied " + index, CONVERGE,
                    () -> leader.metric("kingbus_raft_applied_index") >= index);
        }
        System.out.printf("%s was down at index %d; the leader's log now starts at %d%n", down, lagging,
                ClusterHarness.firstLogIndex(leader));
        long t0 = System.nanoTime();
        down.start();
        cluster.awaitStoresEqual(p, List.of(down), CONVERGE);
        System.out.printf("%s caught up %s after its restart%n", down, ms(t0));
        // the store shows the copied files before the catch-up thread writes its marker and logs the copy
        cluster.await(() -> down + " to log that it copied binlog files; its log:\n" + down.tail(40), CONVERGE,
                () -> down.logContains("caught up from"));
        propose(batch(p, s -> s.transaction(2, 100)));
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
    }
}

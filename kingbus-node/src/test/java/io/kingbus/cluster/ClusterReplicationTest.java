package io.kingbus.cluster;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Proposals on the leader end up byte-identical in every node's store. */
class ClusterReplicationTest extends ClusterTestBase {

    @Test
    void proposalsReplicateByteIdenticallyToEveryStore() throws Exception {
        start(3);
        NodeProcess leader = cluster.awaitLeader(LEADER);
        Primary p = new Primary(UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562"));
        Random r = new Random(42);
        long t0 = System.nanoTime();

        long index = propose(batch(p, Primary::start));
        assertThat(index).isPositive();
        // a few hundred random steps (small transactions, DDL, rotations) in batches of a few steps
        for (int i = 0; i < 40; i++) {
            index = propose(batch(p, s -> {
                for (int k = 0; k < 5; k++) {
                    s.randomStep(r);
                }
            }));
        }
        // a transaction of ~2.6 MB: the leader splits it into several ≤1 MiB raft entries
        long before = index;
        Batch big = batch(p, s -> s.transaction(40, 64 << 10));
        index = propose(big);
        assertThat(index - before).as("raft entries taken by a %d-byte transaction", big.bytes())
                .isGreaterThanOrEqualTo(3);
        propose(batch(p, Primary::rotate));
        // one row event over 16 MiB (bigger than a MySQL packet): it goes alone into one entry (≤ 32 MiB)
        Batch huge = batch(p, s -> s.transaction(1, 17 << 20));
        assertThat(huge.events().stream().mapToInt(e -> e.length).max().orElseThrow())
                .isGreaterThan(16 << 20);
        index = propose(huge);
        // streamed through the route in 16 KiB entries: transactions spread over entries at any event boundary
        Batch streamed = batch(p, s -> {
            for (int k = 0; k < 300; k++) {
                s.randomStep(r);
            }
            s.transaction(8, 6000);
        });
        before = index;
        index = cluster.propose(streamed.file(), streamed.events(), 16 << 10, Duration.ofSeconds(60));
        assertThat(index - before).as("entries of ≤16 KiB for %d bytes", streamed.bytes())
                .isGreaterThanOrEqualTo(streamed.bytes() / (16 << 10));
        index = propose(batch(p, s -> {
            s.rotate();
            s.ddl("CREATE TABLE t2 (id INT PRIMARY KEY)");
            s.transaction(3, 100);
        }));
        System.out.printf("proposed %d files, %d transactions, %d events up to raft index %d in %s%n",
                p.fileNames().size(), p.executed().count(), p.eventCount(), index, ms(t0));
        assertThat(p.fileNames().size()).isGreaterThanOrEqualTo(4);

        long t1 = System.nanoTime();
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
        System.out.printf("all 3 stores byte-identical to the primary's files %s after the last proposal%n", ms(t1));
        for (NodeProcess n : cluster.nodes()) {
            assertThat(n.metric("kingbus_raft_applied_index")).as("%s applied index", n)
                    .isGreaterThanOrEqualTo((double) index);
        }
        assertThat(cluster.currentLeader()).as("no leader change during the test").isEqualTo(leader);
    }
}

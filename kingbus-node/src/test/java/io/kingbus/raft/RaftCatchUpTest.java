package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import io.kingbus.raft.TestStream.Batch;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.kingbus.raft.RaftReplicationTest.assertStores;
import static org.assertj.core.api.Assertions.assertThat;

class RaftCatchUpTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(30);


    /** Proposes {@code entries} entries of a few transactions each; returns the last index. */
    static long proposeMany(TestCluster cluster, TestStream stream, int entries) throws Exception {
        long last = -1;
        for (int i = 0; i < entries; i++) {
            List<Batch> steps = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                steps.add(stream.transaction(1 + k, 300 + i));
            }
            if (i % 40 == 39) {
                steps.add(stream.rotate());
            }
            last = cluster.propose(TestStream.concat(steps));
        }
        return last;
    }

    @Test
    void stoppedFollowerCatchesUpFromFilesAfterTheLogWasPurged() throws Exception {
        cluster = new TestCluster(tmp);
        cluster.snapshotThreshold = 20;
        cluster.segmentBytes = 64 << 10;
        cluster.startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        long last = proposeMany(cluster, stream, 30);
        cluster.awaitApplied(last, WAIT);

        TestNode follower = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        long followerApplied = follower.node.appliedIndex();
        follower.stop();

        last = proposeMany(cluster, stream, 120);
        TestNode current = cluster.awaitLeader(WAIT);
        TestCluster.await("the leader's log purged past the stopped follower", WAIT,
                () -> current.node.logStartIndex() > followerApplied + 1);
        System.out.printf("leader log starts at %d, snapshot at %d; follower stopped at %d%n",
                current.node.logStartIndex(), current.node.snapshotIndex(), followerApplied);

        long t0 = System.nanoTime();
        follower.start(cluster.initialCluster(), RaftNodeConfig.ClusterState.NEW);
        cluster.awaitApplied(last, WAIT);
        System.out.printf("follower caught up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(follower.node.stateMachine().catchUps()).as("notify-mode installs").isGreaterThanOrEqualTo(1);
        assertStores(cluster, stream);

        // and it keeps replicating from the log afterwards
        last = proposeMany(cluster, stream, 5);
        cluster.awaitApplied(last, WAIT);
        assertStores(cluster, stream);
        TestCluster.await("caught up", WAIT, () -> follower.node.status().caughtUp());
    }

    @Test
    void restartingAllNodesKeepsStoresAndElectsALeader() throws Exception {
        cluster = new TestCluster(tmp);
        cluster.snapshotThreshold = 25;
        cluster.segmentBytes = 64 << 10;
        cluster.startNew(3);
        cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        long last = proposeMany(cluster, stream, 60);
        cluster.awaitApplied(last, WAIT);
        assertStores(cluster, stream);

        TestNode oldLeader = cluster.awaitLeader(WAIT);
        TestCluster.stopAll(cluster.nodes);
        assertThat(cluster.leadership).contains("lost " + oldLeader.name);
        long t0 = System.nanoTime();
        for (TestNode n : cluster.nodes) {
            n.start(cluster.initialCluster(), RaftNodeConfig.ClusterState.NEW);
        }
        TestNode leader = cluster.awaitLeader(Duration.ofSeconds(15));
        System.out.printf("after restarting all nodes, %s leads after %d ms%n", leader,
                (System.nanoTime() - t0) / 1_000_000);
        long term = leader.node.status().term();
        TestCluster.await("the new leader's listener hears it", WAIT,
                () -> cluster.leadership.contains("ready " + leader.name + " t" + term));
        assertStores(cluster, stream);
        for (TestNode n : cluster.nodes) {
            assertThat(n.node.snapshotIndex()).as(n + " snapshot marker reloaded").isGreaterThan(0);
        }

        last = proposeMany(cluster, stream, 10);
        cluster.awaitApplied(last, WAIT);
        assertStores(cluster, stream);
        for (TestNode n : cluster.nodes) {
            TestCluster.await(n + " sees all admin URLs", WAIT, () -> n.node.members().size() == 3
                    && n.node.members().stream().allMatch(m -> m.adminUrl() != null));
        }
    }
}

package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import io.kingbus.raft.TestStream.Batch;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RaftReplicationTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(30);


    private long propose(TestNode leader, Batch b) throws Exception {
        return cluster.propose(b);
    }

    static void assertStores(TestCluster cluster, TestStream stream) throws Exception {
        Map<String, byte[]> expected = stream.expectedFiles();
        for (TestNode n : cluster.running()) {
            Map<String, byte[]> actual = n.files();
            assertThat(actual.keySet()).as(n + " files").containsExactlyElementsOf(expected.keySet());
            for (String f : expected.keySet()) {
                assertThat(actual.get(f)).as(n + " " + f).isEqualTo(expected.get(f));
            }
        }
    }

    @Test
    void threeNodesElectReplicateByteIdenticalAndPublishAdminUrls() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        long t0 = System.nanoTime();
        TestNode leader = cluster.awaitLeader(WAIT);
        System.out.printf("leader %s elected in %d ms%n", leader, (System.nanoTime() - t0) / 1_000_000);

        TestStream stream = new TestStream(UUID.randomUUID());
        long last = propose(leader, stream.start());
        // a syncer-like batch of many small transactions, with a rotation in the middle
        List<Batch> steps = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            steps.add(stream.transaction(1 + i % 3, 100 + i));
            if (i == 120) {
                steps.add(stream.rotate());
            }
        }
        last = propose(leader, TestStream.concat(steps));
        // a big transaction: split at event boundaries into ~1 MiB entries
        long before = last;
        last = propose(leader, stream.transaction(40, 100_000));
        assertThat(last - before).as("entries for a 4 MB transaction").isGreaterThanOrEqualTo(4);
        // one 20 MiB event goes alone in one entry
        last = propose(leader, stream.transaction(1, 20 << 20));
        last = propose(leader, stream.transaction(2, 10));

        cluster.awaitApplied(last, WAIT);
        assertStores(cluster, stream);

        // every node knows every member's admin URL
        for (TestNode n : cluster.running()) {
            TestCluster.await(n + " sees all admin URLs", WAIT, () -> n.node.members().stream()
                    .allMatch(m -> m.adminUrl() != null) && n.node.members().size() == 3);
            List<Member> members = n.node.members();
            assertThat(members).extracting(Member::name).containsExactly("n1", "n2", "n3");
            assertThat(members).filteredOn(Member::leader).extracting(Member::name).containsExactly(leader.name);
            for (Member m : members) {
                TestNode owner = cluster.node(m.name());
                assertThat(m.adminUrl()).isEqualTo(owner.adminUrl);
                assertThat(m.peerUrl()).isEqualTo(owner.peerUrl);
                assertThat(m.id()).isEqualTo(PeerIds.memberId(m.name(), m.peerUrl(), "test-cluster"));
            }
            RaftNodeStatus s = n.node.status();
            assertThat(s.leaderName()).isEqualTo(leader.name);
            assertThat(s.role()).isIn("LEADER", "FOLLOWER");
            assertThat(s.caughtUp()).isTrue();
            assertThat(s.eventsApplied()).isGreaterThan(800);
            assertThat(s.bytesApplied()).isGreaterThan(24_000_000L);
        }

        // a follower refuses proposals
        TestNode follower = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertThatThrownBy(() -> follower.node.proposeEvents(stream.currentFile(), stream.transaction(1, 1).events())
                .get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(NotLeaderException.class);
    }

    @Test
    void duplicateAndStaleProposalsAreNoOps() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        propose(leader, stream.start());
        Batch t1 = stream.transaction(3, 500);
        Batch t2 = stream.transaction(2, 700);
        propose(leader, t1);
        long last = propose(leader, t2);
        cluster.awaitApplied(last, WAIT);
        Map<String, byte[]> before = leader.files();

        // a replayed batch: committed, applied as a no-op everywhere
        long dup = propose(leader, t1);
        assertThat(dup).isGreaterThan(last);
        // a stale batch from another stream at positions the store already has: skipped by position everywhere
        TestStream other = new TestStream(UUID.randomUUID());
        other.start();
        long noop = propose(leader, other.transaction(1, 10));
        assertThat(noop).isGreaterThan(dup);
        // a batch that does not continue the stream (a gap): refused the same way on every node
        stream.transaction(1, 10); // never proposed
        Batch gap = stream.transaction(1, 10);
        assertThatThrownBy(() -> leader.node.proposeEvents(gap.file(), gap.events()).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(ProposalRejectedException.class);
        cluster.awaitApplied(leader.node.appliedIndex(), WAIT);
        for (TestNode n : cluster.running()) {
            assertThat(n.files()).as(n + " unchanged").containsOnlyKeys(before.keySet());
            for (String f : before.keySet()) {
                assertThat(n.files().get(f)).as(n + " " + f).isEqualTo(before.get(f));
            }
        }
        for (TestNode n : cluster.running()) {
            assertThat(n.node.stateMachine().conflicts()).as(n + " conflicts").isEqualTo(1);
        }
    }
}

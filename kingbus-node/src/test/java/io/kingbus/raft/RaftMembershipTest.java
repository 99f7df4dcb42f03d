package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import io.kingbus.testkit.FreePorts;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.kingbus.raft.RaftCatchUpTest.proposeMany;
import static io.kingbus.raft.RaftReplicationTest.assertStores;
import static org.assertj.core.api.Assertions.assertThat;

class RaftMembershipTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(40);


    private static MembershipException.Kind kindOf(ThrowingCall call) {
        try {
            call.run();
        } catch (MembershipException e) {
            return e.kind();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a MembershipException");
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    private void awaitMembers(List<TestNode> on, List<String> names) throws InterruptedException {
        for (TestNode n : on) {
            TestCluster.await(n + " members " + names, WAIT, () -> {
                List<Member> ms = n.node.members();
                return ms.stream().map(Member::name).toList().equals(names)
                        && ms.stream().allMatch(m -> m.adminUrl() != null);
            });
        }
    }

    @Test
    void addedFourthNodeJoinsAndCatchesUpFromFiles() throws Exception {
        cluster = new TestCluster(tmp);
        cluster.snapshotThreshold = 20;
        cluster.segmentBytes = 64 << 10;
        cluster.startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        long last = proposeMany(cluster, stream, 80);
        TestCluster.await("log purged", WAIT, () -> leader.node.logStartIndex() > 1);

        TestNode n4 = cluster.add("n4");
        List<Member> after = leader.node.addMember("n4", n4.peerUrl, null);
        assertThat(after).extracting(Member::name).containsExactly("n1", "n2", "n3", "n4");
        Member added = after.get(3);
        assertThat(added.peerUrl()).isEqualTo(n4.peerUrl);
        assertThat(added.adminUrl()).as("absent until n4 publishes it").isNull();
        assertThat(added.leader()).isFalse();
        assertThat(leader.node.members()).extracting(Member::name).contains("n4");

        // one change at a time
        assertThat(kindOf(() -> leader.node.addMember("n5", "http://127.0.0.1:1", null)))
                .isEqualTo(MembershipException.Kind.CONFLICT);
        // a follower does not change membership
        TestNode follower = cluster.running().stream().filter(n -> n != leader && n != n4).findFirst().orElseThrow();
        assertThat(kindOf(() -> follower.node.addMember("n5", "http://127.0.0.1:1", null)))
                .isEqualTo(MembershipException.Kind.NOT_LEADER);

        long t0 = System.nanoTime();
        n4.start(Map.of(), RaftNodeConfig.ClusterState.EXISTING);
        TestCluster.await("n4 is a caught-up voter", WAIT, () -> n4.node.status().caughtUp()
                && n4.node.status().role().equals("FOLLOWER"));
        System.out.printf("n4 joined and caught up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(n4.node.stateMachine().catchUps()).as("n4 copied files").isGreaterThanOrEqualTo(1);
        awaitMembers(cluster.running(), List.of("n1", "n2", "n3", "n4"));
        for (TestNode n : cluster.running()) {
            assertThat(n.node.members()).filteredOn(m -> m.name().equals("n4")).extracting(Member::adminUrl)
                    .containsExactly(n4.adminUrl);
        }

        last = proposeMany(cluster, stream, 5);
        cluster.awaitApplied(last, WAIT);
        assertStores(cluster, stream);
    }

    @Test
    void aJoiningNodeWhoseRaftServerStoppedServingTheGroupIsUnhealthyButAJoiningOrRemovedOneIsNot() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestNode n4 = cluster.add("n4");
        n4.start(Map.of(), RaftNodeConfig.ClusterState.EXISTING);
        Thread.sleep(3 * TestCluster.ELECTION.toMillis());
        assertThat(n4.node.status().role()).isEqualTo("JOINING");
        assertThat(n4.node.unhealthy()).as("waiting to be added is healthy").isNull();
        // What Ratis does to a server whose pre-vote hears NOT_IN_CONF from the group it was fed a log of.
        n4.node.division().close();
        TestCluster.await("n4 reports that only a restart helps", WAIT, () -> n4.node.unhealthy() != null);
        assertThat(n4.node.unhealthy()).contains("before n4 became a member").contains("restart");

        TestNode victim = cluster.running().stream().filter(n -> n != leader && n != n4).findFirst().orElseThrow();
        leader.node.removeMember(victim.name, victim.peerUrl);
        TestCluster.await(victim + " knows it was removed", WAIT,
                () -> victim.node.status().role().equals("REMOVED"));
        assertThat(victim.node.unhealthy()).as("a removed member idles by design").isNull();
        assertThat(leader.node.unhealthy()).isNull();
    }

    @Test
    void removedMemberStopsTakingPartAndSaysSo() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        long last = proposeMany(cluster, stream, 10);
        cluster.awaitApplied(last, WAIT);
        awaitMembers(cluster.running(), List.of("n1", "n2", "n3"));

        TestNode victim = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        assertThat(kindOf(() -> leader.node.removeMember("nobody", null)))
                .isEqualTo(MembershipException.Kind.NOT_FOUND);
        assertThat(kindOf(() -> leader.node.removeMember(victim.name, "http://127.0.0.1:1")))
                .isEqualTo(MembershipException.Kind.NOT_FOUND);
        List<Member> after = leader.node.removeMember(victim.name, victim.peerUrl);
        assertThat(after).extracting(Member::name).doesNotContain(victim.name).hasSize(2);

        List<TestNode> remaining = cluster.running().stream().filter(n -> n != victim).toList();
        awaitMembers(remaining, remaining.stream().map(n -> n.name).sorted().toList());
        TestCluster.await(victim + " knows it was removed", WAIT,
                () -> victim.node.status().role().equals("REMOVED"));
        assertThat(victim.node.status().caughtUp()).isFalse();

        Map<String, byte[]> victimFiles = victim.files();
        TestStream.Batch more = TestStream.concat(List.of(stream.transaction(2, 50), stream.transaction(1, 60)));
        TestNode current = cluster.awaitLeader(WAIT);
        last = current.node.proposeEvents(more.file(), more.events()).get();
        for (TestNode n : remaining) {
            TestCluster.await(n + " applied", WAIT, () -> n.node.appliedIndex() >= 0
                    && n.node.appliedIndex() >= current.node.appliedIndex());
        }
        for (TestNode n : remaining) {
            Map<String, byte[]> expected = stream.expectedFiles();
            assertThat(n.files().keySet()).containsExactlyElementsOf(expected.keySet());
            for (String f : expected.keySet()) {
                assertThat(n.files().get(f)).isEqualTo(expected.get(f));
            }
        }
        // the removed node does not apply new entries, and the leader is unchanged (it did not disturb the group)
        assertThat(victim.files().keySet()).isEqualTo(victimFiles.keySet());
        for (String f : victimFiles.keySet()) {
            assertThat(victim.files().get(f)).isEqualTo(victimFiles.get(f));
        }
        assertThat(cluster.awaitLeader(WAIT)).isSameAs(current);
    }

    @Test
    void updatedPeerUrlRejoinsAsANewPeer() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        long last = proposeMany(cluster, stream, 10);
        cluster.awaitApplied(last, WAIT);
        awaitMembers(cluster.running(), List.of("n1", "n2", "n3"));

        TestNode moved = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        String oldUrl = moved.peerUrl;
        long oldId = PeerIds.memberId(moved.name, oldUrl, "test-cluster");
        String newUrl = "http://127.0.0.1:" + FreePorts.take();
        List<Member> after = leader.node.updateMember(moved.name, newUrl);
        Member m = after.stream().filter(x -> x.name().equals(moved.name)).findFirst().orElseThrow();
        assertThat(m.peerUrl()).isEqualTo(newUrl);
        assertThat(m.id()).isNotEqualTo(oldId);
        assertThat(kindOf(() -> leader.node.updateMember("nobody", "http://127.0.0.1:2")))
                .isIn(MembershipException.Kind.NOT_FOUND, MembershipException.Kind.CONFLICT);

        moved.stop();
        moved.peerUrl = newUrl;
        long t0 = System.nanoTime();
        moved.start(cluster.initialCluster(), RaftNodeConfig.ClusterState.NEW);
        for (TestNode n : cluster.running()) {
            TestCluster.await(n + " sees " + moved + " at " + newUrl, WAIT, () -> n.node.members().stream()
                    .anyMatch(x -> x.name().equals(moved.name) && x.peerUrl().equals(newUrl) && x.adminUrl() != null)
                    && n.node.members().size() == 3);
        }
        TestCluster.await(moved + " caught up", WAIT, () -> moved.node.status().caughtUp());
        System.out.printf("%s rejoined at its new URL in %d ms%n", moved, (System.nanoTime() - t0) / 1_000_000);

        last = proposeMany(cluster, stream, 5);
        cluster.awaitApplied(last, WAIT);
        assertStores(cluster, stream);
    }

    @Test
    void concurrentChangesAndQuorumLossAreRefused() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        awaitMembers(cluster.running(), List.of("n1", "n2", "n3"));
        List<TestNode> followers = cluster.running().stream().filter(n -> n != leader).toList();

        // an add that never starts: a second change conflicts; removing the pending member cancels it
        String ghostUrl = "http://127.0.0.1:" + FreePorts.take();
        List<Member> withGhost = leader.node.addMember("ghost", ghostUrl, "http://127.0.0.1:1");
        assertThat(withGhost).filteredOn(m -> m.name().equals("ghost")).extracting(Member::adminUrl)
                .containsExactly("http://127.0.0.1:1");
        assertThat(leader.node.members()).extracting(Member::name).contains("ghost");
        MembershipException conflict = null;
        try {
            leader.node.updateMember(followers.get(0).name, "http://127.0.0.1:" + FreePorts.take());
        } catch (MembershipException e) {
            conflict = e;
        }
        assertThat(conflict).isNotNull();
        assertThat(conflict.kind()).isEqualTo(MembershipException.Kind.CONFLICT);
        assertThat(conflict.getMessage()).contains("adding ghost");
        assertThat(kindOf(() -> leader.node.addMember("n1", "http://127.0.0.1:3", null)))
                .isEqualTo(MembershipException.Kind.CONFLICT);
        List<Member> cancelled = leader.node.removeMember("ghost", null);
        assertThat(cancelled).extracting(Member::name).containsExactly("n1", "n2", "n3");
        TestCluster.await("the cancelled add is gone", WAIT, () -> {
            try {
                leader.node.addMember("n2", "http://127.0.0.1:4", null);
                return false;
            } catch (MembershipException e) {
                return !e.getMessage().contains("in progress"); // now it is the duplicate-name conflict
            }
        });
        assertThat(leader.node.members()).extracting(Member::name).containsExactly("n1", "n2", "n3");
        assertThat(kindOf(() -> leader.node.addMember("x", ghostUrl.replace("http", "ftp"), null)))
                .isEqualTo(MembershipException.Kind.BAD_REQUEST);

        // with one follower down, removing the other would leave no running majority
        TestNode down = followers.get(1);
        down.stop();
        TestCluster.await("the leader notices", WAIT, () -> leader.node.unresponsiveMembers().contains(down.name));
        MembershipException refused = null;
        try {
            leader.node.removeMember(followers.get(0).name, null);
        } catch (MembershipException e) {
            refused = e;
        }
        assertThat(refused).as("removal refused").isNotNull();
        assertThat(refused.kind()).isEqualTo(MembershipException.Kind.CONFLICT);
        assertThat(refused.getMessage()).contains("majority");
        assertThat(leader.node.members()).hasSize(3);
    }
}

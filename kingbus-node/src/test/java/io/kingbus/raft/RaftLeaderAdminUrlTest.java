package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower knows the leader's admin URL (to forward leader-only admin calls) before the leader's published URL has
 * been applied on it: the nodes here never publish, as in the moments after an election, so the URL can only come
 * from asking the leader over the PeerInfo service.
 */
class RaftLeaderAdminUrlTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(40);

    @Test
    void followerLearnsEachNewLeadersAdminUrlByAskingIt() throws Exception {
        cluster = new TestCluster(tmp);
        cluster.publishAdminUrls = false;
        cluster.startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestNode follower = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();

        TestCluster.await("the follower knows the leader's admin URL", WAIT,
                () -> leader.adminUrl.equals(follower.node.leader().adminUrl()));
        assertThat(follower.node.leader().name()).isEqualTo(leader.name);
        assertThat(follower.node.members()).filteredOn(Member::leader).extracting(Member::adminUrl)
                .as("nothing was published: /cluster still lists no admin URL").containsExactly((String) null);

        leader.stop();
        TestNode next = cluster.awaitLeader(WAIT);
        TestNode other = cluster.running().stream().filter(n -> n != next).findFirst().orElseThrow();
        TestCluster.await("the other node knows the new leader's admin URL", WAIT,
                () -> other.node.leader() != null && next.adminUrl.equals(other.node.leader().adminUrl()));
        assertThat(other.node.leader().name()).isEqualTo(next.name);
    }
}

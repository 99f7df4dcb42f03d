package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LogAppender;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import static io.kingbus.raft.RaftCatchUpTest.proposeMany;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A follower the leader wrongly believes to hold its whole log (Ratis 3.3: RATIS-2605) is not left behind for good.
 * The wrong belief is put into the leader's view of the follower through Ratis internals (reflection), as it was
 * seen to happen on its own after a leader kill in SyncerLeaderKillTest; the group is idle, as it was then.
 */
class RaftStuckFollowerTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void followerTheLeaderThinksCaughtUpCatchesUpAnyway() throws Exception {
        cluster = new TestCluster(tmp);
        cluster.startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        proposeMany(cluster, stream, 10);
        TestNode follower = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        String followerId = follower.node.division().getId().toString();
        follower.stop();
        long last = proposeMany(cluster, stream, 20);
        assertThat(cluster.awaitLeader(WAIT)).isSameAs(leader);

        FollowerInfo view = followerView(leader.node.division(), followerId);
        view.updateMatchIndex(last);
        view.setNextIndex(last + 1);

        follower.start(java.util.Map.of(), RaftNodeConfig.ClusterState.NEW);
        // without a remedy the leader keeps getting INCONSISTENCY from it and it never catches up (tried: > 60 s)
        TestCluster.await("the follower caught up", WAIT, () -> follower.node.appliedIndex() >= last);
        assertThat(cluster.awaitLeader(WAIT)).as("the old leader handed leadership off").isNotSameAs(leader);
        assertThat(cluster.awaitLeader(WAIT)).as("not to the stuck follower").isNotSameAs(follower);
    }

    private static FollowerInfo followerView(RaftServer.Division leader, String followerId) throws Exception {
        Method getRole = leader.getClass().getDeclaredMethod("getRole");
        getRole.setAccessible(true);
        Object role = getRole.invoke(leader);
        Method getLeaderState = role.getClass().getDeclaredMethod("getLeaderState");
        getLeaderState.setAccessible(true);
        Object state = ((Optional<?>) getLeaderState.invoke(role)).orElseThrow();
        Method getLogAppenders = state.getClass().getDeclaredMethod("getLogAppenders");
        getLogAppenders.setAccessible(true);
        @SuppressWarnings("unchecked")
        Stream<LogAppender> appenders = (Stream<LogAppender>) getLogAppenders.invoke(state);
        return appenders.map(LogAppender::getFollower).filter(f -> f.getId().toString().equals(followerId))
                .findFirst().orElseThrow();
    }
}

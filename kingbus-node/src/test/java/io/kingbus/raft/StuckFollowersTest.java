package io.kingbus.raft;

import io.kingbus.raft.StuckFollowers.Follower;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which followers the leader's watch reports as answering without catching up, and for how long. */
class StuckFollowersTest {
    private static final long S = 1_000_000_000L;

    @Test
    void followerWhoseCommitIndexStaysBehindWhileAnsweringIsReportedWithTheTimeItHasBeenStuck() {
        StuckFollowers w = new StuckFollowers(3000);
        assertThat(w.observe(0, List.of(new Follower("n3", 8120, 8121, 100)), 9000, 1)).isNull();
        StuckFollowers.Stuck s = w.observe(12 * S, List.of(new Follower("n3", 8120, 9001, 200)), 9100, 1);
        assertThat(s).isEqualTo(new StuckFollowers.Stuck("n3", 12 * S));
    }

    @Test
    void followerThatCatchesUpIsNotStuck() {
        StuckFollowers w = new StuckFollowers(3000);
        w.observe(0, List.of(new Follower("n2", 100, 101, 10)), 5000, 1);
        assertThat(w.observe(5 * S, List.of(new Follower("n2", 2000, 2001, 10)), 6000, 1)).isNull();
        StuckFollowers.Stuck s = w.observe(8 * S, List.of(new Follower("n2", 2000, 2001, 10)), 7000, 1);
        assertThat(s.nanos()).as("counted from its last move, not from the first look").isEqualTo(3 * S);
    }

    @Test
    void caughtUpDownOrFileCopyingFollowersAreNotStuck() {
        StuckFollowers w = new StuckFollowers(3000);
        List<Follower> first = List.of(new Follower("idle", 500, 501, 10), new Follower("down", 100, 101, 9000),
                new Follower("copying", 100, 50, 10));
        w.observe(0, first, 500, 200);
        List<Follower> later = List.of(new Follower("idle", 900, 901, 10), new Follower("down", 100, 101, 40_000),
                new Follower("copying", 100, 50, 10));
        assertThat(w.observe(60 * S, later, 900, 200)).isNull();
    }

    @Test
    void aFollowerThatWasCaughtUpCountsFromWhenItFellBehind() {
        StuckFollowers w = new StuckFollowers(3000);
        w.observe(0, List.of(new Follower("n1", 700, 701, 10)), 700, 1);
        assertThat(w.observe(30 * S, List.of(new Follower("n1", 700, 701, 10)), 750, 1)).as("just fell behind").isNull();
        assertThat(w.observe(41 * S, List.of(new Follower("n1", 700, 701, 10)), 800, 1).nanos()).isEqualTo(11 * S);
    }

    @Test
    void theLongestStuckFollowerIsReportedAndGoneFollowersAreForgotten() {
        StuckFollowers w = new StuckFollowers(3000);
        w.observe(0, List.of(new Follower("a", 10, 11, 10)), 100, 1);
        w.observe(5 * S, List.of(new Follower("a", 10, 11, 10), new Follower("b", 20, 21, 10)), 100, 1);
        StuckFollowers.Stuck s = w.observe(9 * S, List.of(new Follower("a", 10, 11, 10),
                new Follower("b", 20, 21, 10)), 100, 1);
        assertThat(s).isEqualTo(new StuckFollowers.Stuck("a", 9 * S));
        w.observe(10 * S, List.of(new Follower("b", 20, 21, 10)), 100, 1);
        assertThat(w.observe(11 * S, List.of(new Follower("a", 10, 11, 10), new Follower("b", 20, 21, 10)), 100, 1))
                .as("a came back: its clock starts again").isEqualTo(new StuckFollowers.Stuck("b", 6 * S));
    }
}

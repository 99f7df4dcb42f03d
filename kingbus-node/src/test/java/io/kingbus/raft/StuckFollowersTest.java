package io.kingbus.raft;

import io.kingbus.raft.StuckFollowers.Follower;
import io.kingbus.raft.StuckFollowers.Stuck;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which followers the leader's watch reports as held back by a wrong view of their log, and for how long. */
class StuckFollowersTest {
    private static final long S = 1_000_000_000L;

    @Test
    void followerCountedAsHoldingCommittedEntriesWhoseCommitIndexStaysBelowThemIsReported() {
        StuckFollowers w = new StuckFollowers(15_000);
        // the leader counts n3 as holding up to 9000, all committed; n3 says its commit index is 8120
        assertThat(w.observe(0, List.of(new Follower("n3", 9000, 8120, 9001, 100)), 9000, 1)).isNull();
        assertThat(w.observe(12 * S, List.of(new Follower("n3", 9000, 8120, 8121, 4000)), 9100, 1))
                .isEqualTo(new Stuck("n3", 9000, 12 * S));
    }

    @Test
    void followerThatCannotTakeEntriesForAnotherReasonIsNotReported() {
        StuckFollowers w = new StuckFollowers(15_000);
        // a slow or refusing follower: its match index stays where its log is, and its commit index reaches it
        w.observe(0, List.of(new Follower("slow", 5000, 5000, 5001, 10)), 9000, 1);
        assertThat(w.observe(60 * S, List.of(new Follower("slow", 5000, 5000, 5001, 10)), 9500, 1)).isNull();
    }

    @Test
    void followerWhoseCommitIndexMovesIsCountedFromItsLastMove() {
        StuckFollowers w = new StuckFollowers(15_000);
        w.observe(0, List.of(new Follower("n2", 3000, 100, 3001, 10)), 5000, 1);
        assertThat(w.observe(5 * S, List.of(new Follower("n2", 3000, 2000, 3001, 10)), 6000, 1)).isNull();
        assertThat(w.observe(8 * S, List.of(new Follower("n2", 3000, 2000, 3001, 10)), 7000, 1).nanos())
                .isEqualTo(3 * S);
    }

    @Test
    void uncommittedMatchDownOrFileCopyingFollowersAreNotReported() {
        StuckFollowers w = new StuckFollowers(15_000);
        List<Follower> first = List.of(
                new Follower("ahead", 900, 500, 901, 10),       // holds entries not committed yet
                new Follower("down", 400, 100, 401, 20_000),     // not heard from
                new Follower("copying", 400, 100, 50, 10));      // told to catch up from files
        w.observe(0, first, 500, 200);
        assertThat(w.observe(60 * S, first, 500, 200)).isNull();
    }

    @Test
    void theLongestStuckFollowerIsReportedAndOneThatRecoversStartsAgain() {
        StuckFollowers w = new StuckFollowers(15_000);
        w.observe(0, List.of(new Follower("a", 90, 10, 91, 10)), 100, 1);
        w.observe(5 * S, List.of(new Follower("a", 90, 10, 91, 10), new Follower("b", 90, 20, 91, 10)), 100, 1);
        assertThat(w.observe(9 * S, List.of(new Follower("a", 90, 10, 91, 10), new Follower("b", 90, 20, 91, 10)),
                100, 1)).isEqualTo(new Stuck("a", 90, 9 * S));
        w.observe(10 * S, List.of(new Follower("a", 90, 90, 91, 10), new Follower("b", 90, 20, 91, 10)), 100, 1);
        assertThat(w.observe(11 * S, List.of(new Follower("a", 95, 10, 96, 10), new Follower("b", 90, 20, 91, 10)),
                100, 1)).as("a caught up in between: its clock starts again").isEqualTo(new Stuck("b", 90, 6 * S));
    }
}

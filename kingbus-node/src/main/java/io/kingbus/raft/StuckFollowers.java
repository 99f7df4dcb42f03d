package io.kingbus.raft;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Spots, on the leader, a follower that answers but never catches up. Ratis 3.3 can get a leader's view of a
 * follower's log ahead of the follower's real log (RATIS-2605, fixed after 3.3.0); its back-off after an INCONSISTENCY
 * reply then stops at that wrong index whenever the reply's request is no longer pending, which is always the case on
 * an idle group (overlapping heartbeats): the follower answers every heartbeat with INCONSISTENCY for as long as the
 * leader lives (new entries to send do not change that). Seen here after a killed leader came back as a follower. A
 * fresh leader starts from a clean view: {@link RaftNode} hands leadership off when a follower is reported here.
 *
 * <p>A follower counts as stuck while its commit index (as its replies last told the leader) stays below the leader's,
 * it keeps answering (the stuck leader's requests come seconds apart), and it is not being told to catch up from files (its next index is at or past the start of the
 * leader's log). A follower that is down, catching up (its commit index moves) or caught up is not.
 * One instance per leadership term; the watch thread only.
 */
final class StuckFollowers {
    /** What the leader knows of one follower now. */
    record Follower(String id, long commitIndex, long nextIndex, long lastRpcElapsedMillis) {
    }

    /** A follower that has not moved for {@code nanos}. */
    record Stuck(String id, long nanos) {
    }

    private record Progress(long commitIndex, long sinceNanos) {
    }

    private final long answeringMillis;
    private final Map<String, Progress> progress = new HashMap<>();

    /** @param answeringMillis a follower heard from longer ago than this is down, not stuck */
    StuckFollowers(long answeringMillis) {
        this.answeringMillis = answeringMillis;
    }

    /**
     * Records the leader's view at {@code nowNanos}; returns the follower that has been stuck longest, or null.
     *
     * @param commitIndex the leader's commit index
     * @param startIndex  the first index still in the leader's log (before it: catch-up from files)
     */
    Stuck observe(long nowNanos, List<Follower> followers, long commitIndex, long startIndex) {
        Set<String> seen = new HashSet<>();
        Stuck longest = null;
        for (Follower f : followers) {
            seen.add(f.id());
            Progress p = progress.get(f.id());
            boolean behind = f.commitIndex() < commitIndex && f.nextIndex() >= startIndex
                    && f.lastRpcElapsedMillis() <= answeringMillis;
            if (p == null || p.commitIndex() != f.commitIndex() || !behind) {
                progress.put(f.id(), new Progress(f.commitIndex(), behind ? nowNanos : Long.MAX_VALUE));
                continue;
            }
            if (p.sinceNanos() == Long.MAX_VALUE) {
                progress.put(f.id(), new Progress(f.commitIndex(), nowNanos));
                continue;
            }
            long nanos = nowNanos - p.sinceNanos();
            if (longest == null || nanos > longest.nanos()) {
                longest = new Stuck(f.id(), nanos);
            }
        }
        progress.keySet().retainAll(seen);
        return longest;
    }
}

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
 * <p>The sign of exactly that: the leader counts the follower as holding entries up to its match index, those entries
 * are committed, and yet the follower's commit index (as its replies last told the leader) stays below that match
 * index, while the follower keeps answering (the stuck leader's requests come seconds apart) and is not being told to
 * catch up from files (its next index is at or past the start of the leader's log). A healthy follower's commit index
 * reaches the committed part of what it holds within a heartbeat; a follower that cannot take entries for another
 * reason (a slow disk, a refused message) has a match index that does not run ahead of its log, so it is not reported.
 * One instance per leadership term; the watch thread only.
 */
final class StuckFollowers {
    /** What the leader knows of one follower now. */
    record Follower(String id, long matchIndex, long commitIndex, long nextIndex, long lastRpcElapsedMillis) {
    }

    /** A follower whose commit index has stayed below its (committed) match index for {@code nanos}. */
    record Stuck(String id, long matchIndex, long nanos) {
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
            boolean behind = f.commitIndex() < f.matchIndex() && f.matchIndex() <= commitIndex
                    && f.nextIndex() >= startIndex && f.lastRpcElapsedMillis() <= answeringMillis;
            if (!behind) {
                progress.remove(f.id());
                continue;
            }
            if (p == null || p.commitIndex() != f.commitIndex()) {
                progress.put(f.id(), new Progress(f.commitIndex(), nowNanos));
                continue;
            }
            long nanos = nowNanos - p.sinceNanos();
            if (longest == null || nanos > longest.nanos()) {
                longest = new Stuck(f.id(), f.matchIndex(), nanos);
            }
        }
        progress.keySet().retainAll(seen);
        return longest;
    }
}

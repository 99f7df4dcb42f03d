package io.kingbus.raft;

/**
 * This node's view of the raft group, for /ready, /metrics and status.
 *
 * @param role           LEADER, FOLLOWER, CANDIDATE, LISTENER, or REMOVED (not in the configuration any more);
 *                       also JOINING (started with {@code existing}, not added yet), FAILED (the store failed
 *                       while applying; the node is halting) and STOPPED (not running)
 * @param leaderName     the current leader's name, or null
 * @param caughtUp       a voting member whose applied index is within a small gap of the leader's commit index
 */
public record RaftNodeStatus(String name, String role, long term, long commitIndex, long appliedIndex,
                             String leaderName, boolean caughtUp, long storeBytes, long eventsApplied,
                             long bytesApplied) {
}

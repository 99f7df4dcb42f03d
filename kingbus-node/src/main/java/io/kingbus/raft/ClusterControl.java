package io.kingbus.raft;

import java.util.List;

/**
 * What the admin API needs from the raft node. Changes run on the leader only: on a follower they throw
 * {@link MembershipException.Kind#NOT_LEADER}, and the admin API forwards the request to the leader's admin URL.
 */
public interface ClusterControl {

    /** The members as this node knows them (answered locally). */
    List<Member> members();

    /** The current leader, or null when there is none. */
    Member leader();

    boolean isLeader();

    RaftNodeStatus status();

    /**
     * Why this node cannot go on without a restart, or null while it is healthy (GET /health answers 503 with it,
     * so a supervisor such as a kubelet's liveness probe restarts the process).
     */
    default String unhealthy() {
        return null;
    }

    /**
     * Adds a member (one change at a time). Returns at once with the member list that includes it; the new
     * node is then started with {@code initial-cluster-state: existing} and becomes a voter once caught up.
     */
    List<Member> addMember(String name, String peerUrl, String adminUrl) throws MembershipException;

    /** Removes a member; refused when it would leave the group without a quorum of running voters. */
    List<Member> removeMember(String name, String peerUrl) throws MembershipException;

    /** Moves a member to a new peer URL (Ratis cannot change an address in place: remove + re-add). */
    List<Member> updateMember(String name, String newPeerUrl) throws MembershipException;
}

package io.kingbus.raft;

/** A leader-only operation reached a node that is not the leader; {@link #leader()} is the leader if known. */
public class NotLeaderException extends Exception {
    private final Member leader;

    public NotLeaderException(Member leader) {
        this(leader == null ? "this node is not the leader and no leader is known"
                : "this node is not the leader; the leader is " + leader.name()
                + (leader.adminUrl() == null ? "" : " (" + leader.adminUrl() + ")"), leader);
    }

    public NotLeaderException(String message, Member leader) {
        super(message);
        this.leader = leader;
    }

    /** The current leader, or null when there is none. */
    public Member leader() {
        return leader;
    }
}

package io.kingbus.raft;

/** A membership change or query that cannot be done; {@link #kind()} maps to the HTTP status. */
public class MembershipException extends Exception {

    /** Why it failed. */
    public enum Kind {
        /** Bad arguments (400). */
        BAD_REQUEST,
        /** No such member (404). */
        NOT_FOUND,
        /** Another change is in flight, the member already exists, or the change would lose quorum (409). */
        CONFLICT,
        /** This node is not the leader; the caller should forward to the leader (or 503 if unknown). */
        NOT_LEADER,
        /** The group has no leader right now (503). */
        NO_LEADER,
        /** Anything else (500). */
        INTERNAL
    }

    private final Kind kind;

    public MembershipException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public MembershipException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}

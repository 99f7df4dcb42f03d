package io.kingbus.binlog;

import io.kingbus.gtid.Gtid;

/**
 * Follows a stream of events and says where each transaction starts and ends, and when its GTID becomes
 * executed. A transaction is: GTID … XID; GTID, BEGIN … COMMIT/ROLLBACK query; GTID + one DDL query;
 * GTID + XA_PREPARE; GTID + one TRANSACTION_PAYLOAD (8.0.20+ compression). Events outside a transaction
 * (FORMAT_DESCRIPTION, PREVIOUS_GTIDS, ROTATE, STOP, INCIDENT, …) are complete units on their own.
 * Heartbeats are not part of the stream and leave the state alone.
 *
 * <p>A new GTID, FORMAT_DESCRIPTION or ROTATE inside a transaction means the transaction was torn
 * (the writer died mid-transaction): {@link Step#abandonedPartial()} says so and tracking restarts.
 */
public final class TransactionTracker {

    /** What one event did to the stream. */
    public enum Role {
        /** A complete unit by itself, outside any transaction. */
        STANDALONE,
        /** Opens a transaction (GTID, ANONYMOUS_GTID, or a BEGIN without a GTID). */
        START,
        /** Inside an open transaction. */
        MIDDLE,
        /** Completes the open transaction. */
        END,
        /** Heartbeats and other events that are not part of the binlog. */
        IGNORED
    }

    /** The outcome of one event: its role, and for END the completed GTID (null if anonymous). */
    public record Step(Role role, Gtid completedGtid, boolean abandonedPartial) {
        /** True when the stream is at a transaction boundary after this event. */
        public boolean atBoundary() {
            return role == Role.STANDALONE || role == Role.END;
        }
    }

    private enum State { IDLE, AFTER_GTID, IN_GROUP }

    private static final Step STANDALONE = new Step(Role.STANDALONE, null, false);
    private static final Step STANDALONE_ABANDONING = new Step(Role.STANDALONE, null, true);
    private static final Step START = new Step(Role.START, null, false);
    private static final Step START_ABANDONING = new Step(Role.START, null, true);
    private static final Step MIDDLE = new Step(Role.MIDDLE, null, false);
    private static final Step IGNORED = new Step(Role.IGNORED, null, false);

    private ChecksumType checksum;
    private FormatDescription formatDescription;
    private State state = State.IDLE;
    private Gtid currentGtid;

    public TransactionTracker(ChecksumType checksum) {
        this.checksum = checksum;
    }

    public boolean inTransaction() {
        return state != State.IDLE;
    }

    /** The GTID of the open transaction, or null. */
    public Gtid currentGtid() {
        return currentGtid;
    }

    public ChecksumType checksum() {
        return checksum;
    }

    /** Forgets an open transaction (its events were discarded). */
    public void reset() {
        state = State.IDLE;
        currentGtid = null;
    }

    public Step accept(BinlogEvent event) {
        int type = event.type();
        if (EventType.isHeartbeat(type)) {
            return IGNORED;
        }
        boolean abandoning = state != State.IDLE;
        switch (type) {
            case EventType.FORMAT_DESCRIPTION -> {
                formatDescription = FormatDescription.decode(event);
                checksum = formatDescription.checksum();
                reset();
                return abandoning ? STANDALONE_ABANDONING : STANDALONE;
            }
            case EventType.ROTATE -> {
                reset();
                return abandoning ? STANDALONE_ABANDONING : STANDALONE;
            }
            case EventType.GTID, EventType.ANONYMOUS_GTID -> {
                Gtid gtid = GtidEvent.decode(event, checksum).gtid(); // may throw: decide before changing state
                state = State.AFTER_GTID;
                currentGtid = gtid;
                return abandoning ? START_ABANDONING : START;
            }
            case EventType.QUERY -> {
                return query(QueryEvent.statementOf(event, checksum, formatDescription));
            }
            default -> {
                return byType(type);
            }
        }
    }

    /**
     * The role of an event accepted without its body: one too big to hold in memory (stored in parts). Only for
     * types whose role does not depend on content, and QUERY events too long to be BEGIN, COMMIT or ROLLBACK
     * (the caller checks the size); FORMAT_DESCRIPTION, ROTATE and GTID events must go through {@link #accept}.
     */
    public Step acceptOpaque(int type) {
        switch (type) {
            case EventType.FORMAT_DESCRIPTION, EventType.ROTATE, EventType.GTID, EventType.ANONYMOUS_GTID,
                    EventType.PREVIOUS_GTIDS -> throw new IllegalArgumentException("a " + EventType.name(type)
                    + " event must be decoded to be tracked");
            case EventType.QUERY -> {
                return query(QueryEvent.Statement.OTHER);
            }
            default -> {
                return EventType.isHeartbeat(type) ? IGNORED : byType(type);
            }
        }
    }

    private Step query(QueryEvent.Statement query) {
        if (state == State.AFTER_GTID) {
            if (query == QueryEvent.Statement.BEGIN) {
                state = State.IN_GROUP;
                return MIDDLE;
            }
            return end(); // a DDL (or any single statement) is its own transaction
        }
        if (state == State.IN_GROUP) {
            return query == QueryEvent.Statement.COMMIT_OR_ROLLBACK ? end() : MIDDLE;
        }
        if (query == QueryEvent.Statement.BEGIN) { // BEGIN without a GTID event: gtid_mode OFF
            state = State.IN_GROUP;
            currentGtid = null;
            return START;
        }
        return STANDALONE;
    }

    private Step byType(int type) {
        boolean abandoning = state != State.IDLE;
        switch (type) {
            case EventType.STOP -> {
                reset();
                return abandoning ? STANDALONE_ABANDONING : STANDALONE;
            }
            case EventType.XID, EventType.XA_PREPARE -> {
                return state == State.IDLE ? STANDALONE : end();
            }
            case EventType.TRANSACTION_PAYLOAD -> {
                return state == State.AFTER_GTID ? end() : (state == State.IDLE ? STANDALONE : MIDDLE);
            }
            default -> {
                if (state == State.AFTER_GTID) {
                    state = State.IN_GROUP; // row events without BEGIN do not occur in MySQL; be lenient
                }
                return state == State.IDLE ? STANDALONE : MIDDLE;
            }
        }
    }

    private Step end() {
        Step step = new Step(Role.END, currentGtid, false);
        reset();
        return step;
    }
}

package io.kingbus.binlog;

import io.kingbus.gtid.GtidSet;

/**
 * MySQL's skip in a GTID dump: says, event by event, whether an event belongs to a transaction whose GTID a
 * given set already contains. Events outside transactions (FORMAT_DESCRIPTION, ROTATE, …) are never skipped.
 */
public final class ContainedTransactionFilter {
    private final GtidSet have;
    private final TransactionTracker tracker = new TransactionTracker(ChecksumType.OFF);
    private boolean skipping;

    public ContainedTransactionFilter(GtidSet have) {
        this.have = have;
    }

    /** Tells the filter which checksum the events of a file use (from its FORMAT_DESCRIPTION). */
    public void formatDescription(BinlogEvent fde) {
        tracker.accept(fde);
    }

    /** True when the event is part of a transaction the set contains. Call for every event, in order. */
    public boolean skips(BinlogEvent event) {
        return skips(tracker.accept(event));
    }

    /**
     * {@link #skips(BinlogEvent)} for an event not read: one whose role its type tells, at least
     * {@link io.kingbus.store.BinlogStore#MIN_PARTED_EVENT_BYTES} long when a QUERY (see
     * {@link TransactionTracker#acceptOpaque}).
     */
    public boolean skipsOpaque(int type) {
        return skips(tracker.acceptOpaque(type));
    }

    private boolean skips(TransactionTracker.Step step) {
        switch (step.role()) {
            case START -> {
                skipping = tracker.currentGtid() != null && have.contains(tracker.currentGtid());
                return skipping;
            }
            case MIDDLE -> {
                return skipping;
            }
            case END -> {
                boolean s = skipping;
                skipping = false;
                return s;
            }
            default -> {
                skipping = false;
                return false;
            }
        }
    }
}

package io.kingbus.raft;

/**
 * A proposal was committed at {@link #index()} but the store refused its events there (they do not continue the
 * stored stream, e.g. a stale proposal from a deposed leader). Every node refused it the same way.
 */
public class ProposalRejectedException extends Exception {
    private final long index;

    public ProposalRejectedException(long index, String reason) {
        super("raft entry " + index + " was not applied: " + reason);
        this.index = index;
    }

    public long index() {
        return index;
    }
}

package io.kingbus.raft;

/**
 * A binlog event is bigger than the largest raft entry this node accepts ({@link RaftNode#maxEventBytes()}): it
 * cannot be replicated, and proposing it again will not help.
 */
public class EventTooLargeException extends IllegalArgumentException {
    private final long eventBytes;
    private final long maxEventBytes;

    public EventTooLargeException(long eventBytes, long maxEventBytes) {
        super("an event of " + eventBytes + " bytes exceeds the largest raft entry (at most " + maxEventBytes
                + " bytes of event fit in one)");
        this.eventBytes = eventBytes;
        this.maxEventBytes = maxEventBytes;
    }

    public long eventBytes() {
        return eventBytes;
    }

    public long maxEventBytes() {
        return maxEventBytes;
    }
}

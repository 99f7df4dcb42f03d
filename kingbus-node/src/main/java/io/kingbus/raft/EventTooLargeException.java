package io.kingbus.raft;

/**
 * A binlog event is bigger than the largest event this node replicates ({@link RaftNode#maxEventBytes()}, MySQL's
 * 1 GiB max_allowed_packet): it cannot be replicated, and proposing it again will not help.
 */
public class EventTooLargeException extends IllegalArgumentException {
    private final long eventBytes;
    private final long maxEventBytes;

    public EventTooLargeException(long eventBytes, long maxEventBytes) {
        super("an event of " + eventBytes + " bytes exceeds the largest binlog event kingbus replicates ("
                + maxEventBytes + " bytes)");
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

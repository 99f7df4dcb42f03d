package io.kingbus.syncer;

/**
 * A binlog event is arriving that is bigger than the dump may hold in memory ({@link DumpConfig#eventMemoryLimit()}),
 * known from its header before the rest of it is read. Reading it would run the JVM out of heap; reading it again
 * will not help.
 */
public final class EventOverMemoryException extends RuntimeException {
    public EventOverMemoryException(long eventBytes, long limitBytes) {
        super("a binlog event of " + eventBytes + " bytes is arriving, more than this node can hold in memory ("
                + limitBytes + " bytes)");
    }
}

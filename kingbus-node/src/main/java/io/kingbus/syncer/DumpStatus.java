package io.kingbus.syncer;

/**
 * A snapshot of a dump client.
 *
 * @param primary                 null until the login and preamble succeeded
 * @param lastError               the error that ended the session, or null
 * @param bytesReceived           bytes read from the socket (after TLS)
 * @param file                    the binlog file being streamed, from ROTATE and heartbeat events
 * @param position                the end position of the last event or heartbeat in {@code file}
 * @param lastEventTimestamp      the header timestamp (primary clock, seconds) of the last non-artificial event;
 *                                0 before the first
 * @param lastEventReceivedMillis when that event arrived (this host's clock), 0 before the first
 * @param queuedBytes             bytes received but not yet handed to the listener
 */
public record DumpStatus(State state, boolean connected, PrimaryInfo primary, SyncerException lastError,
                         long bytesReceived, long eventsReceived, long heartbeatsReceived, long acksSent,
                         String file, long position, long lastEventTimestamp, long lastEventReceivedMillis,
                         long queuedBytes) {

    public enum State {
        NEW,
        CONNECTING,
        AUTHENTICATING,
        PREAMBLE,
        STREAMING,
        /** A non-blocking dump reached the end of the primary's binlog. */
        ENDED,
        /** Closed by {@link BinlogDumpClient#close()}. */
        CLOSED,
        /** Ended by an error; see {@link #lastError()}. */
        FAILED
    }

    /** MySQL's message (or ours) of the last error, or null. */
    public String lastErrorMessage() {
        return lastError == null ? null : lastError.getMessage();
    }
}

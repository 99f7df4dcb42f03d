package io.kingbus.syncer;

/**
 * Receives a dump session's events, in stream order, on the session's own thread (never a Netty thread). A slow
 * listener slows the primary down (the client stops reading the socket while its queue is full) rather than filling
 * memory. An exception ends the session with {@link SyncerException.Kind#LISTENER}.
 */
public interface BinlogListener {
    /** Called once the login and the replica preamble succeeded, just before the dump command is sent. */
    default void onConnected(PrimaryInfo primary) throws Exception {
    }

    /** Every event the primary sends: the fake ROTATE, FORMAT_DESCRIPTION, transactions, heartbeats. */
    void onEvent(ReceivedEvent event) throws Exception;
}

package io.kingbus.syncer;

import io.kingbus.protocol.ErrPacket;

/**
 * Why a dump session ended. {@link #kind()} says what failed; for errors the primary sent, {@link #errorCode()} and
 * {@link #sqlState()} carry MySQL's code (e.g. 1236 when the primary purged GTIDs the replica needs, 1045 for a wrong
 * password) and the message is MySQL's text.
 */
public class SyncerException extends RuntimeException {
    /** What failed. */
    public enum Kind {
        /** TCP connect failed or timed out (wrong address or port, primary down). */
        CONNECT(true),
        /** The primary refused the login (wrong password, unknown user, unsupported plugin...). */
        AUTH(false),
        /** The TLS handshake failed, or TLS was required and the primary does not offer it. */
        TLS(false),
        /** The primary does not fit: GTID mode not ON, binlog format not ROW, same server_id or server_uuid. */
        INCOMPATIBLE_PRIMARY(false),
        /** The primary answered a command or ended the dump with an ERR packet (code and message kept). */
        SERVER_ERROR(false),
        /** A malformed, out-of-order or oversized packet. */
        PROTOCOL(true),
        /** An event's CRC32 did not match: the event was not passed on. */
        CHECKSUM(true),
        /** The connection closed or broke (primary restarted, network reset). */
        DISCONNECTED(true),
        /** Nothing arrived from the primary for longer than the configured timeout. */
        TIMEOUT(true),
        /** The listener threw; the session ended with its exception as the cause. */
        LISTENER(false);

        private final boolean transientByNature;

        Kind(boolean transientByNature) {
            this.transientByNature = transientByNature;
        }

        /** True for failures that a reconnect may cure by itself. */
        public boolean isTransient() {
            return transientByNature;
        }
    }

    private final Kind kind;
    private final int errorCode;
    private final String sqlState;

    public SyncerException(Kind kind, String message) {
        this(kind, message, 0, null, null);
    }

    public SyncerException(Kind kind, String message, Throwable cause) {
        this(kind, message, 0, null, cause);
    }

    public SyncerException(Kind kind, String message, int errorCode, String sqlState, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.errorCode = errorCode;
        this.sqlState = sqlState;
    }

    /** An ERR packet from the primary: the message is {@code context: ERROR code (state): MySQL's message}. */
    public static SyncerException fromErr(Kind kind, String context, ErrPacket err) {
        return new SyncerException(kind, context + ": " + err, err.errorCode(), err.sqlState(), null);
    }

    public Kind kind() {
        return kind;
    }

    /** MySQL's error code, or 0 when the primary sent no ERR packet. */
    public int errorCode() {
        return errorCode;
    }

    /** MySQL's SQL state, or null. */
    public String sqlState() {
        return sqlState;
    }

    /**
     * True when retrying soon may help: network trouble, timeouts, a restarting primary (ERR 1053), and
     * MySQL's "too many connections" (1040). Purged GTIDs (1236), bad credentials and an incompatible primary need
     * an operator, though a reconnect loop may still retry them slowly.
     */
    public boolean isTransient() {
        if (kind == Kind.SERVER_ERROR || kind == Kind.AUTH) {
            return errorCode == 1053 || errorCode == 1040 || errorCode == 1129 || errorCode == 1317;
        }
        return kind.isTransient();
    }
}

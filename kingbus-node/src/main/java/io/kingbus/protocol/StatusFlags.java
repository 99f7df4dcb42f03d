package io.kingbus.protocol;

/** Server status flags of OK and EOF packets (MySQL's SERVER_STATUS_* / SERVER_*), the ones kingbus uses. */
public final class StatusFlags {
    public static final int IN_TRANS = 1;
    public static final int AUTOCOMMIT = 1 << 1;
    public static final int MORE_RESULTS_EXISTS = 1 << 3;
    public static final int SESSION_STATE_CHANGED = 1 << 14;

    private StatusFlags() {
    }
}

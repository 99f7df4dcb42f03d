package io.kingbus.binlog;

/**
 * QUERY_EVENT: a statement (DDL, BEGIN, COMMIT, or statement-based DML). Only the status variables
 * needed for the transaction boundary and for SHOW BINLOG EVENTS are decoded; the rest are skipped.
 */
public record QueryEvent(long threadId, long execTime, int errorCode, String database, String query, long ddlXid,
                         boolean suppressUse) {

    /** Status variable codes (MySQL's Query_event_status_vars). */
    private static final int Q_FLAGS2 = 0;
    private static final int Q_SQL_MODE = 1;
    private static final int Q_CATALOG = 2;
    private static final int Q_AUTO_INCREMENT = 3;
    private static final int Q_CHARSET = 4;
    private static final int Q_TIME_ZONE = 5;
    private static final int Q_CATALOG_NZ = 6;
    private static final int Q_LC_TIME_NAMES = 7;
    private static final int Q_CHARSET_DATABASE = 8;
    private static final int Q_TABLE_MAP_FOR_UPDATE = 9;
    private static final int Q_MASTER_DATA_WRITTEN = 10;
    private static final int Q_INVOKER = 11;
    private static final int Q_UPDATED_DB_NAMES = 12;
    private static final int Q_MICROSECONDS = 13;
    private static final int Q_COMMIT_TS = 14;
    private static final int Q_COMMIT_TS2 = 15;
    private static final int Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP = 16;
    private static final int Q_DDL_LOGGED_WITH_XID = 17;
    private static final int Q_DEFAULT_COLLATION_FOR_UTF8MB4 = 18;
    private static final int Q_SQL_REQUIRE_PRIMARY_KEY = 19;
    private static final int Q_DEFAULT_TABLE_ENCRYPTION = 20;
    private static final int OVER_MAX_DBS_IN_EVENT_MTS = 254;
    private static final int LOG_EVENT_SUPPRESS_USE_F = 0x8;

    public static final long NO_XID = -1;

    public static QueryEvent decode(BinlogEvent event, ChecksumType checksum, FormatDescription fd) {
        ByteReader r = event.body(checksum);
        int postHeader = fd == null ? 13 : fd.postHeaderLength(EventType.QUERY);
        int bodyStart = r.offset();
        long threadId = r.u32();
        long execTime = r.u32();
        int dbLength = r.u8();
        int errorCode = r.u16();
        int statusLength = postHeader >= 13 ? r.u16() : 0;
        r.skip(postHeader - (r.offset() - bodyStart));
        ByteReader status = new ByteReader(r.array(), r.offset(), r.offset() + Math.min(statusLength, r.remaining()));
        r.skip(statusLength);
        long ddlXid = ddlXid(status);
        String db = r.string(dbLength);
        r.skip(1); // NUL after the database name
        String query = r.restAsString();
        return new QueryEvent(threadId, execTime, errorCode, db, query, ddlXid,
                (event.flags() & LOG_EVENT_SUPPRESS_USE_F) != 0);
    }

    /** What a statement means to a transaction's boundaries ({@link #isBegin}, {@link #isCommitOrRollback}). */
    public enum Statement { BEGIN, COMMIT_OR_ROLLBACK, OTHER }

    /**
     * The statement's role, as {@code decode(...).isBegin()} / {@code isCommitOrRollback()} say it, with the same
     * checks as {@link #decode} but without building strings: the transaction tracker asks this of every
     * BEGIN and COMMIT it sees.
     */
    public static Statement statementOf(BinlogEvent event, ChecksumType checksum, FormatDescription fd) {
        ByteReader r = event.body(checksum);
        int postHeader = fd == null ? 13 : fd.postHeaderLength(EventType.QUERY);
        int bodyStart = r.offset();
        r.skip(8); // thread id, exec time
        int dbLength = r.u8();
        r.skip(2); // error code
        int statusLength = postHeader >= 13 ? r.u16() : 0;
        r.skip(postHeader - (r.offset() - bodyStart));
        ByteReader status = new ByteReader(r.array(), r.offset(), r.offset() + Math.min(statusLength, r.remaining()));
        r.skip(statusLength);
        ddlXid(status);
        r.skip(dbLength);
        r.skip(1); // NUL after the database name
        byte[] a = r.array();
        int from = r.offset();
        int n = r.remaining();
        for (int i = from; i < from + n; i++) {
            if (a[i] < 0) { // not ASCII: compare as decode does (Unicode case rules)
                QueryEvent q = decode(event, checksum, fd);
                return q.isBegin() ? Statement.BEGIN : q.isCommitOrRollback() ? Statement.COMMIT_OR_ROLLBACK
                        : Statement.OTHER;
            }
        }
        if (asciiEqualsIgnoreCase(a, from, n, "BEGIN") || (n >= 8 && asciiEqualsIgnoreCase(a, from, 8, "XA START"))) {
            return Statement.BEGIN;
        }
        return asciiEqualsIgnoreCase(a, from, n, "COMMIT") || asciiEqualsIgnoreCase(a, from, n, "ROLLBACK")
                ? Statement.COMMIT_OR_ROLLBACK : Statement.OTHER;
    }

    private static boolean asciiEqualsIgnoreCase(byte[] a, int from, int n, String word) {
        if (n != word.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            int c = a[from + i];
            if (c >= 'a' && c <= 'z') {
                c -= 'a' - 'A';
            }
            if (c != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Walks the status variables for Q_DDL_LOGGED_WITH_XID; stops at an unknown code, as MySQL does. */
    private static long ddlXid(ByteReader s) {
        while (s.remaining() > 0) {
            int code = s.u8();
            switch (code) {
                case Q_FLAGS2, Q_AUTO_INCREMENT, Q_MASTER_DATA_WRITTEN -> s.skip(4);
                case Q_SQL_MODE, Q_TABLE_MAP_FOR_UPDATE -> s.skip(8);
                case Q_CATALOG -> s.skip(s.u8() + 1L);
                case Q_CHARSET -> s.skip(6);
                case Q_TIME_ZONE, Q_CATALOG_NZ -> s.skip(s.u8());
                case Q_LC_TIME_NAMES, Q_CHARSET_DATABASE, Q_DEFAULT_COLLATION_FOR_UTF8MB4 -> s.skip(2);
                case Q_INVOKER -> {
                    s.skip(s.u8());
                    s.skip(s.u8());
                }
                case Q_UPDATED_DB_NAMES -> {
                    int count = s.u8();
                    if (count != OVER_MAX_DBS_IN_EVENT_MTS) {
                        for (int i = 0; i < count; i++) {
                            while (s.u8() != 0) {
                                // database names are NUL-terminated
                            }
                        }
                    }
                }
                case Q_MICROSECONDS -> s.skip(3);
                case Q_COMMIT_TS -> s.skip(8);
                case Q_COMMIT_TS2 -> s.skip(8);
                case Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP, Q_SQL_REQUIRE_PRIMARY_KEY, Q_DEFAULT_TABLE_ENCRYPTION -> s.skip(1);
                case Q_DDL_LOGGED_WITH_XID -> {
                    return s.u64();
                }
                default -> {
                    return NO_XID;
                }
            }
        }
        return NO_XID;
    }

    public boolean isBegin() {
        return query.equalsIgnoreCase("BEGIN") || query.regionMatches(true, 0, "XA START", 0, 8);
    }

    /** A COMMIT/ROLLBACK statement that ends a BEGIN…COMMIT group (non-transactional engines). */
    public boolean isCommitOrRollback() {
        return query.equalsIgnoreCase("COMMIT") || query.equalsIgnoreCase("ROLLBACK");
    }

    /** The Info text of SHOW BINLOG EVENTS: "use `db`; statement", plus MySQL 8.0's "/* xid=N * /" for atomic DDL. */
    public String info() {
        StringBuilder sb = new StringBuilder();
        if (!suppressUse && !database.isEmpty()) {
            sb.append("use `").append(database.replace("`", "``")).append("`; ");
        }
        sb.append(query);
        if (ddlXid != NO_XID) {
            sb.append(" /* xid=").append(Long.toUnsignedString(ddlXid)).append(" */");
        }
        return sb.toString();
    }
}

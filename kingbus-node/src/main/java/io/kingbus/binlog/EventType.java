package io.kingbus.binlog;

/** Binlog event type codes (MySQL's Log_event_type) and the names MySQL's SHOW BINLOG EVENTS prints. */
public final class EventType {
    public static final int UNKNOWN = 0;
    public static final int START_V3 = 1;
    public static final int QUERY = 2;
    public static final int STOP = 3;
    public static final int ROTATE = 4;
    public static final int INTVAR = 5;
    public static final int LOAD = 6;
    public static final int SLAVE = 7;
    public static final int CREATE_FILE = 8;
    public static final int APPEND_BLOCK = 9;
    public static final int EXEC_LOAD = 10;
    public static final int DELETE_FILE = 11;
    public static final int NEW_LOAD = 12;
    public static final int RAND = 13;
    public static final int USER_VAR = 14;
    public static final int FORMAT_DESCRIPTION = 15;
    public static final int XID = 16;
    public static final int BEGIN_LOAD_QUERY = 17;
    public static final int EXECUTE_LOAD_QUERY = 18;
    public static final int TABLE_MAP = 19;
    public static final int PRE_GA_WRITE_ROWS = 20;
    public static final int PRE_GA_UPDATE_ROWS = 21;
    public static final int PRE_GA_DELETE_ROWS = 22;
    public static final int WRITE_ROWS_V1 = 23;
    public static final int UPDATE_ROWS_V1 = 24;
    public static final int DELETE_ROWS_V1 = 25;
    public static final int INCIDENT = 26;
    public static final int HEARTBEAT = 27;
    public static final int IGNORABLE = 28;
    public static final int ROWS_QUERY = 29;
    public static final int WRITE_ROWS = 30;
    public static final int UPDATE_ROWS = 31;
    public static final int DELETE_ROWS = 32;
    public static final int GTID = 33;
    public static final int ANONYMOUS_GTID = 34;
    public static final int PREVIOUS_GTIDS = 35;
    public static final int TRANSACTION_CONTEXT = 36;
    public static final int VIEW_CHANGE = 37;
    public static final int XA_PREPARE = 38;
    public static final int PARTIAL_UPDATE_ROWS = 39;
    public static final int TRANSACTION_PAYLOAD = 40;
    public static final int HEARTBEAT_V2 = 41;

    private static final String[] NAMES = new String[42];

    static {
        NAMES[START_V3] = "Start_v3";
        NAMES[QUERY] = "Query";
        NAMES[STOP] = "Stop";
        NAMES[ROTATE] = "Rotate";
        NAMES[INTVAR] = "Intvar";
        NAMES[LOAD] = "Load";
        NAMES[CREATE_FILE] = "Create_file";
        NAMES[APPEND_BLOCK] = "Append_block";
        NAMES[EXEC_LOAD] = "Exec_load";
        NAMES[DELETE_FILE] = "Delete_file";
        NAMES[NEW_LOAD] = "New_load";
        NAMES[RAND] = "RAND";
        NAMES[USER_VAR] = "User var";
        NAMES[FORMAT_DESCRIPTION] = "Format_desc";
        NAMES[XID] = "Xid";
        NAMES[BEGIN_LOAD_QUERY] = "Begin_load_query";
        NAMES[EXECUTE_LOAD_QUERY] = "Execute_load_query";
        NAMES[TABLE_MAP] = "Table_map";
        NAMES[PRE_GA_WRITE_ROWS] = "Write_rows_event_old";
        NAMES[PRE_GA_UPDATE_ROWS] = "Update_rows_event_old";
        NAMES[PRE_GA_DELETE_ROWS] = "Delete_rows_event_old";
        NAMES[WRITE_ROWS_V1] = "Write_rows_v1";
        NAMES[UPDATE_ROWS_V1] = "Update_rows_v1";
        NAMES[DELETE_ROWS_V1] = "Delete_rows_v1";
        NAMES[INCIDENT] = "Incident";
        NAMES[HEARTBEAT] = "Heartbeat";
        NAMES[IGNORABLE] = "Ignorable";
        NAMES[ROWS_QUERY] = "Rows_query";
        NAMES[WRITE_ROWS] = "Write_rows";
        NAMES[UPDATE_ROWS] = "Update_rows";
        NAMES[DELETE_ROWS] = "Delete_rows";
        NAMES[GTID] = "Gtid";
        NAMES[ANONYMOUS_GTID] = "Anonymous_Gtid";
        NAMES[PREVIOUS_GTIDS] = "Previous_gtids";
        NAMES[TRANSACTION_CONTEXT] = "Transaction_context";
        NAMES[VIEW_CHANGE] = "View_change";
        NAMES[XA_PREPARE] = "XA_prepare";
        NAMES[PARTIAL_UPDATE_ROWS] = "Update_rows_partial";
        NAMES[TRANSACTION_PAYLOAD] = "Transaction_payload";
        NAMES[HEARTBEAT_V2] = "Heartbeat_v2";
    }

    private EventType() {
    }

    /** MySQL's name for the type, as in the Event_type column of SHOW BINLOG EVENTS. */
    public static String name(int type) {
        String name = type >= 0 && type < NAMES.length ? NAMES[type] : null;
        return name != null ? name : "Unknown";
    }

    public static boolean isRowsEvent(int type) {
        return (type >= PRE_GA_WRITE_ROWS && type <= DELETE_ROWS_V1)
                || (type >= WRITE_ROWS && type <= DELETE_ROWS)
                || type == PARTIAL_UPDATE_ROWS;
    }

    public static boolean isGtid(int type) {
        return type == GTID || type == ANONYMOUS_GTID;
    }

    public static boolean isHeartbeat(int type) {
        return type == HEARTBEAT || type == HEARTBEAT_V2;
    }
}

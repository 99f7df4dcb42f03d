package io.kingbus.protocol;

/** MySQL error codes that kingbus sends or interprets, with their SQL states. */
public final class ErrorCodes {
    public static final int ER_CON_COUNT_ERROR = 1040;
    public static final int ER_HANDSHAKE_ERROR = 1043;
    public static final int ER_DBACCESS_DENIED_ERROR = 1044;
    public static final int ER_ACCESS_DENIED_ERROR = 1045;
    public static final int ER_UNKNOWN_COM_ERROR = 1047;
    public static final int ER_SERVER_SHUTDOWN = 1053;
    public static final int ER_BAD_FIELD_ERROR = 1054;
    public static final int ER_PARSE_ERROR = 1064;
    public static final int ER_EMPTY_QUERY = 1065;
    public static final int ER_REGEXP_ERROR = 1139;
    public static final int ER_NET_PACKET_TOO_LARGE = 1153;
    public static final int ER_NET_PACKETS_OUT_OF_ORDER = 1156;
    public static final int ER_UNKNOWN_SYSTEM_VARIABLE = 1193;
    public static final int ER_NOT_SUPPORTED_YET = 1235;
    /** ER_MASTER_FATAL_ERROR_READING_BINLOG: the dump cannot go on (purged GTIDs, replica ahead, bad position...). */
    public static final int ER_MASTER_FATAL_ERROR_READING_BINLOG = 1236;
    public static final int ER_NOT_SUPPORTED_AUTH_MODE = 1251;
    public static final int ER_SP_DOES_NOT_EXIST = 1305;
    public static final int ER_MALFORMED_GTID_SET_ENCODING = 1773;
    public static final int ER_MALFORMED_PACKET = 1835;
    public static final int ER_SECURE_TRANSPORT_REQUIRED = 3159;

    public static final String STATE_GENERAL = "HY000";
    public static final String STATE_ACCESS_DENIED = "28000";
    public static final String STATE_SYNTAX = "42000";
    public static final String STATE_UNKNOWN_COMMAND = "08S01";
    /** Communication errors (bad packets, bad handshake). */
    public static final String STATE_NETWORK = "08S01";
    /** The server rejected the connection (too many connections). */
    public static final String STATE_CONNECTION_REJECTED = "08004";
    public static final String STATE_BAD_FIELD = "42S22";

    private ErrorCodes() {
    }
}

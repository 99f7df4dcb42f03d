package io.kingbus.server;

/**
 * The MySQL family the stored binlog comes from (its FORMAT_DESCRIPTION's server version). Replicas of a 5.7 primary
 * get 5.7's error texts and result-set shapes, replicas of an 8.0 primary 8.0.15's. The texts are copied from each
 * build's share/english/errmsg.sys and mysqld binary.
 */
public enum MySqlFlavor {
    V5_7,
    V8_0;

    /** From a server version such as "8.0.15" or "5.7.22-log"; 5.7 for anything before 8. */
    public static MySqlFlavor of(String serverVersion) {
        if (serverVersion == null || serverVersion.isEmpty()) {
            return V5_7;
        }
        int major = 0;
        for (int i = 0; i < serverVersion.length(); i++) {
            char c = serverVersion.charAt(i);
            if (c < '0' || c > '9') {
                break;
            }
            major = major * 10 + (c - '0');
            if (major > 1000) {
                break;
            }
        }
        return major >= 8 ? V8_0 : V5_7;
    }

    /** ER_MASTER_HAS_PURGED_REQUIRED_GTIDS (1789), sent as error 1236. */
    public String purgedRequiredGtids() {
        return this == V5_7
                ? "The slave is connecting using CHANGE MASTER TO MASTER_AUTO_POSITION = 1, but the master has purged"
                  + " binary logs containing GTIDs that the slave requires."
                : "Cannot replicate because the master purged required binary logs. Replicate the missing transactions"
                  + " from elsewhere, or provision a new slave from backup. Consider increasing the master's binary"
                  + " log expiration period. To find the missing transactions, see the master's error log or the"
                  + " manual for GTID_SUBTRACT.";
    }

    /** ER_SLAVE_HAS_MORE_GTIDS_THAN_MASTER (1885), sent as error 1236; the same in 5.7 and 8.0.15. */
    public String slaveHasMoreGtids() {
        return "Slave has more GTIDs than the master has, using the master's SERVER_UUID. This may indicate that the"
                + " end of the binary log was truncated or that the last binary log file was lost, e.g., after a power"
                + " or disk failure when sync_binlog != 1. The master may or may not have rolled back transactions"
                + " that were already replicated to the slave. Suggest to replicate any transactions that master has"
                + " rolled back from slave to master, and/or commit empty transactions on master to account for"
                + " transactions that have been committed on master but are not included in GTID_EXECUTED.";
    }

    /** Whether SHOW BINARY LOGS has the Encrypted column (8.0.14+). */
    public boolean binaryLogsHaveEncryptedColumn() {
        return this == V8_0;
    }

    // Binlog_sender's fatal errors (error 1236): identical texts in 5.7.22 and 8.0.15.
    public static final String NO_FIRST_LOG = "Could not find first log file name in binary log index file";
    public static final String POSITION_BELOW_4 = "Client requested master to start replication from position < 4";
    public static final String POSITION_PAST_END = "Client requested master to start replication from position > file size";
    public static final String BOGUS_DATA = "bogus data in log event";
    public static final String CRC_FAILURE = "event read from binlog did not pass crc check";
    public static final String NO_FORMAT_DESCRIPTION = "Could not find format_description_event in binlog file";
    public static final String BINLOG_NOT_OPEN = "Binary log is not open";
    public static final String ZOMBIE = "A slave with the same server_uuid/server_id as this slave has connected to the master";
}

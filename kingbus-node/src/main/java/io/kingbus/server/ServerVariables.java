package io.kingbus.server;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The system variables the binlog server answers ({@code SELECT @@x}, {@code SHOW VARIABLES}): what replicas,
 * mysqlbinlog, CDC clients (mysql-binlog-connector-java, Debezium, Canal, Maxwell) and Connector/J's session probe
 * read, with the values of a ROW-format, GTID-mode primary. Identity and binlog state come from the running server
 * and its store; a few session variables can be changed with SET (see {@link Session}).
 */
final class ServerVariables {
    /**
     * A value as MySQL returns it: text, and whether the column is numeric (BIGINT) or a string. Boolean variables
     * ({@code bool}) show as ON/OFF in SHOW VARIABLES but select as 1/0, as in MySQL (Connector/J parses them).
     */
    record Value(String text, boolean numeric, boolean bool) {
        static final Value NULL = new Value(null, false, false);

        Value(String text, boolean numeric) {
            this(text, numeric, false);
        }

        static Value num(long v) {
            return new Value(Long.toString(v), true);
        }

        static Value str(String s) {
            return new Value(s, false);
        }

        static Value bool(boolean on) {
            return new Value(on ? "ON" : "OFF", false, true);
        }

        /** What {@code SELECT @@x} returns. */
        Value selected() {
            return bool ? num("ON".equals(text) ? 1 : 0) : this;
        }

        /** A SET value for a boolean variable: 1/0, ON/OFF, TRUE/FALSE. */
        static Value boolOf(Value v) {
            String t = v.text() == null ? "" : v.text().strip().toUpperCase(java.util.Locale.ROOT);
            return bool(t.equals("1") || t.equals("ON") || t.equals("TRUE"));
        }
    }

    private static void bool(String name, boolean on) {
        Value value = Value.bool(on);
        VARIABLES.put(name, s -> value);
    }

    /** What dynamic variables are computed from. */
    interface Source {
        BinlogServerConfig config();

        int port();

        String hostname();

        String binlogChecksum();

        String gtidExecuted();

        String gtidPurged();

        String binlogBasename();
    }

    private static final Map<String, Function<Source, Value>> VARIABLES = new TreeMap<>();

    private static void num(String name, long v) {
        Value value = Value.num(v);
        VARIABLES.put(name, s -> value);
    }

    private static void str(String name, String v) {
        Value value = Value.str(v);
        VARIABLES.put(name, s -> value);
    }

    static {
        // identity
        VARIABLES.put("server_id", s -> Value.num(s.config().serverId()));
        VARIABLES.put("server_uuid", s -> Value.str(s.config().serverUuid()));
        VARIABLES.put("version", s -> Value.str(s.config().serverVersion()));
        str("version_comment", "kingbus binlog server");
        str("version_compile_os", "Linux");
        str("version_compile_machine", "x86_64");
        VARIABLES.put("hostname", s -> Value.str(s.hostname()));
        VARIABLES.put("port", s -> Value.num(s.port()));
        VARIABLES.put("report_host", s -> Value.str(s.hostname()));
        VARIABLES.put("report_port", s -> Value.num(s.port()));
        str("license", "GPL");
        num("protocol_version", 10);

        // binlog and GTIDs
        bool("log_bin", true);
        VARIABLES.put("log_bin_basename", s -> Value.str(s.binlogBasename()));
        VARIABLES.put("log_bin_index", s -> Value.str(s.binlogBasename() + ".index"));
        bool("log_slave_updates", true);
        bool("log_replica_updates", true);
        str("binlog_format", "ROW");
        str("binlog_row_image", "FULL");
        str("binlog_row_metadata", "MINIMAL");
        bool("binlog_rows_query_log_events", false);
        bool("binlog_transaction_compression", false);
        bool("binlog_gtid_simple_recovery", true);
        bool("binlog_order_commits", true);
        num("binlog_cache_size", 32768);
        num("max_binlog_size", 1073741824);
        num("binlog_expire_logs_seconds", 0);
        num("expire_logs_days", 0);
        num("sync_binlog", 1);
        VARIABLES.put("binlog_checksum", s -> Value.str(s.binlogChecksum()));
        bool("master_verify_checksum", false);
        bool("source_verify_checksum", false);
        str("gtid_mode", "ON");
        str("enforce_gtid_consistency", "ON");
        VARIABLES.put("gtid_executed", s -> Value.str(s.gtidExecuted()));
        VARIABLES.put("gtid_purged", s -> Value.str(s.gtidPurged()));
        str("gtid_owned", "");
        str("gtid_next", "AUTOMATIC");
        num("gtid_executed_compression_period", 1000);
        str("session_track_gtids", "OFF");
        num("rpl_stop_slave_timeout", 31536000);
        bool("read_only", true);
        bool("super_read_only", false);
        num("slave_net_timeout", 60);
        num("replica_net_timeout", 60);

        // connection and session defaults (Connector/J's probe, CDC clients)
        num("auto_increment_increment", 1);
        num("auto_increment_offset", 1);
        bool("autocommit", true);
        str("character_set_client", "utf8mb4");
        str("character_set_connection", "utf8mb4");
        str("character_set_results", "utf8mb4");
        str("character_set_server", "utf8mb4");
        str("character_set_database", "utf8mb4");
        str("character_set_system", "utf8");
        str("character_set_filesystem", "binary");
        str("collation_server", "utf8mb4_general_ci");
        str("collation_connection", "utf8mb4_general_ci");
        str("collation_database", "utf8mb4_general_ci");
        str("init_connect", "");
        num("interactive_timeout", 28800);
        num("wait_timeout", 28800);
        num("connect_timeout", 10);
        num("net_read_timeout", 30);
        num("net_write_timeout", 60);
        num("net_buffer_length", 16384);
        num("max_allowed_packet", 67108864);
        num("max_connections", 1024);
        num("lower_case_table_names", 0);
        bool("lower_case_file_system", false);
        bool("performance_schema", false);
        num("query_cache_size", 0);
        str("query_cache_type", "OFF");
        str("sql_mode", "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
                + "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION");
        str("system_time_zone", "UTC");
        str("time_zone", "SYSTEM");
        str("transaction_isolation", "REPEATABLE-READ");
        str("tx_isolation", "REPEATABLE-READ");
        bool("transaction_read_only", false);
        bool("tx_read_only", false);
        str("default_storage_engine", "InnoDB");
        str("storage_engine", "InnoDB");
        str("have_ssl", "DISABLED");
        str("have_openssl", "DISABLED");
        bool("require_secure_transport", false);
        str("default_authentication_plugin", "mysql_native_password");
        bool("explicit_defaults_for_timestamp", true);
        bool("sql_auto_is_null", false);
        VARIABLES.put("sql_select_limit", s -> new Value("18446744073709551615", true));
        num("div_precision_increment", 4);
        num("group_concat_max_len", 1024);
        str("innodb_version", "5.7.22");
        num("innodb_lock_wait_timeout", 50);
        num("lock_wait_timeout", 31536000);
        num("max_execution_time", 0);
        str("event_scheduler", "OFF");
        bool("foreign_key_checks", true);
        bool("unique_checks", true);
        bool("sql_log_bin", true);
        str("datadir", "/var/lib/kingbus/");
        num("pseudo_thread_id", 0);
    }

    /** Per-connection state changed by SET: session variables and user variables. */
    static final class Session {
        private final Map<String, Value> sessionOverrides = new TreeMap<>();
        private final Map<String, Value> userVariables = new TreeMap<>();

        Value userVariable(String name) {
            Value v = userVariables.get(name.toLowerCase(Locale.ROOT));
            return v == null ? Value.NULL : v;
        }

        boolean hasUserVariable(String name) {
            Value v = userVariables.get(name.toLowerCase(Locale.ROOT));
            return v != null && v.text() != null;
        }

        void setUserVariable(String name, Value v) {
            if (userVariables.size() >= 1000 && !userVariables.containsKey(name.toLowerCase(Locale.ROOT))) {
                throw new IllegalStateException("too many user variables");
            }
            userVariables.put(name.toLowerCase(Locale.ROOT), v);
        }

        void setSession(String name, Value v) {
            sessionOverrides.put(name.toLowerCase(Locale.ROOT), v);
        }

        Map<String, Value> userVariables() {
            return Collections.unmodifiableMap(userVariables);
        }
    }

    private ServerVariables() {
    }

    /** Every variable name, sorted. */
    static java.util.Set<String> names() {
        return Collections.unmodifiableSet(VARIABLES.keySet());
    }

    /** True when the server knows the variable (a SET of another one is MySQL's error 1193). */
    static boolean known(String name) {
        return VARIABLES.containsKey(name.toLowerCase(Locale.ROOT));
    }

    /** The value at the given scope ("global" ignores SET SESSION), or null when unknown. */
    static Value get(Source source, Session session, String name, String scope) {
        String n = name.toLowerCase(Locale.ROOT);
        if (session != null && !"global".equals(scope)) {
            Value v = session.sessionOverrides.get(n);
            if (v != null) {
                return v;
            }
        }
        Function<Source, Value> f = VARIABLES.get(n);
        return f == null ? null : f.apply(source);
    }

    /** Every variable and its value, sorted by name (SHOW VARIABLES). */
    static Map<String, Value> all(Source source, Session session, boolean global) {
        Map<String, Value> out = new TreeMap<>();
        for (String name : VARIABLES.keySet()) {
            out.put(name, get(source, session, name, global ? "global" : ""));
        }
        return out;
    }
}

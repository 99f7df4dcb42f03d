package io.kingbus.server;

import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.ColumnDefinition;
import io.kingbus.protocol.ColumnType;
import io.kingbus.store.BinlogFileInfo;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The COM_QUERY responder on its own: what replicas, mysqlbinlog and CDC clients send, and what they get. */
class QueryResponderTest {
    private static final String UUID1 = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    private final BinlogServerConfig config = BinlogServerConfig.of("127.0.0.1", 3390, "kb", "pw")
            .withIdentity(1001, "f7e30637-f15a-11e8-accc-244427b6b60e");
    private List<BinlogFileInfo> files = new ArrayList<>();
    private MySqlFlavor flavor = MySqlFlavor.V8_0;
    private List<QueryResponder.RegisteredReplica> replicas = new ArrayList<>();
    private final ServerVariables.Session session = new ServerVariables.Session();
    private String database;

    private final QueryResponder.Context ctx = new QueryResponder.Context() {
        @Override
        public BinlogServerConfig config() {
            return config;
        }

        @Override
        public int port() {
            return 3390;
        }

        @Override
        public String hostname() {
            return "kb-host";
        }

        @Override
        public String binlogChecksum() {
            return "CRC32";
        }

        @Override
        public String gtidExecuted() {
            return UUID1 + ":1-100";
        }

        @Override
        public String gtidPurged() {
            return "";
        }

        @Override
        public String binlogBasename() {
            return "mysql-bin";
        }

        @Override
        public List<BinlogFileInfo> binlogFiles() {
            return files;
        }

        @Override
        public MySqlFlavor flavor() {
            return flavor;
        }

        @Override
        public List<QueryResponder.RegisteredReplica> registeredReplicas() {
            return replicas;
        }

        @Override
        public long connectionId() {
            return 42;
        }

        @Override
        public String user() {
            return "kb";
        }

        @Override
        public String clientHost() {
            return "10.0.0.9";
        }

        @Override
        public String database() {
            return database;
        }

        @Override
        public void useDatabase(String db) {
            database = db;
        }
    };

    private QueryResponder.Response run(String sql) {
        return new QueryResponder(ctx, session).respond(sql);
    }

    private io.kingbus.protocol.ResultSet rows(String sql) {
        QueryResponder.Response r = run(sql);
        assertThat(r).as(sql).isInstanceOf(QueryResponder.Rows.class);
        return ((QueryResponder.Rows) r).resultSet();
    }

    private QueryResponder.Err err(String sql) {
        QueryResponder.Response r = run(sql);
        assertThat(r).as(sql).isInstanceOf(QueryResponder.Err.class);
        return (QueryResponder.Err) r;
    }

    private static List<String> names(io.kingbus.protocol.ResultSet rs) {
        return rs.columns().stream().map(ColumnDefinition::name).toList();
    }

    @Test
    void replicaProbesInBothSpellings() {
        var rs = rows("SELECT UNIX_TIMESTAMP()");
        assertThat(names(rs)).containsExactly("UNIX_TIMESTAMP()");
        assertThat(rs.columns().get(0).type()).isEqualTo(ColumnType.LONGLONG);
        assertThat(rows("SELECT @@GLOBAL.SERVER_ID").rows()).containsExactly(List.of("1001"));
        assertThat(names(rows("SELECT @@GLOBAL.SERVER_ID"))).containsExactly("@@GLOBAL.SERVER_ID");
        assertThat(rows("SELECT @@GLOBAL.SERVER_UUID").firstValue()).isEqualTo(config.serverUuid());
        assertThat(rows("SELECT @@GLOBAL.GTID_MODE").firstValue()).isEqualTo("ON");
        assertThat(run("SET @master_heartbeat_period= 30000001024")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(run("SET @master_binlog_checksum= @@global.binlog_checksum")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(rows("SELECT @master_binlog_checksum").firstValue()).isEqualTo("CRC32");
        assertThat(run("SET @source_heartbeat_period = 1000, @source_binlog_checksum = 'CRC32', @replica_uuid = 'u'"))
                .isInstanceOf(QueryResponder.Ok.class);
        assertThat(rows("SELECT @source_binlog_checksum, @replica_uuid").rows()).containsExactly(List.of("CRC32", "u"));
        assertThat(session.userVariable("master_heartbeat_period").text()).isEqualTo("30000001024");
        assertThat(run("SET @slave_uuid= '" + UUID1 + "'")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(session.userVariable("SLAVE_UUID").text()).isEqualTo(UUID1);
        assertThat(rows("SELECT @never_set").firstValue()).isNull();
    }

    @Test
    void selectsWithAliasesLiteralsLimitsAndComments() {
        var rs = rows("/* mysql-connector-j-8.4.0 (Revision: x) */SELECT  @@session.auto_increment_increment AS"
                + " auto_increment_increment, @@character_set_client AS character_set_client,"
                + " @@transaction_isolation AS transaction_isolation, @@tx_isolation, @@wait_timeout AS wait_timeout");
        assertThat(names(rs)).containsExactly("auto_increment_increment", "character_set_client",
                "transaction_isolation", "@@tx_isolation", "wait_timeout");
        assertThat(rs.rows().get(0)).containsExactly("1", "utf8mb4", "REPEATABLE-READ", "REPEATABLE-READ", "28800");
        assertThat(rows("select @@version_comment limit 1").firstValue()).isEqualTo("kingbus binlog server");
        assertThat(rows("SELECT @@version_comment LIMIT 0").rows()).isEmpty();
        assertThat(rows("SELECT 1").firstValue()).isEqualTo("1");
        assertThat(names(rows("SELECT 'abc', -5, 1 x"))).containsExactly("abc", "-5", "x");
        assertThat(rows("SELECT VERSION(), version() v FROM DUAL;").rows().get(0))
                .containsExactly(BinlogServerConfig.DEFAULT_VERSION, BinlogServerConfig.DEFAULT_VERSION);
        assertThat(rows("/*!40101 SELECT @@lower_case_table_names */").firstValue()).isEqualTo("0");
        assertThat(rows("SELECT @@max_allowed_packet -- trailing\n").firstValue()).isEqualTo("67108864");
        assertThat(rows("SELECT @@autocommit, @@global.read_only").rows().get(0)).containsExactly("1", "1");
        assertThat(rows("SELECT CONNECTION_ID(), DATABASE(), USER()").rows().get(0))
                .containsExactly("42", null, "kb@10.0.0.9");
        assertThat(rows("SELECT @@gtid_executed").firstValue()).isEqualTo(UUID1 + ":1-100");
    }

    @Test
    void setStatements() {
        assertThat(run("SET NAMES utf8mb4")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(run("SET NAMES 'latin1' COLLATE 'latin1_bin'")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(rows("SELECT @@character_set_client, @@collation_connection").rows().get(0))
                .containsExactly("latin1", "latin1_bin");
        assertThat(rows("SELECT @@global.character_set_client").firstValue()).isEqualTo("utf8mb4");
        assertThat(run("SET character_set_results = NULL, autocommit=0, @@session.sql_mode = 'ANSI'"))
                .isInstanceOf(QueryResponder.Ok.class);
        assertThat(rows("SELECT @@character_set_results, @@autocommit, @@sql_mode").rows().get(0))
                .containsExactly(null, "0", "ANSI");
        assertThat(run("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(run("SET GLOBAL max_connections = 5")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(run("SET @a := 1, @b = 'x'")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(rows("SELECT @a, @b").rows().get(0)).containsExactly("1", "x");
        assertThat(run("SET @mariadb_slave_capability=4")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(err("SET no_such_thing = 1").code()).isEqualTo(1193);
        assertThat(run("USE shop")).isInstanceOf(QueryResponder.Ok.class);
        assertThat(database).isEqualTo("shop");
    }

    @Test
    void showStatements() {
        assertThat(rows("SHOW MASTER STATUS").rows()).isEmpty();
        files = List.of(
                new BinlogFileInfo(1, "mysql-bin.000001", 1200, GtidSet.empty(), null, null, 0, 1, 3),
                new BinlogFileInfo(2, "mysql-bin.000002", 456, GtidSet.parse(UUID1 + ":1-3"), null, null, 0, 1, 0));
        var status = rows("SHOW MASTER STATUS");
        assertThat(names(status)).containsExactly("File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB",
                "Executed_Gtid_Set");
        assertThat(status.rows()).containsExactly(List.of("mysql-bin.000002", "456", "", "", UUID1 + ":1-100"));
        assertThat(rows("show binary log status").rows()).isEqualTo(status.rows());
        var logs = rows("SHOW BINARY LOGS");
        assertThat(names(logs)).containsExactly("Log_name", "File_size", "Encrypted");
        assertThat(logs.rows()).containsExactly(List.of("mysql-bin.000001", "1200", "No"),
                List.of("mysql-bin.000002", "456", "No"));
        flavor = MySqlFlavor.V5_7;
        assertThat(names(rows("SHOW MASTER LOGS"))).containsExactly("Log_name", "File_size");

        var v = rows("SHOW VARIABLES LIKE 'gtid\\_%'");
        assertThat(names(v)).containsExactly("Variable_name", "Value");
        assertThat(v.rows()).extracting(r -> r.get(0)).contains("gtid_mode", "gtid_executed", "gtid_purged")
                .allMatch(n -> n.startsWith("gtid_"));
        assertThat(rows("SHOW GLOBAL VARIABLES LIKE 'binlog_checksum'").rows())
                .containsExactly(List.of("binlog_checksum", "CRC32"));
        assertThat(rows("SHOW VARIABLES LIKE 'SERVER_ID'").rows()).containsExactly(List.of("server_id", "1001"));
        assertThat(rows("SHOW VARIABLES LIKE 'log_bin'").rows()).containsExactly(List.of("log_bin", "ON"));
        assertThat(rows("SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'").rows()).isEmpty();
        assertThat(rows("SHOW VARIABLES WHERE Variable_name IN ('server_id', 'binlog_format') OR Variable_name"
                + " REGEXP '^gtid_mo'").rows()).extracting(r -> r.get(0))
                .containsExactly("binlog_format", "gtid_mode", "server_id");
        assertThat(rows("SHOW SESSION VARIABLES WHERE Variable_name = 'version'").firstValue()).isEqualTo("version");

        replicas = List.of(new QueryResponder.RegisteredReplica(7, "r1", 3306, UUID1));
        assertThat(names(rows("SHOW SLAVE HOSTS"))).containsExactly("Server_id", "Host", "Port", "Master_id",
                "Slave_UUID");
        assertThat(rows("SHOW SLAVE HOSTS").rows()).containsExactly(List.of("7", "r1", "3306", "1001", UUID1));
        assertThat(names(rows("SHOW REPLICAS"))).containsExactly("Server_Id", "Host", "Port", "Source_Id",
                "Replica_UUID");
        assertThat(rows("SHOW WARNINGS").rows()).isEmpty();
    }

    @Test
    void errorsAreMysqlErrors() {
        assertThat(err("SELECT * FROM mysql.user").code()).isEqualTo(1235);
        assertThat(err("DELETE FROM t").code()).isEqualTo(1235);
        assertThat(err("SHOW TABLES").code()).isEqualTo(1235);
        assertThat(err("SELECT @@nope").message()).isEqualTo("Unknown system variable 'nope'");
        assertThat(err("SELECT nope").code()).isEqualTo(1054);
        assertThat(err("SELECT NOPE()").code()).isEqualTo(1305);
        assertThat(err("").code()).isEqualTo(1065);
        assertThat(err("   ; ").code()).isIn(1064, 1065);
        var e = err("SELECT 'unterminated");
        assertThat(e.code()).isEqualTo(1064);
        assertThat(e.sqlState()).isEqualTo("42000");
        assertThat(err("SELECT 1; SELECT 2").code()).isEqualTo(1064);
        assertThat(err("SELECT 1 2 3").code()).isEqualTo(1064);
        assertThat(err("SET @x").code()).isEqualTo(1064);
        assertThat(err("/* unterminated comment").code()).isEqualTo(1064);
        assertThat(err("SHOW").code()).isEqualTo(1235);
        assertThat(err("SELECT " + "@@version,".repeat(2000) + "1").code()).isEqualTo(1235);
        // a statement that is far too long is refused without tokenizing it
        assertThat(run("SELECT '" + "x".repeat(SqlLexer.MAX_SQL) + "'")).isInstanceOf(QueryResponder.Err.class);
        assertThat(rows("SELECT 1").firstValue()).isEqualTo("1"); // still fine afterwards
    }

    @Test
    void likePatterns() {
        assertThat(QueryResponder.likeFilter("gtid%").test("GTID_MODE")).isTrue();
        assertThat(QueryResponder.likeFilter("gtid\\_mode").test("gtidXmode")).isFalse();
        assertThat(QueryResponder.likeFilter("gtid_mode").test("gtidXmode")).isTrue();
        assertThat(QueryResponder.likeFilter("%.%").test("a.b")).isTrue();
        assertThat(QueryResponder.likeFilter("a(b").test("a(b")).isTrue();
    }
}

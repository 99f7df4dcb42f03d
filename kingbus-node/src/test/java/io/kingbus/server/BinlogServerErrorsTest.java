package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.FormatDescription;
import io.kingbus.binlog.HeartbeatEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.BinlogDump;
import io.kingbus.protocol.BinlogDumpGtid;
import io.kingbus.protocol.ErrorCodes;
import io.kingbus.protocol.RegisterSlave;
import io.kingbus.protocol.ResultSet;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * MySQL's errors and the protocol details around a dump, with a real 8.0.15 primary and replica: wrong password,
 * purged GTIDs, a replica ahead of the store, unknown statements, a zombie dump, a checksum-unaware client,
 * heartbeats (v1 and v2), non-blocking dumps, and result-set shapes compared with the real primary's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BinlogServerErrorsTest {
    private static final Logger log = LoggerFactory.getLogger(BinlogServerErrorsTest.class);
    static final String USER = "repl";
    static final String PASSWORD = "repl-pw";

    MySqlServer primary;
    MySqlServer replica;
    BinlogStore store;
    BinlogStore oldStore;
    BinlogStore purgedStore;
    BinlogServer server;
    BinlogServer oldServer;
    BinlogServer purgedServer;
    PrimaryFeeder feeder;
    Path dir;

    @BeforeAll
    void startAll() throws Exception {
        dir = Files.createTempDirectory("kb-errors-test");
        primary = MySqlServer.builder(MySqlVersion.V8_0).start();
        replica = MySqlServer.builder(MySqlVersion.V8_0).start();
        StoreOptions fast = StoreOptions.defaults().withFsync(false);
        store = BinlogStore.open(dir.resolve("store"), fast);
        oldStore = BinlogStore.open(dir.resolve("old"), fast);
        purgedStore = BinlogStore.open(dir.resolve("purged"), fast);
        Workloads.mixed(primary, 1, false);
        Workloads.mixed(primary, 2, false);
        new PrimaryFeeder(primary, oldStore).sync();
        new PrimaryFeeder(primary, purgedStore).sync();
        assertThat(purgedStore.purge(1, 0)).isNotEmpty();
        assertThat(purgedStore.purgedGtids().isEmpty()).isFalse();
        Workloads.small(primary, 3, 10);
        feeder = new PrimaryFeeder(primary, store);
        feeder.sync();
        server = new BinlogServer(store, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)).start();
        oldServer = new BinlogServer(oldStore, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)).start();
        purgedServer = new BinlogServer(purgedStore, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)).start();
        replica.replicateFrom("127.0.0.1", server.port(), USER, PASSWORD);
        replica.awaitGtidExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
    }

    @AfterAll
    void stopAll() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, oldServer, purgedServer, replica, primary, store, oldStore,
                purgedStore}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.warn("closing {}: {}", c, e.toString());
                }
            }
        }
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private String jdbc(int port, String user, String password) {
        return "jdbc:mysql://127.0.0.1:" + port + "/?user=" + user + "&password=" + password
                + "&sslMode=DISABLED&allowPublicKeyRetrieval=true&connectTimeout=5000";
    }

    @Test
    void wrongPasswordIsMysqlsAccessDenied() throws Exception {
        assertThatThrownBy(() -> DriverManager.getConnection(jdbc(server.port(), USER, "nope")).close())
                .isInstanceOfSatisfying(SQLException.class, e -> {
                    assertThat(e.getErrorCode()).isEqualTo(1045);
                    assertThat(e.getSQLState()).isEqualTo("28000");
                    assertThat(e.getMessage()).isEqualTo("Access denied for user '" + USER
                            + "'@'127.0.0.1' (using password: YES)");
                });
        assertThatThrownBy(() -> DriverManager.getConnection(jdbc(server.port(), "other", PASSWORD)).close())
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(1045));
        assertThatThrownBy(() -> RawClient.login(server.port(), USER, ""))
                .isInstanceOfSatisfying(RawClient.ServerError.class, e -> assertThat(e.err.message())
                        .isEqualTo("Access denied for user '" + USER + "'@'127.0.0.1' (using password: NO)"));
        // a client that opens with caching_sha2_password is switched to mysql_native_password
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD, AuthPlugins.CACHING_SHA2_PASSWORD, 0)) {
            assertThat(c.query("SELECT 1").firstValue()).isEqualTo("1");
        }
        // Connector/J (caching_sha2 by default in 8.x) logs in
        try (Connection c = DriverManager.getConnection(jdbc(server.port(), USER, PASSWORD));
             Statement st = c.createStatement(); java.sql.ResultSet rs = st.executeQuery("SELECT @@server_uuid")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(server.config().serverUuid());
        }
    }

    @Test
    void purgedGtidsAreError1236WithMysqlsText() throws Exception {
        try (RawClient c = RawClient.login(purgedServer.port(), USER, PASSWORD)) {
            c.query("SET @master_binlog_checksum = @@global.binlog_checksum");
            c.write(0, BinlogDumpGtid.of(55, GtidSet.empty(), 0).encode());
            assertThatThrownBy(c::readEvent).isInstanceOfSatisfying(RawClient.ServerError.class, e -> {
                assertThat(e.err.errorCode()).isEqualTo(1236);
                assertThat(e.err.message()).isEqualTo(MySqlFlavor.V8_0.purgedRequiredGtids());
            });
        }
        // with the purged GTIDs the dump starts (fake rotate to the one file left)
        try (RawClient c = RawClient.login(purgedServer.port(), USER, PASSWORD)) {
            c.query("SET @master_binlog_checksum = @@global.binlog_checksum");
            c.write(0, BinlogDumpGtid.of(55, purgedStore.purgedGtids(), BinlogDumpGtid.NON_BLOCK).encode());
            List<BinlogEvent> events = c.readEventsUntilEnd();
            assertThat(RotateEvent.decode(events.get(0), ChecksumType.CRC32).nextFile())
                    .isEqualTo(purgedStore.files().get(0).name());
        }
    }

    @Test
    void replicaWithMoreGtidsThanTheStoreGets1236() throws Exception {
        try {
            replica.replicateFrom("127.0.0.1", oldServer.port(), USER, PASSWORD);
            Map<String, Object> st = awaitIoError();
            // an 8.0 replica reports the primary's 1236 as its own 13114 ("Got fatal error 1236 from master ...")
            assertThat(String.valueOf(st.get("Last_IO_Errno"))).isIn("1236", "13114");
            assertThat(String.valueOf(st.get("Last_IO_Error"))).contains("1236") // the replica cuts the text
                    .contains(MySqlFlavor.V8_0.slaveHasMoreGtids().substring(0, 200));
        } finally {
            replica.replicateFrom("127.0.0.1", server.port(), USER, PASSWORD);
        }
        Workloads.small(primary, 4, 5);
        feeder.sync();
        replica.awaitGtidExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
        // raw: the same check
        try (RawClient c = RawClient.login(oldServer.port(), USER, PASSWORD)) {
            c.query("SET @master_binlog_checksum = @@global.binlog_checksum");
            c.write(0, BinlogDumpGtid.of(56, GtidSet.parse(primary.gtidExecuted()), 0).encode());
            assertThatThrownBy(c::readEvent).isInstanceOfSatisfying(RawClient.ServerError.class,
                    e -> assertThat(e.err.message()).isEqualTo(MySqlFlavor.V8_0.slaveHasMoreGtids()));
        }
    }

    private Map<String, Object> awaitIoError() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Map<String, Object> st = replica.replicaStatus();
            if (!"0".equals(String.valueOf(st.get("Last_IO_Errno"))) || System.nanoTime() > deadline) {
                return st;
            }
            Thread.sleep(50);
        }
    }

    @Test
    void unknownStatementIsAnErrorAndTheConnectionStaysUsable() throws Exception {
        try (Connection c = DriverManager.getConnection(jdbc(server.port(), USER, PASSWORD));
             Statement st = c.createStatement()) {
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM mysql.user"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(ErrorCodes.ER_NOT_SUPPORTED_YET);
                        assertThat(e.getMessage()).contains("SELECT * FROM mysql.user");
                    });
            assertThatThrownBy(() -> st.execute("DROP TABLE x")).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> st.execute("SELEC 1")).isInstanceOfSatisfying(SQLException.class,
                    e -> assertThat(e.getErrorCode()).isIn(ErrorCodes.ER_NOT_SUPPORTED_YET, ErrorCodes.ER_PARSE_ERROR));
            assertThatThrownBy(() -> st.executeQuery("SELECT @@no_such_variable"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getErrorCode()).isEqualTo(1193);
                        assertThat(e.getMessage()).isEqualTo("Unknown system variable 'no_such_variable'");
                    });
            try (java.sql.ResultSet rs = st.executeQuery("SELECT @@GLOBAL.SERVER_ID")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(server.config().serverId());
            }
        }
    }

    /** The statements replicas and CDC clients send: the same columns as the real 8.0.15 primary returns. */
    @Test
    void resultSetShapesMatchTheRealPrimary() throws Exception {
        List<String> statements = List.of(
                "SELECT UNIX_TIMESTAMP()", "SELECT @@GLOBAL.SERVER_ID", "SELECT @@GLOBAL.SERVER_UUID",
                "SELECT @@GLOBAL.GTID_MODE", "SELECT @@GLOBAL.binlog_checksum", "SELECT VERSION()",
                "SELECT @@version", "SELECT @@version_comment LIMIT 1", "SELECT @@binlog_format",
                "SELECT @@binlog_row_image", "SELECT @@gtid_executed", "SELECT @@gtid_purged",
                "SELECT @@server_uuid", "SELECT @@server_id", "SELECT @@lower_case_table_names",
                "SELECT @@max_allowed_packet", "SELECT @@global.server_id AS id, @@session.auto_increment_increment",
                "SELECT @master_binlog_checksum", "SELECT @source_binlog_checksum",
                "SELECT @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS"
                        + " character_set_client, @@character_set_connection AS character_set_connection,"
                        + " @@character_set_results AS character_set_results, @@character_set_server AS"
                        + " character_set_server, @@collation_server AS collation_server, @@collation_connection AS"
                        + " collation_connection, @@init_connect AS init_connect, @@interactive_timeout AS"
                        + " interactive_timeout, @@license AS license, @@lower_case_table_names AS"
                        + " lower_case_table_names, @@max_allowed_packet AS max_allowed_packet,"
                        + " @@net_write_timeout AS net_write_timeout, @@performance_schema AS performance_schema,"
                        + " @@sql_mode AS sql_mode, @@system_time_zone AS system_time_zone, @@time_zone AS"
                        + " time_zone, @@transaction_isolation AS transaction_isolation, @@wait_timeout AS wait_timeout",
                "SHOW MASTER STATUS", "SHOW BINARY LOGS", "SHOW MASTER LOGS", "SHOW VARIABLES LIKE 'server_id'",
                "SHOW GLOBAL VARIABLES LIKE 'binlog_checksum'", "SHOW VARIABLES LIKE 'gtid_m_de'",
                "SHOW SLAVE HOSTS", "SHOW WARNINGS");
        try (Connection real = primary.connect(); Connection ours = DriverManager.getConnection(
                jdbc(server.port(), USER, PASSWORD)); Statement rs = real.createStatement();
             Statement os = ours.createStatement()) {
            for (String sql : statements) {
                List<String> a = columns(rs, sql);
                List<String> b = columns(os, sql);
                assertThat(b).as(sql).isEqualTo(a);
            }
            // values that matter
            assertThat(single(os, "SELECT @@GLOBAL.GTID_MODE")).isEqualTo("ON");
            assertThat(single(os, "SELECT @@binlog_format")).isEqualTo("ROW");
            assertThat(single(os, "SELECT @@GLOBAL.binlog_checksum")).isEqualTo("CRC32");
            assertThat(GtidSet.parse(single(os, "SELECT @@gtid_executed"))).isEqualTo(store.executedGtids());
            os.execute("SET @master_heartbeat_period = 30000001024, @master_binlog_checksum = @@global.binlog_checksum");
            assertThat(single(os, "SELECT @master_binlog_checksum")).isEqualTo("CRC32");
            os.execute("SET @slave_uuid = '" + UUID.randomUUID() + "'");
            os.execute("SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci");
            assertThat(single(os, "SELECT @@collation_connection")).isEqualTo("utf8mb4_unicode_ci");
            os.execute("SET @@session.net_write_timeout = 600, autocommit = 1");
            assertThat(single(os, "SELECT @@net_write_timeout")).isEqualTo("600");
            try (java.sql.ResultSet r = os.executeQuery("SHOW MASTER STATUS")) {
                r.next();
                assertThat(r.getString("File")).isEqualTo(store.lastFile().name());
                assertThat(r.getLong("Position")).isEqualTo(store.lastFile().endPosition());
            }
            List<String> logs = new ArrayList<>();
            try (java.sql.ResultSet r = os.executeQuery("SHOW BINARY LOGS")) {
                while (r.next()) {
                    logs.add(r.getString(1));
                }
            }
            assertThat(logs).isEqualTo(store.files().stream().map(BinlogFileInfo::name).toList());
            try (java.sql.ResultSet r = os.executeQuery("SHOW SLAVE HOSTS")) {
                assertThat(r.next()).isTrue();
                assertThat(r.getLong("Server_id")).isEqualTo(replica.serverId());
                assertThat(r.getString("Slave_UUID")).isEqualTo(replica.serverUuid());
            }
        }
    }

    /** Every variable kingbus answers selects as the real primary's does: a number, or a string. */
    @Test
    void variablesHaveTheRealPrimarysTypes() throws Exception {
        int compared = 0;
        try (Connection real = primary.connect(); Connection ours = DriverManager.getConnection(
                jdbc(server.port(), USER, PASSWORD)); Statement rs = real.createStatement();
             Statement os = ours.createStatement()) {
            for (String name : ServerVariables.names()) {
                Boolean realNumeric;
                try (java.sql.ResultSet r = rs.executeQuery("SELECT @@" + name)) {
                    realNumeric = isNumeric(r.getMetaData().getColumnType(1));
                } catch (SQLException e) {
                    continue; // not an 8.0.15 variable (5.7's, or a newer spelling)
                }
                try (java.sql.ResultSet r = os.executeQuery("SELECT @@" + name)) {
                    assertThat(isNumeric(r.getMetaData().getColumnType(1))).as("@@%s numeric", name)
                            .isEqualTo(realNumeric);
                    r.next();
                    if (realNumeric) {
                        assertThat(r.getString(1)).as("@@%s", name).matches("-?[0-9]+(\\.[0-9]+)?");
                    }
                }
                compared++;
            }
        }
        assertThat(compared).isGreaterThan(80);
    }

    private static boolean isNumeric(int sqlType) {
        return switch (sqlType) {
            case java.sql.Types.BIGINT, java.sql.Types.INTEGER, java.sql.Types.SMALLINT, java.sql.Types.TINYINT,
                 java.sql.Types.DECIMAL, java.sql.Types.NUMERIC, java.sql.Types.DOUBLE, java.sql.Types.BIT -> true;
            default -> false;
        };
    }

    private static List<String> columns(Statement st, String sql) throws SQLException {
        try (java.sql.ResultSet r = st.executeQuery(sql)) {
            ResultSetMetaData md = r.getMetaData();
            List<String> out = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                out.add(md.getColumnLabel(i));
            }
            return out;
        }
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (java.sql.ResultSet r = st.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    @Test
    void aSecondDumpFromTheSameReplicaEndsTheFirst() throws Exception {
        try (RawClient first = RawClient.login(server.port(), USER, PASSWORD);
             RawClient second = RawClient.login(server.port(), USER, PASSWORD)) {
            for (RawClient c : List.of(first, second)) {
                c.query("SET @master_binlog_checksum = @@global.binlog_checksum");
                c.query("SET @slave_uuid = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'");
            }
            first.write(0, BinlogDumpGtid.of(901, store.executedGtids(), 0).encode());
            first.readEvent(); // fake rotate: the dump runs
            second.write(0, BinlogDumpGtid.of(902, store.executedGtids(), 0).encode());
            second.readEvent();
            assertThatThrownBy(() -> {
                while (true) {
                    first.readEvent();
                }
            }).isInstanceOfSatisfying(RawClient.ServerError.class, e -> {
                assertThat(e.err.errorCode()).isEqualTo(1236);
                assertThat(e.err.message()).startsWith(MySqlFlavor.ZOMBIE + "; the first event");
            });
        }
        // without a uuid: the same server_id
        try (RawClient first = RawClient.login(server.port(), USER, PASSWORD);
             RawClient second = RawClient.login(server.port(), USER, PASSWORD)) {
            for (RawClient c : List.of(first, second)) {
                c.query("SET @master_binlog_checksum = 'CRC32'");
            }
            first.write(0, new BinlogDump(4, 0, 903, store.lastFile().name()).encode());
            first.readEvent();
            second.write(0, new BinlogDump(4, 0, 903, store.lastFile().name()).encode());
            second.readEvent();
            assertThatThrownBy(() -> {
                while (true) {
                    first.readEvent();
                }
            }).isInstanceOf(RawClient.ServerError.class);
        }
        // the real replica was not disturbed
        assertThat(server.status().slaves()).extracting(BinlogServerStatus.ReplicaStatus::serverId)
                .contains((long) replica.serverId());
    }

    @Test
    void aStoreFileDamagedUnderTheServerEndsTheDumpWithMysqlsErrorNotWithGarbage() throws Exception {
        Path damagedDir = dir.resolve("damaged");
        try (BinlogStore damaged = BinlogStore.open(damagedDir, StoreOptions.defaults().withFsync(false))) {
            new PrimaryFeeder(primary, damaged).sync();
            BinlogFileInfo first = damaged.files().get(0);
            long at = damaged.locate(first.lastGtid()).position();
            // the served path does not re-verify checksums (as MySQL's dump thread does not), but it checks framing:
            // an end_log_pos that does not match the event's place
            try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(
                    damagedDir.resolve("binlog").resolve(first.name()).toFile(), "rw")) {
                raf.seek(at + BinlogEvent.LOG_POS_OFFSET);
                raf.write(new byte[] {1, 2, 3, 4});
            }
            try (BinlogServer s = new BinlogServer(damaged, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD))
                    .start();
                 RawClient c = RawClient.login(s.port(), USER, PASSWORD)) {
                c.query("SET @master_binlog_checksum = 'CRC32'");
                c.write(0, new BinlogDump(4, BinlogDump.NON_BLOCK, 906, first.name()).encode());
                List<BinlogEvent> got = new ArrayList<>();
                assertThatThrownBy(() -> {
                    while (true) {
                        BinlogEvent e = c.readEvent();
                        if (e == null) {
                            break;
                        }
                        got.add(e);
                    }
                }).isInstanceOfSatisfying(RawClient.ServerError.class, e -> {
                    assertThat(e.err.errorCode()).isEqualTo(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG);
                    assertThat(e.err.message()).startsWith("bogus data in log event");
                });
                assertThat(got).isNotEmpty();
                for (BinlogEvent e : got) {
                    assertThat(e.logPos()).as("nothing at or past the damaged event is served").isLessThanOrEqualTo(at);
                }
            }
        }
    }

    @Test
    void checksumUnawareClientGetsEventsWithoutChecksums() throws Exception {
        String file = store.files().get(0).name();
        List<BinlogEvent> stripped;
        List<BinlogEvent> withCrc;
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            c.write(0, new BinlogDump(4, BinlogDump.NON_BLOCK, 904, file).encode());
            stripped = c.readEventsUntilEnd();
        }
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            c.query("SET @master_binlog_checksum = 'CRC32'");
            c.write(0, new BinlogDump(4, BinlogDump.NON_BLOCK, 905, file).encode());
            withCrc = c.readEventsUntilEnd();
        }
        assertThat(stripped).hasSameSizeAs(withCrc);
        BinlogEvent fde = stripped.get(1);
        assertThat(fde.type()).isEqualTo(EventType.FORMAT_DESCRIPTION);
        assertThat(FormatDescription.checksumOf(fde)).isEqualTo(ChecksumType.OFF);
        assertThat(fde.checksumMatches(ChecksumType.CRC32)).isTrue(); // its own trailer stays
        assertThat(FormatDescription.checksumOf(withCrc.get(1))).isEqualTo(ChecksumType.CRC32);
        for (int i = 2; i < stripped.size(); i++) {
            BinlogEvent a = stripped.get(i);
            BinlogEvent b = withCrc.get(i);
            assertThat(a.type()).isEqualTo(b.type());
            assertThat(a.logPos()).as("the primary's positions are kept").isEqualTo(b.logPos());
            if (a.type() == EventType.FORMAT_DESCRIPTION) { // the next file's: announces NONE, keeps its trailer
                assertThat(FormatDescription.checksumOf(a)).isEqualTo(ChecksumType.OFF);
                assertThat(a.length()).isEqualTo(b.length());
                continue;
            }
            assertThat(a.length()).isEqualTo(b.length() - 4);
            assertThat(b.checksumMatches(ChecksumType.CRC32)).isTrue();
            assertThat(java.util.Arrays.copyOfRange(a.bytes(), 19, (int) a.length()))
                    .isEqualTo(java.util.Arrays.copyOfRange(b.bytes(), 19, (int) b.length() - 4));
        }
    }

    @Test
    void nonBlockingAndServerIdZeroDumpsEndWithEof() throws Exception {
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            c.query("SET @master_binlog_checksum = 'CRC32'");
            c.write(0, BinlogDumpGtid.of(0, store.executedGtids(), 0).encode()); // server_id 0, no flag
            List<BinlogEvent> events = c.readEventsUntilEnd();
            assertThat(events.get(0).type()).isEqualTo(EventType.ROTATE);
            assertThat(events.get(events.size() - 1).type()).isEqualTo(EventType.HEARTBEAT);
            assertThat(HeartbeatEvent.decode(events.get(events.size() - 1), ChecksumType.CRC32))
                    .isEqualTo(new HeartbeatEvent(store.lastFile().name(), store.lastFile().endPosition()));
        }
    }

    @Test
    void heartbeatsNameTheCurrentFileAndPosition() throws Exception {
        for (boolean v2 : new boolean[] {false, true}) {
            try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
                c.query("SET @master_binlog_checksum = 'CRC32', @master_heartbeat_period = 100000000");
                c.write(0, new RegisterSlave(906, "", "", "", 0, 0, 0).encode());
                c.read();
                int flags = v2 ? BinlogDumpGtid.USE_HEARTBEAT_EVENT_V2 : 0;
                c.write(0, BinlogDumpGtid.of(906, store.executedGtids(), flags).encode());
                int heartbeats = 0;
                long t0 = System.nanoTime();
                while (heartbeats < 4) {
                    BinlogEvent e = c.readEvent();
                    if (EventType.isHeartbeat(e.type())) {
                        heartbeats++;
                        assertThat(e.type()).isEqualTo(v2 ? EventType.HEARTBEAT_V2 : EventType.HEARTBEAT);
                        assertThat(HeartbeatEvent.decode(e, ChecksumType.CRC32)).isEqualTo(
                                new HeartbeatEvent(store.lastFile().name(), store.lastFile().endPosition()));
                    }
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(ms).isBetween(250L, 10_000L); // about one per 100 ms of silence
            }
        }
    }

    @Test
    void dumpErrorsForBadPositions() throws Exception {
        String last = store.lastFile().name();
        long end = store.lastFile().endPosition();
        record Case(BinlogDump dump, String message) {
        }
        for (Case k : List.of(
                new Case(new BinlogDump(4, 0, 907, "mysql-bin.999999"), MySqlFlavor.NO_FIRST_LOG),
                new Case(new BinlogDump(end + 1, 0, 907, last), MySqlFlavor.POSITION_PAST_END),
                new Case(new BinlogDump(2, 0, 907, last), MySqlFlavor.POSITION_BELOW_4),
                new Case(new BinlogDump(end - 3, 0, 907, last), MySqlFlavor.BOGUS_DATA))) {
            try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
                c.query("SET @master_binlog_checksum = 'CRC32'");
                c.write(0, k.dump().encode());
                assertThatThrownBy(c::readEventsUntilEnd).as(k.message())
                        .isInstanceOfSatisfying(RawClient.ServerError.class, e -> {
                            assertThat(e.err.errorCode()).isEqualTo(1236);
                            assertThat(e.err.message()).startsWith(k.message());
                        });
            }
        }
    }

    @Test
    void queriesOverARawConnectionWithoutDeprecateEof() throws Exception {
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            ResultSet rs = c.query("SELECT UNIX_TIMESTAMP(), @@GLOBAL.SERVER_ID");
            assertThat(rs.columns()).extracting(io.kingbus.protocol.ColumnDefinition::name)
                    .containsExactly("UNIX_TIMESTAMP()", "@@GLOBAL.SERVER_ID");
            assertThat(Long.parseLong(rs.rows().get(0).get(0))).isCloseTo(System.currentTimeMillis() / 1000,
                    org.assertj.core.data.Offset.offset(5L));
            assertThat(c.query("SET @slave_uuid = 'x', @master_heartbeat_period = 1")).isNull();
            assertThat(c.query("SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'").rows()).isEmpty();
            assertThat(c.query("SHOW VARIABLES LIKE 'gtid\\_mode'").rows()).containsExactly(List.of("gtid_mode", "ON"));
            c.write(0, io.kingbus.protocol.Commands.ping());
            assertThat(io.kingbus.protocol.OkPacket.isOk(c.read().payload())).isTrue();
            c.write(0, new byte[] {io.kingbus.protocol.Commands.COM_INIT_DB, 's', 'h', 'o', 'p'});
            assertThat(io.kingbus.protocol.OkPacket.isOk(c.read().payload())).isTrue();
            assertThat(c.query("SELECT DATABASE()").firstValue()).isEqualTo("shop");
            c.write(0, io.kingbus.protocol.Commands.quit());
            assertThatThrownBy(c::read).isInstanceOf(java.io.IOException.class); // closed by the server
        }
    }
}

package io.kingbus.binlog;

import io.kingbus.binlog.TransactionTracker.Role;
import io.kingbus.binlog.TransactionTracker.Step;
import io.kingbus.cli.BinlogEventRow;
import io.kingbus.cli.BinlogInspector;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a workload on a real MySQL server and checks the codec against the server's own view of its binlog
 * files: SHOW BINLOG EVENTS for every file, every event decoded, every executed GTID completed once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RealBinlogFilesTestBase {
    static final int BIG_BLOB = 17 * 1024 * 1024;
    static final String FOREIGN = "0a0b0c0d-1111-2222-3333-444455556666";

    MySqlServer server;
    List<Path> files;

    abstract MySqlVersion version();

    /** Extra mysqld flags (e.g. --binlog-checksum=NONE). */
    String[] extraArgs() {
        return new String[0];
    }

    ChecksumType expectedChecksum() {
        return ChecksumType.CRC32;
    }

    boolean is80() {
        return version() == MySqlVersion.V8_0;
    }

    @BeforeAll
    void startServerAndRunWorkload() throws SQLException {
        server = MySqlServer.builder(version()).serverId(4242).extraArgs(extraArgs()).start();
        assertThat(server.queryString("SELECT @@max_allowed_packet")).isEqualTo(String.valueOf(256L << 20));
        assertThat(server.queryString("SELECT @@GLOBAL.binlog_checksum"))
                .isEqualTo(expectedChecksum().variableValue());
        server.execute(
                "CREATE DATABASE kb",
                "CREATE TABLE kb.t (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64), doc JSON, data LONGBLOB)"
                        + " ENGINE=InnoDB",
                "INSERT INTO kb.t (name, doc, data) VALUES ('a', '{\"k\": 1}', 'x'), ('b', '[1, 2]', NULL),"
                        + " ('c', NULL, REPEAT('y', 1000)), ('d', '{\"s\": \"\\\\n\"}', '')",
                "UPDATE kb.t SET name = CONCAT(name, '!'), doc = JSON_SET(COALESCE(doc, '{}'), '$.n', 2)"
                        + " WHERE id <= 3",
                "DELETE FROM kb.t WHERE id = 3",
                // one row bigger than a 16 MiB packet: a single rows event over 16 MiB
                "INSERT INTO kb.t (name, data) VALUES ('big', REPEAT('x', " + BIG_BLOB + "))",
                "ALTER TABLE kb.t ADD COLUMN extra INT DEFAULT 7",
                // a multi-line statement with a tab and a backslash: Info keeps them verbatim
                "CREATE TABLE kb.n (\n\tid INT PRIMARY KEY,\n\ts VARCHAR(10) DEFAULT 'a\\\\b'\n) ENGINE=InnoDB",
                // a non-transactional engine: GTID, BEGIN, rows, COMMIT query
                "CREATE TABLE kb.m (id INT) ENGINE=MyISAM",
                "INSERT INTO kb.m VALUES (1), (2)",
                // transactions of another server (as a replica would log them), one of them empty: then
                // PREVIOUS_GTIDS holds two UUIDs, which SHOW BINLOG EVENTS prints on two lines
                "SET GTID_NEXT = '" + FOREIGN + ":1'",
                "BEGIN",
                "COMMIT",
                "SET GTID_NEXT = '" + FOREIGN + ":2'",
                "INSERT INTO kb.n VALUES (100, 'foreign')",
                "SET GTID_NEXT = 'AUTOMATIC'",
                "FLUSH LOGS",
                "INSERT INTO kb.t (name, doc) VALUES ('e', '{\"after\": \"rotation\"}')",
                "UPDATE kb.t SET extra = extra + 1",
                "DELETE FROM kb.t WHERE name = 'big'",
                "SET SESSION binlog_rows_query_log_events = ON",
                "INSERT INTO kb.n VALUES (1, 'rq')",
                "SET SESSION binlog_rows_query_log_events = OFF",
                "XA START 'kbxa'",
                "INSERT INTO kb.n VALUES (2, 'xa')",
                "XA END 'kbxa'",
                "XA PREPARE 'kbxa'",
                "XA COMMIT 'kbxa'");
        // a multi-statement transaction, and one that rolls back (not logged)
        try (Connection c = server.connect()) {
            c.setAutoCommit(false);
            c.createStatement().execute("INSERT INTO kb.n VALUES (3, 'tx')");
            c.createStatement().execute("UPDATE kb.t SET name = 'tx' WHERE id = 1");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO kb.t (name, data) VALUES (?, ?)")) {
                ps.setString(1, "bytes");
                ps.setBytes(2, new byte[] {0, 1, 2, (byte) 0xff});
                ps.executeUpdate();
            }
            c.commit();
            c.createStatement().execute("INSERT INTO kb.n VALUES (4, 'rb')");
            c.rollback();
        }
        // statements under a default database, and status variables of every kind MySQL writes for DDL:
        // "use `db`;" in Info, Q_INVOKER (definers), Q_UPDATED_DB_NAMES (several databases),
        // Q_AUTO_INCREMENT, Q_LC_TIME_NAMES, Q_TIME_ZONE, Q_CHARSET_DATABASE
        try (Connection c = server.connect("kb"); java.sql.Statement st = c.createStatement()) {
            for (String sql : List.of(
                    "CREATE TABLE t2 (id INT PRIMARY KEY, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
                            + " COMMENT 'gr\u00f6\u00dfe \u2603'",
                    "INSERT INTO t2 (id) VALUES (1)",
                    "CREATE VIEW v AS SELECT id FROM t2",
                    "CREATE PROCEDURE p() SELECT 1",
                    "CREATE TRIGGER tr BEFORE INSERT ON n FOR EACH ROW SET NEW.s = UPPER(NEW.s)",
                    "INSERT INTO n VALUES (5, 'trigger')",
                    "CREATE DATABASE kb2 CHARACTER SET latin1",
                    "CREATE TABLE kb2.x (id INT)",
                    "DROP TABLE t2, kb2.x",
                    "SET SESSION auto_increment_increment = 2",
                    "CREATE TABLE ai (id INT PRIMARY KEY AUTO_INCREMENT)",
                    "INSERT INTO ai VALUES (NULL), (NULL)",
                    "SET SESSION lc_time_names = 'en_GB'",
                    "SET SESSION time_zone = '+02:00'",
                    "ALTER TABLE ai ADD COLUMN at TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP",
                    "USE kb2",
                    "CREATE TABLE y (s VARCHAR(5))",
                    "CREATE USER 'kbuser'@'%' IDENTIFIED BY 'secret'",
                    "GRANT SELECT ON kb.* TO 'kbuser'@'%'",
                    "DROP USER 'kbuser'@'%'",
                    "DROP DATABASE kb2",
                    "USE kb",
                    "DROP VIEW v",
                    "DROP PROCEDURE p")) {
                st.execute(sql);
            }
        }
        if (is80()) {
            server.execute(
                    // 8.0's optional table-map metadata with column names, and partial JSON updates
                    "SET GLOBAL binlog_row_metadata = FULL",
                    "SET SESSION binlog_row_image = MINIMAL",
                    "SET SESSION binlog_row_value_options = PARTIAL_JSON",
                    "UPDATE kb.t SET doc = JSON_SET(doc, '$.k', 5) WHERE id = 1",
                    "SET SESSION binlog_row_image = FULL",
                    "INSERT INTO kb.t (name, doc) VALUES ('full-metadata', '{}')");
        }
        server.execute("FLUSH LOGS", "DROP TABLE kb.m");
        server.restart(); // a clean shutdown ends the file with a STOP event
        server.execute("DROP TABLE kb.n, kb.t");
        files = server.binlogFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private List<BinlogEventRow> showBinlogEvents(String file) throws SQLException {
        List<BinlogEventRow> rows = new ArrayList<>();
        try (Connection c = server.connect();
             ResultSet rs = c.createStatement().executeQuery("SHOW BINLOG EVENTS IN '" + file + "'")) {
            while (rs.next()) {
                rows.add(new BinlogEventRow(rs.getString("Log_name"), rs.getLong("Pos"), rs.getString("Event_type"),
                        rs.getLong("Server_id"), rs.getLong("End_log_pos"),
                        new String(rs.getBytes("Info"), StandardCharsets.UTF_8)));
            }
        }
        return rows;
    }

    @Test
    void inspectAgreesWithShowBinlogEventsForEveryFile() throws SQLException {
        Set<String> types = new HashSet<>();
        boolean multiLineInfo = false;
        for (Path f : files) {
            List<BinlogEventRow> ours = new ArrayList<>();
            BinlogInspector.Result result = BinlogInspector.inspect(f, ours::add);
            assertThat(result.damage()).as("damage in %s", f).isNull();
            assertThat(result.endPos()).isEqualTo(result.fileSize());
            List<BinlogEventRow> mysql = showBinlogEvents(f.getFileName().toString());
            assertThat(ours).as("events of %s", f).hasSameSizeAs(mysql);
            for (int i = 0; i < mysql.size(); i++) {
                assertThat(ours.get(i)).as("event %d of %s", i, f).isEqualTo(mysql.get(i));
                types.add(ours.get(i).eventType());
                multiLineInfo |= ours.get(i).eventType().equals("Previous_gtids") && ours.get(i).info().contains(",\n");
            }
        }
        assertThat(types).contains("Format_desc", "Previous_gtids", "Gtid", "Query", "Table_map", "Write_rows",
                "Update_rows", "Delete_rows", "Xid", "Rotate", "Rows_query", "XA_prepare", "Stop");
        if (is80()) {
            assertThat(types).contains("Update_rows_partial");
        }
        assertThat(multiLineInfo).as("a Previous_gtids with two UUIDs").isTrue();
    }

    @Test
    void everyEventDecodesWithItsOwnDecoder() throws IOException {
        UUID serverUuid = UUID.fromString(server.serverUuid());
        long biggest = 0;
        boolean sawColumnNames = false;
        for (int fi = 0; fi < files.size(); fi++) {
            Path f = files.get(fi);
            Map<Long, TableMapEvent> tables = new HashMap<>();
            long trxStart = -1;
            long trxLength = -1;
            TransactionTracker tracker = new TransactionTracker(ChecksumType.OFF);
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                for (PositionedEvent pe; (pe = r.next()) != null; ) {
                    BinlogEvent e = pe.event();
                    ChecksumType c = e.checksumIn(r.checksum());
                    FormatDescription fd = r.formatDescription();
                    biggest = Math.max(biggest, e.length());
                    assertThat(e.serverId()).isEqualTo(4242);
                    assertThat(e.logPos()).as("log_pos at %d", pe.position()).isEqualTo(pe.endPosition());
                    switch (e.type()) {
                        case EventType.FORMAT_DESCRIPTION -> {
                            assertThat(pe.position()).isEqualTo(4);
                            assertThat(fd.serverVersion()).startsWith(version().fullVersion());
                            assertThat(fd.checksum()).isEqualTo(expectedChecksum());
                            assertThat(fd.binlogVersion()).isEqualTo(4);
                            assertThat(fd.headerLength()).isEqualTo(19);
                            assertThat(fd.postHeaderLength(EventType.QUERY)).isEqualTo(13);
                            assertThat(fd.postHeaderLength(EventType.TABLE_MAP)).isEqualTo(8);
                            assertThat(fd.postHeaderLength(EventType.WRITE_ROWS)).isEqualTo(10);
                            assertThat(fd.postHeaderLength(EventType.GTID)).isEqualTo(42);
                        }
                        case EventType.PREVIOUS_GTIDS -> PreviousGtidsEvent.decode(e, c);
                        case EventType.GTID -> {
                            GtidEvent g = GtidEvent.decode(e, c);
                            assertThat(g.sid()).isIn(serverUuid, UUID.fromString(FOREIGN));
                            assertThat(g.anonymous()).isFalse();
                            assertThat(g.lastCommitted()).isGreaterThanOrEqualTo(0);
                            assertThat(g.sequenceNumber()).isGreaterThan(g.lastCommitted());
                            if (is80()) {
                                assertThat(g.immediateCommitTimestamp()).isPositive();
                                assertThat(g.originalCommitTimestamp()).isEqualTo(g.immediateCommitTimestamp());
                                assertThat(g.transactionLength()).isPositive();
                                assertThat(g.immediateServerVersion()).isEqualTo(80015);
                                assertThat(g.originalServerVersion()).isEqualTo(80015);
                            } else {
                                assertThat(g.immediateCommitTimestamp()).isEqualTo(-1);
                                assertThat(g.transactionLength()).isEqualTo(-1);
                            }
                            trxStart = pe.position();
                            trxLength = g.transactionLength();
                        }
                        case EventType.QUERY -> {
                            QueryEvent q = QueryEvent.decode(e, c, fd);
                            assertThat(q.errorCode()).isZero();
                            assertThat(q.query()).isNotEmpty();
                        }
                        case EventType.TABLE_MAP -> {
                            TableMapEvent tm = TableMapEvent.decode(e, c, fd);
                            assertThat(tm.database()).isEqualTo("kb");
                            assertThat(tm.columnTypes()).hasSize(tm.columnCount());
                            if (is80()) {
                                assertThat(tm.optionalMetadata()).as("8.0 optional metadata").isNotEmpty();
                                assertThat(optionalMetadataLength(tm)).as("optional metadata parsed to the end")
                                        .isEqualTo(optionalMetadataRoom(e, c, tm));
                                assertThat(tm.optionalMetadata().keySet()).allSatisfy(k -> assertThat(k).isBetween(1, 12));
                                byte[] names = tm.optionalMetadata().get(4); // COLUMN_NAME, binlog_row_metadata=FULL
                                if (names != null) {
                                    sawColumnNames = true;
                                    assertThat(columnNames(names)).hasSize(tm.columnCount()).contains("id");
                                }
                            } else {
                                assertThat(tm.optionalMetadata()).isEmpty();
                            }
                            tables.put(tm.tableId(), tm);
                        }
                        case EventType.ROWS_QUERY -> assertThat(RowsQueryEvent.decode(e, c).query())
                                .isEqualTo("INSERT INTO kb.n VALUES (1, 'rq')");
                        case EventType.XID -> assertThat(XidEvent.decode(e, c).xid()).isPositive();
                        case EventType.ROTATE -> {
                            RotateEvent rot = RotateEvent.decode(e, c);
                            assertThat(rot.nextFile()).isEqualTo(files.get(fi + 1).getFileName().toString());
                            assertThat(rot.position()).isEqualTo(4);
                        }
                        case EventType.XA_PREPARE -> {
                            XaPrepareEvent xa = XaPrepareEvent.decode(e, c);
                            assertThat(new String(xa.gtrid(), StandardCharsets.US_ASCII)).isEqualTo("kbxa");
                            assertThat(xa.onePhase()).isFalse();
                            assertThat(xa.formatId()).isEqualTo(1);
                        }
                        case EventType.STOP -> assertThat(fi).isLessThan(files.size() - 1);
                        default -> {
                            assertThat(EventType.isRowsEvent(e.type())).as("unexpected %s", e.typeName()).isTrue();
                            RowsEventHeader h = RowsEventHeader.decode(e, c, fd);
                            TableMapEvent tm = tables.get(h.tableId());
                            assertThat(tm).as("table map for rows event at %d", pe.position()).isNotNull();
                            assertThat(h.columnCount()).isEqualTo(tm.columnCount());
                        }
                    }
                    Step step = tracker.accept(e);
                    if (step.role() == Role.END && is80()) {
                        // 8.0's GTID event carries the byte length of its whole transaction
                        assertThat(pe.endPosition() - trxStart).as("transaction length at %d", trxStart)
                                .isEqualTo(trxLength);
                    }
                }
            }
        }
        assertThat(biggest).isGreaterThan(BIG_BLOB);
        assertThat(sawColumnNames).isEqualTo(is80());
    }

    /** Bytes the decoded optional metadata fields take: type byte, packed length, value. */
    private static long optionalMetadataLength(TableMapEvent tm) {
        long n = 0;
        for (byte[] v : tm.optionalMetadata().values()) {
            n += 1 + PackedInts.encode(v.length).length + v.length;
        }
        return n;
    }

    /** Bytes between the null bitmap and the checksum, located independently of TableMapEvent. */
    private static long optionalMetadataRoom(BinlogEvent e, ChecksumType c, TableMapEvent tm) {
        ByteReader r = e.body(c);
        r.skip(6 + 2);
        r.skip(r.u8() + 1);
        r.skip(r.u8() + 1);
        int columns = (int) r.packedInt();
        r.skip(columns);
        r.skip(r.packedInt());
        r.skip((columns + 7) / 8);
        return r.remaining();
    }

    private static List<String> columnNames(byte[] field) {
        ByteReader r = new ByteReader(field, 0, field.length);
        List<String> names = new ArrayList<>();
        while (r.remaining() > 0) {
            names.add(r.string(r.packedLength("column name")));
        }
        return names;
    }

    @Test
    void trackerCompletesEveryExecutedGtidOnceInOrder() throws IOException {
        UUID sid = UUID.fromString(server.serverUuid());
        GtidSet executed = GtidSet.parse(server.gtidExecuted());
        List<Gtid> completed = new ArrayList<>();
        GtidSet firstPrevious = null;
        TransactionTracker tracker = new TransactionTracker(ChecksumType.OFF);
        for (Path f : files) {
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                for (PositionedEvent pe; (pe = r.next()) != null; ) {
                    Step s = tracker.accept(pe.event());
                    assertThat(s.abandonedPartial()).as("torn transaction before %d in %s", pe.position(), f)
                            .isFalse();
                    if (pe.event().type() == EventType.PREVIOUS_GTIDS && firstPrevious == null) {
                        firstPrevious = PreviousGtidsEvent.decode(pe.event(), r.checksum()).gtids();
                    }
                    if (pe.event().type() == EventType.PREVIOUS_GTIDS) {
                        // each file's PREVIOUS_GTIDS is exactly what the files before it completed
                        GtidSet soFar = firstPrevious.copy();
                        completed.forEach(soFar::add);
                        assertThat(PreviousGtidsEvent.decode(pe.event(), r.checksum()).gtids()).isEqualTo(soFar);
                    }
                    if (s.role() == Role.END) {
                        assertThat(s.completedGtid()).isNotNull();
                        completed.add(s.completedGtid());
                    }
                }
                assertThat(tracker.inTransaction()).as("open transaction at the end of %s", f).isFalse();
            }
        }
        assertThat(firstPrevious).isNotNull();
        assertThat(firstPrevious.isEmpty()).isTrue();
        assertThat(completed).doesNotHaveDuplicates();
        // in order: each server's GNOs ascend without gaps, in the order the workload committed them
        Map<UUID, Long> last = new HashMap<>();
        for (Gtid g : completed) {
            assertThat(g.gno()).as("%s after %s", g, last.get(g.sid())).isEqualTo(last.getOrDefault(g.sid(), 0L) + 1);
            last.put(g.sid(), g.gno());
        }
        assertThat(last).containsOnlyKeys(sid, UUID.fromString(FOREIGN));
        assertThat(last.get(UUID.fromString(FOREIGN))).isEqualTo(2);
        GtidSet all = GtidSet.empty();
        completed.forEach(all::add);
        assertThat(all).isEqualTo(executed);
    }

    @Test
    void formatDescriptionAlwaysEndsWithAlgorithmByteAndCrc32() throws IOException {
        for (Path f : files) {
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                BinlogEvent fde = r.next().event();
                assertThat(fde.type()).isEqualTo(EventType.FORMAT_DESCRIPTION);
                byte[] b = fde.bytes();
                assertThat(b[b.length - 5] & 0xff).as("algorithm byte").isEqualTo(expectedChecksum().code());
                assertThat(FormatDescription.checksumOf(fde)).isEqualTo(expectedChecksum());
                // MySQL fills the 4-byte checksum room of the FDE with a real CRC32 even with binlog_checksum=NONE
                assertThat(fde.checksumMatches(ChecksumType.CRC32)).as("FDE CRC32 of %s", f).isTrue();
                assertThat(r.checksum()).isEqualTo(expectedChecksum());
                BinlogEvent second = r.next().event();
                assertThat(second.type()).isEqualTo(EventType.PREVIOUS_GTIDS);
                assertThat(second.checksumMatches(ChecksumType.CRC32)).isEqualTo(expectedChecksum()
                        == ChecksumType.CRC32);
            }
        }
    }
}

package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.kingbus.store.StoreAssertions.binlogFile;
import static io.kingbus.store.StoreAssertions.drain;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real MySQL server's binlog, fed into a store as a dump stream delivers it, is stored byte for byte.
 */
class BinlogStoreMySqlTest {
    /** The FORMAT_DESCRIPTION's flags byte: the event starts at 4, its flags at header offset 17. */
    private static final int FDE_FLAGS = BinlogFileReader.MAGIC_LENGTH + BinlogEvent.FLAGS_OFFSET;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(MySqlVersion.class)
    void realServerBinlogIsStoredByteForByte(MySqlVersion version) throws Exception {
        try (MySqlServer server = MySqlServer.builder(version).start();
             BinlogStore store = BinlogStore.open(dir.resolve("store"), StoreAssertions.FAST)) {
            server.execute(
                    "CREATE DATABASE shop",
                    "CREATE TABLE shop.t (id INT PRIMARY KEY, doc JSON, data LONGBLOB, note VARCHAR(100))",
                    "INSERT INTO shop.t VALUES (1, '{\"a\": 1}', REPEAT('x', 100), 'one'),"
                            + " (2, '{\"b\": [1, 2]}', REPEAT('y', 5000), NULL), (3, NULL, NULL, 'three')");
            List<Path> files = server.binlogFiles();
            assertThat(files).hasSize(1);
            String first = files.get(0).getFileName().toString();

            // Stream the first file while MySQL still writes it: its FORMAT_DESCRIPTION carries the in-use flag.
            List<PositionedEvent> early = readEvents(files.get(0));
            assertThat(early.get(0).event().flags() & BinlogEvent.FLAG_BINLOG_IN_USE).isNotZero();
            feed(store, first, early, true);
            long streamedUpTo = early.get(early.size() - 1).endPosition();

            server.execute(
                    "FLUSH LOGS",
                    "UPDATE shop.t SET note = CONCAT('n', id) WHERE id <= 2",
                    "DELETE FROM shop.t WHERE id = 3",
                    "INSERT INTO shop.t VALUES (4, '{}', REPEAT('z', 200000), 'big')");
            try (Connection c = server.connect(); Statement st = c.createStatement()) {
                c.setAutoCommit(false); // a multi-statement transaction
                st.execute("INSERT INTO shop.t (id, note) VALUES (5, 'five'), (6, 'six'), (7, 'seven')");
                st.execute("UPDATE shop.t SET doc = JSON_OBJECT('k', id) WHERE id >= 5");
                st.execute("DELETE FROM shop.t WHERE id = 6");
                c.commit();
            }
            server.execute(
                    "FLUSH LOGS",
                    "CREATE TABLE shop.u (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))",
                    "INSERT INTO shop.u (v) VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f'), ('g'), ('h')",
                    "INSERT INTO shop.u (v) SELECT CONCAT(a.v, b.v) FROM shop.u a, shop.u b",
                    "DROP TABLE shop.u");
            files = server.binlogFiles();
            assertThat(files).hasSize(3);

            // The rest of the first file (its ROTATE) and the other files, each announced by a fake rotate.
            List<PositionedEvent> rest = readEvents(files.get(0)).stream()
                    .filter(e -> e.position() >= streamedUpTo).toList();
            assertThat(rest).extracting(e -> e.event().type()).containsExactly(EventType.ROTATE);
            feed(store, first, rest, false);
            for (Path f : files.subList(1, files.size())) {
                feed(store, f.getFileName().toString(), readEvents(f), true);
            }

            // Every stored file is the server's, byte for byte -- except that MySQL clears the
            // LOG_EVENT_BINLOG_IN_USE_F flag (0x1 in the FORMAT_DESCRIPTION's flags, file offset 4+17) in place when
            // it closes a file. The store keeps the event as it was streamed, while the file was in use (the FDE's
            // CRC32 is computed without that flag, so both variants verify).
            assertThat(store.files()).extracting(BinlogFileInfo::name)
                    .containsExactlyElementsOf(files.stream().map(p -> p.getFileName().toString()).toList());
            for (Path f : files) {
                byte[] server8 = Files.readAllBytes(f);
                byte[] stored = Files.readAllBytes(binlogFile(dir.resolve("store"), f.getFileName().toString()));
                assertThat(stored.length).as("length of %s", f.getFileName()).isEqualTo(server8.length);
                assertThat(withoutInUseFlag(stored)).as("bytes of %s", f.getFileName())
                        .isEqualTo(withoutInUseFlag(server8));
            }
            byte[] storedFirst = Files.readAllBytes(binlogFile(dir.resolve("store"), first));
            assertThat(storedFirst[FDE_FLAGS] & BinlogEvent.FLAG_BINLOG_IN_USE).isNotZero();
            assertThat(Files.readAllBytes(files.get(0))[FDE_FLAGS] & BinlogEvent.FLAG_BINLOG_IN_USE).isZero();

            GtidSet serverExecuted = GtidSet.parse(server.queryString("SELECT @@GLOBAL.gtid_executed"));
            assertThat(serverExecuted.isEmpty()).isFalse();
            assertThat(store.executedGtids()).isEqualTo(serverExecuted);
            assertThat(store.files().get(0).checksumCode()).isEqualTo(ChecksumType.CRC32.code());

            // and a reader returns the server's events
            List<PositionedEvent> all = new ArrayList<>();
            for (Path f : files) {
                all.addAll(readEvents(f));
            }
            try (BinlogReader r = store.openReader(GtidSet.empty())) {
                List<PositionedEvent> got = drain(r);
                assertThat(got).hasSameSizeAs(all);
                for (int i = 0; i < got.size(); i++) {
                    assertThat(got.get(i).file()).isEqualTo(all.get(i).file());
                    assertThat(got.get(i).position()).isEqualTo(all.get(i).position());
                    if (got.get(i).event().type() != EventType.FORMAT_DESCRIPTION) {
                        assertThat(got.get(i).event().bytes()).isEqualTo(all.get(i).event().bytes());
                    }
                }
            }
        }
    }

    private static List<PositionedEvent> readEvents(Path file) throws IOException {
        List<PositionedEvent> out = new ArrayList<>();
        try (BinlogFileReader r = BinlogFileReader.open(file)) {
            for (PositionedEvent e; (e = r.next()) != null; ) {
                out.add(e);
            }
        }
        return out;
    }

    /** Appends events as a dump delivers them, in batches of three; a fake rotate first when asked. */
    private static void feed(BinlogStore store, String file, List<PositionedEvent> events, boolean announce) {
        List<byte[]> stream = new ArrayList<>();
        if (announce) {
            stream.add(RotateEvent.fake(1, file, 4, ChecksumType.CRC32).bytes());
        }
        events.forEach(e -> stream.add(e.event().bytes()));
        for (int i = 0; i < stream.size(); i += 3) {
            store.append(file, stream.subList(i, Math.min(stream.size(), i + 3)), i);
        }
    }

    private static byte[] withoutInUseFlag(byte[] file) {
        byte[] copy = Arrays.copyOf(file, file.length);
        copy[FDE_FLAGS] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
        return copy;
    }
}

package io.kingbus.syncer;

import io.kingbus.binlog.EventType;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dump client against real MySQL 8.0.15 and 5.7.22 primaries: what arrives is the primary's binlog, byte for
 * byte, and every GTID arrives exactly once.
 */
class RealPrimaryDumpTest {
    private static final AtomicInteger NEXT_ID = new AtomicInteger(100_000);

    static DumpConfig.Builder config(MySqlServer s) {
        return DumpConfig.builder(s.host(), s.port())
                .user(MySqlServer.USER)
                .password(MySqlServer.PASSWORD)
                .serverId(NEXT_ID.incrementAndGet())
                .serverUuid(UUID.randomUUID())
                .gtids(GtidSet.empty())
                .heartbeatPeriod(Duration.ofSeconds(1))
                .readTimeout(Duration.ofSeconds(20));
    }

    /** Runs a non-blocking dump to its end. */
    static Collector dumpAll(DumpConfig config) throws Exception {
        Collector c = new Collector();
        BinlogDumpClient client = new BinlogDumpClient(config, c);
        client.start().get(120, TimeUnit.SECONDS);
        assertThat(client.status().state()).isEqualTo(DumpStatus.State.ENDED);
        assertThat(client.status().eventsReceived()).isEqualTo(c.events().stream().filter(e -> !e.isHeartbeat()).count());
        return c;
    }

    static void workloadPart1(MySqlServer s) throws Exception {
        s.execute(
                "CREATE DATABASE shop",
                "CREATE TABLE shop.t (id INT PRIMARY KEY, doc JSON, data LONGBLOB, note VARCHAR(100))",
                "INSERT INTO shop.t VALUES (1, '{\"a\": 1}', REPEAT('x', 100), 'one'),"
                        + " (2, '{\"b\": [1, 2]}', REPEAT('y', 5000), NULL), (3, NULL, NULL, 'three')",
                "UPDATE shop.t SET note = CONCAT('n', id) WHERE id <= 2",
                "FLUSH LOGS");
    }

    static void workloadPart2(MySqlServer s) throws Exception {
        try (Connection c = s.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO shop.t (id, note) VALUES (5, 'five'), (6, 'six'), (7, 'seven')");
            st.execute("DELETE FROM shop.t WHERE id = 6");
            c.commit();
        }
        s.execute(
                // a 20 MiB row: one event larger than a 16 MiB packet
                "INSERT INTO shop.t VALUES (100, NULL, REPEAT('z', 20 * 1024 * 1024), 'big')",
                "FLUSH LOGS",
                "CREATE TABLE shop.u (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(20))",
                "INSERT INTO shop.u (v) VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f'), ('g'), ('h')",
                "INSERT INTO shop.u (v) SELECT CONCAT(a.v, b.v) FROM shop.u a, shop.u b",
                "DROP TABLE shop.u");
    }

    @ParameterizedTest
    @EnumSource(MySqlVersion.class)
    void dumpDeliversThePrimarysBinlogByteForByte(MySqlVersion version) throws Exception {
        try (MySqlServer s = MySqlServer.start(version)) {
            workloadPart1(s);
            GtidSet afterPart1 = GtidSet.parse(s.gtidExecuted());
            workloadPart2(s);
            GtidSet executed = GtidSet.parse(s.gtidExecuted());
            PrimaryFiles files = new PrimaryFiles(s.binlogFiles());
            assertThat(files.files).hasSize(3);

            // Everything: the stream is the concatenation of the primary's files.
            Collector all = dumpAll(config(s).nonBlocking(true).build());
            files.assertStreamIsWholeBinlog(all.events());
            assertExactlyOnce(all.gtids(), executed);
            assertThat(all.primary.serverUuid()).isEqualTo(s.serverUuid());
            assertThat(all.primary.serverVersion()).startsWith(version.fullVersion());
            assertThat(all.primary.serverId()).isEqualTo(s.serverId());
            assertThat(all.events().stream().anyMatch(e -> e.event().length() > 20 << 20)).isTrue();
            ReceivedEvent first = all.events().get(0);
            assertThat(first.event().type()).isEqualTo(EventType.ROTATE);
            assertThat(first.isArtificial()).isTrue();
            assertThat(first.file()).isEqualTo("mysql-bin.000001");

            // From a partial set: only the missing transactions, each event still the file's bytes.
            Collector rest = dumpAll(config(s).gtids(afterPart1).nonBlocking(true).build());
            assertThat(files.assertEachEventMatches(rest.events())).isGreaterThan(10);
            assertExactlyOnce(rest.gtids(), executed.subtract(afterPart1));
        }
    }

    @ParameterizedTest
    @EnumSource(MySqlVersion.class)
    void dumpByFileAndPosition(MySqlVersion version) throws Exception {
        try (MySqlServer s = MySqlServer.start(version)) {
            workloadPart1(s);
            s.execute("CREATE TABLE shop.v (id INT PRIMARY KEY)", "INSERT INTO shop.v VALUES (1), (2)");
            PrimaryFiles files = new PrimaryFiles(s.binlogFiles());
            // start in the middle of the second file, at the start of its second transaction
            var second = files.files.get("mysql-bin.000002");
            long start = second.stream().filter(e -> e.event().type() == EventType.GTID).skip(1).findFirst()
                    .orElseThrow().position();
            Collector c = dumpAll(config(s).filePosition("mysql-bin.000002", start).nonBlocking(true).build());
            ReceivedEvent first = c.events().get(0);
            assertThat(first.event().type()).isEqualTo(EventType.ROTATE);
            assertThat(first.file()).isEqualTo("mysql-bin.000002");
            // then the file's FORMAT_DESCRIPTION with log_pos 0 (artificial), then the events from `start` on
            assertThat(c.events().get(1).event().type()).isEqualTo(EventType.FORMAT_DESCRIPTION);
            assertThat(c.events().get(1).isArtificial()).isTrue();
            List<ReceivedEvent> real = PrimaryFiles.real(c.events());
            assertThat(files.assertEachEventMatches(c.events())).isEqualTo(real.size());
            assertThat(real.get(0).event().type()).isEqualTo(EventType.GTID);
            assertThat(real.get(0).endPosition() - real.get(0).event().length()).isEqualTo(start);
            assertThat(real.get(real.size() - 1).endPosition()).isEqualTo(java.nio.file.Files.size(s.binlogFiles().get(1)));
            assertThat(c.gtids()).hasSize(1);
        }
    }

    @ParameterizedTest
    @EnumSource(MySqlVersion.class)
    void primaryWithoutChecksums(MySqlVersion version) throws Exception {
        try (MySqlServer s = MySqlServer.builder(version).extraArgs("--binlog-checksum=NONE").start()) {
            workloadPart1(s);
            s.execute("INSERT INTO shop.t (id, note) VALUES (9, 'nine')");
            Collector c = dumpAll(config(s).nonBlocking(true).build());
            assertThat(c.primary.checksum()).isEqualTo(io.kingbus.binlog.ChecksumType.OFF);
            new PrimaryFiles(s.binlogFiles()).assertStreamIsWholeBinlog(c.events());
            assertExactlyOnce(c.gtids(), GtidSet.parse(s.gtidExecuted()));
        }
    }

    static void assertExactlyOnce(List<Gtid> received, GtidSet expected) {
        Set<Gtid> seen = new HashSet<>();
        for (Gtid g : received) {
            assertThat(seen.add(g)).as("%s received twice", g).isTrue();
        }
        GtidSet got = GtidSet.empty();
        received.forEach(got::add);
        assertThat(got).isEqualTo(expected);
        assertThat((long) received.size()).isEqualTo(expected.count());
    }
}

package io.kingbus.server;

import io.kingbus.gtid.GtidSet;
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
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Binlog clients read from kingbus exactly what the real primary serves them: mysql-binlog-connector-java by GTID
 * and by file:pos, event for event (header, position, decoded data, raw row bytes). Kingbus presents the primary's
 * server_id here, so even its artificial events (fake ROTATE, heartbeats) are identical.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ClientsTestBase {
    private static final Logger log = LoggerFactory.getLogger(ClientsTestBase.class);
    static final String USER = "cdc";
    static final String PASSWORD = "cdc-pw";

    final MySqlVersion version;
    MySqlServer primary;
    BinlogStore store;
    BinlogServer server;
    PrimaryFeeder feeder;
    Path dir;

    ClientsTestBase(MySqlVersion version) {
        this.version = version;
    }

    @BeforeAll
    void startAll() throws Exception {
        dir = Files.createTempDirectory("kb-clients-test");
        primary = MySqlServer.builder(version).start();
        store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
        Workloads.mixed(primary, 1, true);
        Workloads.small(primary, 1, 30);
        Workloads.mixed(primary, 2, false);
        feeder = new PrimaryFeeder(primary, store);
        feeder.sync();
        assertThat(store.executedGtids()).isEqualTo(GtidSet.parse(primary.gtidExecuted()));
        server = new BinlogServer(store, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)
                .withIdentity(primary.serverId(), UUID.randomUUID().toString())).start();
    }

    @AfterAll
    void stopAll() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, primary, store}) {
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

    List<String> fromPrimary(String file, long pos, String gtids) throws Exception {
        return BinlogEvents.read(primary.host(), primary.port(), MySqlServer.USER, MySqlServer.PASSWORD, file, pos,
                gtids, null);
    }

    List<String> fromKingbus(String file, long pos, String gtids) throws Exception {
        return BinlogEvents.read("127.0.0.1", server.port(), USER, PASSWORD, file, pos, gtids, null);
    }

    void assertSameEvents(List<String> kingbus, List<String> real) {
        if (!kingbus.equals(real)) {
            try {
                Path out = Path.of(System.getProperty("java.io.tmpdir"), "kb-events-" + version);
                Files.createDirectories(out);
                Files.write(out.resolve("kingbus.txt"), kingbus);
                Files.write(out.resolve("primary.txt"), real);
                log.warn("event lists differ; see {}", out);
            } catch (java.io.IOException e) {
                log.warn("cannot write the event lists: {}", e.toString());
            }
        }
        assertThat(kingbus).hasSize(real.size());
        for (int i = 0; i < real.size(); i++) {
            assertThat(kingbus.get(i)).as("event #%d", i).isEqualTo(real.get(i));
        }
    }

    @Test
    void connectorJavaByFileAndPositionFromTheStart() throws Exception {
        String first = store.files().get(0).name();
        List<String> real = fromPrimary(first, 4, null);
        List<String> ours = fromKingbus(first, 4, null);
        log.info("{}: {} events by file:pos from {}:4", version, real.size(), first);
        assertThat(real.size()).isGreaterThan(100);
        assertSameEvents(ours, real);
    }

    @Test
    void connectorJavaByFileAndPositionMidFile() throws Exception {
        BinlogFileInfo second = store.files().get(1);
        StoredPositions p = StoredPositions.of(store, second.name());
        long mid = p.transactionStarts().get(p.transactionStarts().size() / 2);
        List<String> real = fromPrimary(second.name(), mid, null);
        List<String> ours = fromKingbus(second.name(), mid, null);
        assertThat(real).isNotEmpty();
        assertSameEvents(ours, real);
    }

    /**
     * A replica that has most of a file (here: all but the last two transactions of the largest file, which holds the
     * 20 MiB row) and a heartbeat period, as MySQL replicas have: kingbus seeks over what it has by the store's
     * transaction index instead of reading it, and serves what the real primary serves, heartbeats included. Without
     * a heartbeat period (MySQL then sends a heartbeat after every skipped event) it reads them.
     */
    @Test
    void connectorJavaByGtidWithAHeartbeatPeriodSkipsByTheIndexWhatTheReplicaHas() throws Exception {
        GtidSet executed = GtidSet.parse(primary.gtidExecuted());
        UUID sid = executed.sids().iterator().next();
        List<BinlogFileInfo> files = store.files();
        int big = 0;
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i).endPosition() > files.get(big).endPosition()) {
                big = i;
            }
        }
        BinlogFileInfo file = files.get(big);
        assertThat(file.transactions()).isGreaterThan(20);
        long later = 0; // what follows the file: sent, so read
        for (BinlogFileInfo f : files.subList(big + 1, files.size())) {
            later += f.endPosition() - 4;
        }
        java.util.function.Consumer<com.github.shyiko.mysql.binlog.BinaryLogClient> period =
                c -> c.setHeartbeatInterval(30_000);
        String most = sid + ":1-" + (file.lastGtid().gno() - 2);
        List<String> real = BinlogEvents.read(primary.host(), primary.port(), MySqlServer.USER, MySqlServer.PASSWORD,
                null, 4, most, period);
        long before = server.storeBytesRead();
        List<String> ours = BinlogEvents.read("127.0.0.1", server.port(), USER, PASSWORD, null, 4, most, period);
        long read = server.storeBytesRead() - before;
        log.info("{}: replica has {}: {} events; {} bytes read of the {} of {} and the {} after it", version, most,
                real.size(), read, file.endPosition(), file.name(), later);
        assertThat(real).anyMatch(e -> e.contains("HEARTBEAT"));
        assertSameEvents(ours, real);
        assertThat(read - later).as("bytes read of the file the replica mostly has")
                .isLessThan(file.endPosition() / 20);

        // no heartbeat period: every skipped event is read (MySQL sends a heartbeat after each), but for the 20 MiB
        // row, skipped by its type unread
        before = server.storeBytesRead();
        assertSameEvents(fromKingbus(null, 4, most), fromPrimary(null, 4, most));
        long readAll = server.storeBytesRead() - before;
        log.info("{}: without a heartbeat period: {} bytes read", version, readAll);
        assertThat(readAll - later).isGreaterThanOrEqualTo(file.endPosition() - 4 - (21L << 20));

        // holes and a set that skips the first transactions of every file, with the period
        for (String have : new String[] {sid + ":1-3:7-9:20-25", sid + ":2-" + (file.lastGtid().gno() - 1),
                sid + ":1-" + (executed.lastGno(sid) - 1)}) {
            assertSameEvents(BinlogEvents.read("127.0.0.1", server.port(), USER, PASSWORD, null, 4, have, period),
                    BinlogEvents.read(primary.host(), primary.port(), MySqlServer.USER, MySqlServer.PASSWORD, null,
                            4, have, period));
        }
    }

    /**
     * A GTID dump without a heartbeat period (mysqlbinlog --exclude-gtids, mysql-binlog-connector-java's default)
     * whose set holds the transaction of the 20 MiB row: no index skip, yet the row's event is skipped without being
     * read (a ROWS event that large is never the transaction's end), so the node holds no buffer of its size, and the
     * client gets what the real primary sends it (a heartbeat per skipped event).
     */
    @Test
    void connectorJavaByGtidWithoutAHeartbeatPeriodSkipsALargeRowUnread() throws Exception {
        io.kingbus.gtid.Gtid bigGtid = null;
        long bigLength = 0;
        try (io.kingbus.store.BinlogReader r = store.openReader(store.files().get(0).name(), 4)) {
            io.kingbus.binlog.ChecksumType c = io.kingbus.binlog.ChecksumType.OFF;
            io.kingbus.gtid.Gtid last = null;
            for (io.kingbus.binlog.PositionedEvent e; (e = r.poll()) != null; ) {
                int type = e.event().type();
                if (type == io.kingbus.binlog.EventType.FORMAT_DESCRIPTION) {
                    c = io.kingbus.binlog.FormatDescription.checksumOf(e.event());
                } else if (type == io.kingbus.binlog.EventType.GTID) {
                    last = io.kingbus.binlog.GtidEvent.decode(e.event(), c).gtid();
                } else if (e.event().length() > 16 << 20) {
                    bigGtid = last;
                    bigLength = e.event().length();
                    break;
                }
            }
        }
        assertThat(bigGtid).as("the transaction of the workload's 20 MiB row").isNotNull();
        long stored = 0;
        for (BinlogFileInfo f : store.files()) {
            stored += f.endPosition() - 4;
        }
        String have = bigGtid.sid() + ":1-" + bigGtid.gno();
        List<String> real = fromPrimary(null, 4, have);
        long baseline = io.netty.buffer.PooledByteBufAllocator.DEFAULT.pinnedDirectMemory();
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!done.get()) {
                peak.accumulateAndGet(io.netty.buffer.PooledByteBufAllocator.DEFAULT.pinnedDirectMemory() - baseline,
                        Math::max);
                Thread.onSpinWait();
            }
        });
        sampler.start();
        long before = server.storeBytesRead();
        List<String> ours;
        try {
            ours = fromKingbus(null, 4, have);
        } finally {
            done.set(true);
            sampler.join();
        }
        long read = server.storeBytesRead() - before;
        log.info("{}: replica has {} (the {} byte row's transaction), no heartbeat period: {} events, {} of {} bytes"
                + " read, peak direct memory {} KB", version, have, bigLength, real.size(), read, stored,
                peak.get() / 1024);
        assertThat(real).anyMatch(e -> e.contains("HEARTBEAT"));
        assertSameEvents(ours, real);
        // the reads' windows re-read some bytes (an event cut at a window's end is read again), but not the row
        assertThat(read).as("bytes read of %d stored, the row's event unread", stored)
                .isLessThan(stored - bigLength / 2);
        assertThat(peak.get()).as("peak direct memory of one dump").isLessThan(4L << 20);
    }

    @Test
    void connectorJavaByGtid() throws Exception {
        UUID sid = GtidSet.parse(primary.gtidExecuted()).sids().iterator().next();
        for (String have : new String[] {"", sid + ":1-5", sid + ":1-3:7-9:20-25",
                sid + ":1-" + (GtidSet.parse(primary.gtidExecuted()).lastGno(sid) - 2), primary.gtidExecuted()}) {
            List<String> real = fromPrimary(null, 4, have);
            List<String> ours = fromKingbus(null, 4, have);
            log.info("{}: {} events by GTID excluding '{}'", version, real.size(), have);
            assertSameEvents(ours, real);
        }
    }
}

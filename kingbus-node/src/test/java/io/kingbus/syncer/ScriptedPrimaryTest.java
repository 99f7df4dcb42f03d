package io.kingbus.syncer;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.SemiSync;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dump client against {@link ScriptedPrimary}, an in-process fake primary built with the protocol package.
 * Semi-sync is tested here because no MySQL build on this machine ships the semi-sync plugin; the other tests
 * script what a real server will not do on demand (corrupt checksums, garbage, silence, a slow consumer).
 */
class ScriptedPrimaryTest {
    private static final UUID SID = UUID.fromString(ScriptedPrimary.UUID_TEXT);
    private static final ChecksumType CRC = ChecksumType.CRC32;

    private ScriptedPrimary primary;

    @BeforeEach
    void start() throws Exception {
        primary = new ScriptedPrimary();
    }

    @AfterEach
    void stop() {
        primary.close();
    }

    /** A non-blocking dump: the scripts end their streams with EOF. */
    private DumpConfig.Builder config() {
        return DumpConfig.builder("127.0.0.1", primary.port()).user("root").password("").serverId(1001)
                .serverUuid(UUID.randomUUID()).gtids(GtidSet.empty()).readTimeout(Duration.ofSeconds(10))
                .nonBlocking(true);
    }

    /** Fake rotate, FORMAT_DESCRIPTION and PREVIOUS_GTIDS of mysql-bin.000001; returns the next position. */
    private static long fileStart(ScriptedPrimary.Session s) throws InterruptedException {
        s.event(RotateEvent.fake(ScriptedPrimary.SERVER_ID, "mysql-bin.000001", 4, CRC).bytes());
        BinlogEvent fde = TestEvents.fde("8.0.15-scripted", CRC, 0);
        long pos = 4 + fde.length();
        s.event(TestEvents.fde("8.0.15-scripted", CRC, pos).bytes());
        BinlogEvent prev = TestEvents.previousGtids(GtidSet.empty(), 0, CRC);
        pos += prev.length();
        s.event(TestEvents.previousGtids(GtidSet.empty(), pos, CRC).bytes());
        return pos;
    }

    /** One transaction (GTID, BEGIN, TABLE_MAP, WRITE_ROWS, XID); the XID may ask for an ACK. Returns the end. */
    private static long transaction(ScriptedPrimary.Session s, long pos, long gno, int rowBytes, boolean ack)
            throws InterruptedException {
        List<BinlogEvent> events = new ArrayList<>();
        long p = pos;
        BinlogEvent e = TestEvents.gtid(SID, gno, 0, CRC);
        p += e.length();
        events.add(TestEvents.gtid(SID, gno, p, CRC));
        p += TestEvents.query("shop", "BEGIN", 0, CRC).length();
        events.add(TestEvents.query("shop", "BEGIN", p, CRC));
        p += TestEvents.tableMap(108, "shop", "t", 0, CRC).length();
        events.add(TestEvents.tableMap(108, "shop", "t", p, CRC));
        p += TestEvents.writeRows(108, rowBytes, true, 0, CRC).length();
        events.add(TestEvents.writeRows(108, rowBytes, true, p, CRC));
        p += TestEvents.xid(gno, 0, CRC).length();
        events.add(TestEvents.xid(gno, p, CRC));
        for (int i = 0; i < events.size(); i++) {
            s.event(events.get(i).bytes(), ack && i == events.size() - 1);
        }
        return p;
    }

    private static SyncerException failure(BinlogDumpClient client) throws Exception {
        try {
            client.start().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return (SyncerException) e.getCause();
        }
        throw new AssertionError("the session should have failed");
    }

    @Test
    void semiSyncEventsCarryTheAckFlagAndAcksReachThePrimary() throws Exception {
        primary.semiSyncPlugin = true;
        AtomicReference<SemiSync.Ack> firstAck = new AtomicReference<>();
        AtomicReference<SemiSync.Ack> secondAck = new AtomicReference<>();
        AtomicLong firstEnd = new AtomicLong();
        AtomicLong secondEnd = new AtomicLong();
        primary.script = s -> {
            assertThat(s.semiSync()).isTrue();
            long pos = fileStart(s);
            pos = transaction(s, pos, 1, 100, true);
            firstEnd.set(pos);
            firstAck.set(s.awaitAck(10));
            pos = transaction(s, pos, 2, 100, true);
            secondEnd.set(pos);
            secondAck.set(s.awaitAck(10));
            s.eof();
        };
        List<ReceivedEvent> acked = new ArrayList<>();
        BinlogDumpClient[] client = new BinlogDumpClient[1];
        Collector c = new Collector() {
            @Override
            public void onEvent(ReceivedEvent event) throws Exception {
                super.onEvent(event);
                if (event.ackRequested()) {
                    acked.add(event);
                    // kingbus acks once the transaction is committed by a raft majority; here at once
                    assertThat(client[0].ack(event.file(), event.endPosition())).isTrue();
                }
            }
        };
        client[0] = new BinlogDumpClient(config().semiSync(true).build(), c);
        client[0].start().get(30, TimeUnit.SECONDS);

        assertThat(primary.queries).contains("SHOW VARIABLES LIKE 'rpl_semi_sync_master_enabled'",
                "SET @rpl_semi_sync_slave = 1, @rpl_semi_sync_replica = 1");
        assertThat(c.primary.semiSync()).isTrue();
        assertThat(acked).hasSize(2).allMatch(e -> e.event().type() == EventType.XID);
        assertThat(c.events().stream().filter(ReceivedEvent::ackRequested)).hasSize(2);
        assertThat(firstAck.get()).isEqualTo(new SemiSync.Ack("mysql-bin.000001", firstEnd.get()));
        assertThat(secondAck.get()).isEqualTo(new SemiSync.Ack("mysql-bin.000001", secondEnd.get()));
        assertThat(client[0].status().acksSent()).isEqualTo(2);
        assertThat(c.gtids()).hasSize(2);
        assertThat(primary.scriptErrors).isEmpty();
    }

    @Test
    void semiSyncRequestedButPrimaryWithoutThePluginStaysAsynchronous() throws Exception {
        primary.semiSyncPlugin = false;
        primary.script = s -> {
            assertThat(s.semiSync()).isFalse();
            transaction(s, fileStart(s), 1, 10, false);
            s.eof();
        };
        Collector c = new Collector();
        BinlogDumpClient client = new BinlogDumpClient(config().semiSync(true).build(), c);
        client.start().get(30, TimeUnit.SECONDS);
        assertThat(c.primary.semiSync()).isFalse();
        assertThat(primary.queries).noneMatch(q -> q.contains("@rpl_semi_sync_slave"));
        assertThat(client.ack("mysql-bin.000001", 4)).isFalse();
        assertThat(c.gtids()).hasSize(1);
    }

    @Test
    void preambleAndRegistrationAreWhatAReplicaSends() throws Exception {
        primary.script = ScriptedPrimary.Session::eof;
        UUID uuid = UUID.randomUUID();
        BinlogDumpClient client = new BinlogDumpClient(config().serverUuid(uuid).report("10.1.2.3", 3307)
                .heartbeatPeriod(Duration.ofMillis(1500)).gtids(GtidSet.parse(ScriptedPrimary.UUID_TEXT + ":1-9"))
                .build(), new Collector());
        client.start().get(30, TimeUnit.SECONDS);
        assertThat(primary.queries).containsExactly(
                "SELECT UNIX_TIMESTAMP()",
                "SELECT @@GLOBAL.SERVER_ID",
                "SELECT @@GLOBAL.SERVER_UUID",
                "SELECT @@GLOBAL.GTID_MODE",
                "SELECT @@GLOBAL.BINLOG_FORMAT",
                "SELECT @@GLOBAL.BINLOG_CHECKSUM",
                "SET @master_binlog_checksum = @@global.binlog_checksum, @source_binlog_checksum = @@global.binlog_checksum",
                "SET @master_heartbeat_period = 1500000000, @source_heartbeat_period = 1500000000",
                "SET @slave_uuid = '" + uuid + "', @replica_uuid = '" + uuid + "'");
        assertThat(primary.registrations).hasSize(1);
        assertThat(primary.registrations.get(0).serverId()).isEqualTo(1001);
        assertThat(primary.registrations.get(0).host()).isEqualTo("10.1.2.3");
        assertThat(primary.registrations.get(0).port()).isEqualTo(3307);
        assertThat(primary.dumps).hasSize(1);
        assertThat(primary.dumps.get(0).gtids()).isEqualTo(GtidSet.parse(ScriptedPrimary.UUID_TEXT + ":1-9"));
        assertThat(primary.dumps.get(0).serverId()).isEqualTo(1001);
        assertThat(primary.dumps.get(0).nonBlocking()).isTrue();
    }

    @Test
    void corruptChecksumEndsTheSessionWithoutPassingTheEventOn() throws Exception {
        primary.script = s -> {
            long pos = fileStart(s);
            byte[] bad = TestEvents.gtid(SID, 1, pos + 65, CRC).bytes();
            bad[30] ^= 1;
            s.event(bad);
        };
        Collector c = new Collector();
        SyncerException e = failure(new BinlogDumpClient(config().build(), c));
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.CHECKSUM);
        assertThat(e.getMessage()).contains("checksum mismatch in a Gtid event").contains("mysql-bin.000001");
        assertThat(c.events()).hasSize(3); // rotate, FDE, PREVIOUS_GTIDS; not the bad one
        assertThat(c.events()).noneMatch(ev -> ev.event().type() == EventType.GTID);
    }

    @Test
    void errorDuringTheDumpCarriesMySqlsCodeAndMessage() throws Exception {
        primary.script = s -> {
            transaction(s, fileStart(s), 1, 10, false);
            s.err(1236, "Cannot replicate because the master purged required binary logs.");
        };
        Collector c = new Collector();
        BinlogDumpClient client = new BinlogDumpClient(config().build(), c);
        SyncerException e = failure(client);
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.SERVER_ERROR);
        assertThat(e.errorCode()).isEqualTo(1236);
        assertThat(e.getMessage()).endsWith("ERROR 1236 (HY000): Cannot replicate because the master purged required "
                + "binary logs.");
        assertThat(c.gtids()).hasSize(1);
        assertThat(client.status().lastError()).isSameAs(e);
    }

    @Test
    void garbageInTheStreamIsAProtocolError() throws Exception {
        primary.script = s -> {
            fileStart(s);
            s.raw(new byte[] {0x42, 1, 2, 3});
        };
        SyncerException e = failure(new BinlogDumpClient(config().build(), new Collector()));
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.PROTOCOL);
        assertThat(e.getMessage()).contains("in the dump stream");

        primary.script = s -> {
            fileStart(s);
            s.raw(new byte[] {0, 1, 2, 3}); // an "event" shorter than its header
        };
        SyncerException e2 = failure(new BinlogDumpClient(config().build(), new Collector()));
        assertThat(e2.kind()).isEqualTo(SyncerException.Kind.PROTOCOL);
        assertThat(e2.getMessage()).contains("shorter than its 19-byte header");
    }

    @Test
    void eofEndsANonBlockingDumpButIsADisconnectInABlockingOne() throws Exception {
        primary.script = s -> {
            transaction(s, fileStart(s), 1, 10, false);
            s.eof(); // what MySQL sends when it kills a dump thread, e.g. at shutdown
        };
        BinlogDumpClient nonBlocking = new BinlogDumpClient(config().build(), new Collector());
        nonBlocking.start().get(30, TimeUnit.SECONDS);
        assertThat(nonBlocking.status().state()).isEqualTo(DumpStatus.State.ENDED);
        assertThat(primary.dumps.get(0).nonBlocking()).isTrue();

        Collector c = new Collector();
        SyncerException e = failure(new BinlogDumpClient(config().nonBlocking(false).build(), c));
        assertThat(primary.dumps.get(1).nonBlocking()).isFalse();
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.DISCONNECTED);
        assertThat(e.getMessage()).contains("ended the dump");
        assertThat(c.gtids()).hasSize(1);
    }

    @Test
    void silentPrimaryTimesOut() throws Exception {
        primary.script = s -> fileStart(s); // then nothing, not even heartbeats
        long t0 = System.nanoTime();
        SyncerException e = failure(new BinlogDumpClient(config().nonBlocking(false)
                .streamIdleTimeout(Duration.ofSeconds(1)).build(),
                new Collector()));
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void fortyMebibyteEventIsReassembledAndVerified() throws Exception {
        primary.script = s -> {
            long pos = fileStart(s);
            s.event(TestEvents.writeRows(108, 40 << 20, true, pos + (40 << 20) + 100, CRC).bytes());
            s.eof();
        };
        Collector c = new Collector();
        BinlogDumpClient client = new BinlogDumpClient(config().build(), c);
        client.start().get(60, TimeUnit.SECONDS);
        ReceivedEvent big = c.events().get(3);
        assertThat(big.event().length()).isGreaterThan(40 << 20);
        assertThat(big.event().checksumMatches(CRC)).isTrue();
        assertThat(client.status().bytesReceived()).isGreaterThan(40 << 20);
    }

    @Test
    void slowListenerKeepsTheQueueBounded() throws Exception {
        int events = 1500;
        int rowBytes = 64 * 1024;
        primary.script = s -> {
            long pos = fileStart(s);
            for (int i = 0; i < events; i++) {
                BinlogEvent e = TestEvents.writeRows(108, rowBytes, true, 0, CRC);
                pos += e.length();
                s.event(TestEvents.writeRows(108, rowBytes, true, pos, CRC).bytes());
            }
            s.eof();
        };
        long high = 4L << 20;
        BinlogDumpClient[] client = new BinlogDumpClient[1];
        AtomicLong maxQueued = new AtomicLong();
        AtomicLong seen = new AtomicLong();
        Collector c = new Collector() {
            @Override
            public void onEvent(ReceivedEvent event) throws Exception {
                maxQueued.accumulateAndGet(client[0].status().queuedBytes(), Math::max);
                if (seen.incrementAndGet() < 400) {
                    Thread.sleep(2); // ~32 MB/s: far slower than loopback, so the queue fills up
                }
            }
        };
        client[0] = new BinlogDumpClient(config().queueWaterMarks(high, 1L << 20).build(), c);
        client[0].start().get(120, TimeUnit.SECONDS);
        assertThat(client[0].status().eventsReceived()).isEqualTo(events + 3);
        // ~96 MiB went through; the queue never held much more than the high-water mark (plus what one socket read
        // decodes at once).
        assertThat(maxQueued.get()).isGreaterThan(high / 2).isLessThan(high + (2L << 20));
    }

    @Test
    void cachingSha2FullAuthThenFastPathAndNativeSwitchAgainstTheFake() throws Exception {
        primary.addUser("sha2", "pw-sha2", AuthPlugins.CACHING_SHA2_PASSWORD);
        primary.addUser("native", "pw-native", AuthPlugins.MYSQL_NATIVE_PASSWORD);
        primary.script = ScriptedPrimary.Session::eof;
        Collector first = new Collector();
        new BinlogDumpClient(config().user("sha2").password("pw-sha2").build(), first).start().get(30, TimeUnit.SECONDS);
        assertThat(first.primary.authPath()).isEqualTo(AuthPath.SHA2_FULL_AUTH_RSA);
        Collector second = new Collector();
        new BinlogDumpClient(config().user("sha2").password("pw-sha2").build(), second).start().get(30, TimeUnit.SECONDS);
        assertThat(second.primary.authPath()).isEqualTo(AuthPath.SHA2_FAST_AUTH);
        Collector nat = new Collector();
        new BinlogDumpClient(config().user("native").password("pw-native").build(), nat).start().get(30, TimeUnit.SECONDS);
        assertThat(nat.primary.authPlugin()).isEqualTo(AuthPlugins.MYSQL_NATIVE_PASSWORD);

        SyncerException e = failure(new BinlogDumpClient(config().user("native").password("nope").build(),
                new Collector()));
        assertThat(e.errorCode()).isEqualTo(1045);
    }

    @Test
    void incompatiblePrimariesAreRefused() throws Exception {
        primary.binlogFormat = "STATEMENT";
        SyncerException format = failure(new BinlogDumpClient(config().build(), new Collector()));
        assertThat(format.kind()).isEqualTo(SyncerException.Kind.INCOMPATIBLE_PRIMARY);
        assertThat(format.getMessage()).contains("binlog_format=STATEMENT");
        primary.binlogFormat = "ROW";
        primary.gtidMode = "ON_PERMISSIVE";
        SyncerException gtid = failure(new BinlogDumpClient(config().build(), new Collector()));
        assertThat(gtid.getMessage()).contains("gtid_mode=ON_PERMISSIVE");
        assertThat(primary.dumps).isEmpty();
    }

    @Test
    void listenerFailureEndsTheSession() throws Exception {
        primary.script = s -> transaction(s, fileStart(s), 1, 10, false);
        BinlogDumpClient client = new BinlogDumpClient(config().build(), event -> {
            if (event.event().type() == EventType.GTID) {
                throw new IllegalStateException("store full");
            }
        });
        SyncerException e = failure(client);
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.LISTENER);
        assertThat(e.getCause()).hasMessage("store full");
    }
}

package io.kingbus.server;

import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.BinlogDump;
import io.kingbus.protocol.BinlogDumpGtid;
import io.kingbus.protocol.Commands;
import io.kingbus.protocol.ErrPacket;
import io.kingbus.protocol.Packet;
import io.kingbus.protocol.PayloadWriter;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hostile and slow clients while a real 5.7.22 replica tails the kingbus server: random bytes, truncated packets,
 * huge length prefixes, bad dumps and GTID sets, 200 connections opened and dropped, a client that never reads.
 * Each gets a clear error or is closed; the server keeps serving the replica.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BinlogServerHostileTest {
    private static final Logger log = LoggerFactory.getLogger(BinlogServerHostileTest.class);
    static final String USER = "kb";
    static final String PASSWORD = "kb";

    MySqlServer primary;
    MySqlServer replica;
    BinlogStore store;
    BinlogServer server;
    PrimaryFeeder feeder;
    Path dir;
    int round = 10;

    @BeforeAll
    void startAll() throws Exception {
        dir = Files.createTempDirectory("kb-hostile-test");
        primary = MySqlServer.builder(MySqlVersion.V5_7).start();
        replica = MySqlServer.builder(MySqlVersion.V5_7).start();
        store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
        feeder = new PrimaryFeeder(primary, store);
        Workloads.mixed(primary, 1, false);
        feeder.sync();
        // a short connect timeout: junk that announces a long packet is closed after it, as MySQL's connect_timeout
        server = new BinlogServer(store, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)
                .withLimits(1024, Duration.ofMillis(300), Duration.ofHours(8))).start();
        replica.replicateFrom("127.0.0.1", server.port(), USER, PASSWORD);
        replica.awaitGtidExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
    }

    @AfterAll
    void stopAll() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {server, replica, primary, store}) {
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

    /** More transactions reach the store; the replica, connected all along, gets them. */
    private void replicaStillServed() {
        Workloads.small(primary, round++, 10);
        feeder.sync();
        replica.awaitGtidExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
        assertThat(String.valueOf(replica.replicaStatus().get("Last_IO_Errno"))).isEqualTo("0");
        assertThat(String.valueOf(replica.replicaStatus().get("Slave_IO_Running"))).isEqualTo("Yes");
    }

    @Test
    @Order(1)
    void randomAndTruncatedBytesBeforeLogin() throws Exception {
        Random r = new Random(42);
        for (int i = 0; i < 24; i++) {
            try (RawClient c = RawClient.open(server.port(), 0)) {
                byte[] junk = new byte[1 + r.nextInt(i % 4 == 0 ? 200_000 : 300)];
                r.nextBytes(junk);
                try {
                    c.writeRaw(junk);
                } catch (IOException e) {
                    // the server closed first: fine
                }
                assertClosedOrError(c);
            }
        }
        // a header announcing more bytes than ever arrive, then the client goes away
        try (RawClient c = RawClient.open(server.port(), 0)) {
            c.writeRaw(new byte[] {(byte) 0xe8, 0x03, 0x00, 0x01, 1, 2, 3});
        }
        // a huge length prefix before login: closed once more than a handshake's worth arrived
        try (RawClient c = RawClient.open(server.port(), 0)) {
            try {
                c.writeRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01});
                c.writeRaw(new byte[100_000]);
            } catch (IOException e) {
                // closed while writing
            }
            assertClosedOrError(c);
        }
        // a handshake response out of sequence
        try (RawClient c = RawClient.open(server.port(), 0)) {
            c.write(7, new byte[40]);
            Packet p = c.read();
            assertThat(ErrPacket.parse(p.payload()).errorCode()).isEqualTo(1156);
        }
        // a malformed handshake response
        try (RawClient c = RawClient.open(server.port(), 0)) {
            c.write(1, new byte[] {0, 0, 0, 0, 1});
            Packet p = c.read();
            assertThat(ErrPacket.parse(p.payload()).errorCode()).isEqualTo(1043);
        }
        replicaStillServed();
    }

    @Test
    @Order(2)
    void hostileCommandsAfterLogin() throws Exception {
        // unknown and random commands: errors, the connection stays usable
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            Random r = new Random(7);
            for (int i = 0; i < 50; i++) {
                int cmd = 0x20 + r.nextInt(200);
                byte[] payload = new byte[1 + r.nextInt(100)];
                r.nextBytes(payload);
                payload[0] = (byte) cmd;
                c.write(0, payload);
                assertThat(ErrPacket.parse(c.read().payload()).errorCode()).isEqualTo(1047);
            }
            assertThat(c.query("SELECT @@server_id").firstValue()).isEqualTo(String.valueOf(server.config().serverId()));
            // random SQL: an error, never a dropped connection
            for (int i = 0; i < 50; i++) {
                byte[] sql = new byte[1 + r.nextInt(200)];
                r.nextBytes(sql);
                byte[] payload = new byte[sql.length + 1];
                payload[0] = Commands.COM_QUERY;
                System.arraycopy(sql, 0, payload, 1, sql.length);
                c.write(0, payload);
                Packet p = c.read();
                assertThat(p.firstByte()).isIn(0x00, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05);
                while (p.firstByte() != 0x00 && p.firstByte() != 0xff && !io.kingbus.protocol.EofPacket.isEof(p.payload())) {
                    p = c.read(); // a result set (random bytes can spell a valid SELECT): read to its end
                }
                if (io.kingbus.protocol.EofPacket.isEof(p.payload())) {
                    do {
                        p = c.read();
                    } while (!io.kingbus.protocol.EofPacket.isEof(p.payload()) && p.firstByte() != 0xff);
                }
            }
            assertThat(c.query("SELECT 1").firstValue()).isEqualTo("1");
        }
        // a truncated COM_BINLOG_DUMP_GTID
        expectDumpError(new byte[] {0x1e, 0, 0, 5, 0, 0}, 1835);
        // bad GTID set bytes
        byte[] bad = new PayloadWriter().u8(0x1e).u16(0).u32(77).u32(0).u64(4).u32(24).u64(3)
                .bytes(new byte[16]).toByteArray();
        expectDumpError(bad, 1773);
        // a dump of an unknown file
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            c.query("SET @master_binlog_checksum = 'CRC32'");
            c.write(0, new BinlogDump(4, 0, 78, "nosuch-bin.000042").encode());
            assertThatThrownBy(c::readEvent).isInstanceOfSatisfying(RawClient.ServerError.class, e -> {
                assertThat(e.err.errorCode()).isEqualTo(1236);
                assertThat(e.err.message()).isEqualTo(MySqlFlavor.NO_FIRST_LOG);
            });
        }
        // a packet larger than the server accepts: MySQL's 1153, then closed
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            byte[] chunk = new byte[Packet.MAX_PHYSICAL_PAYLOAD];
            chunk[0] = Commands.COM_QUERY;
            try {
                for (int seq = 0; seq < 3; seq++) {
                    c.writeRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) seq});
                    c.writeRaw(chunk);
                }
            } catch (IOException e) {
                // closed while writing
            }
            Packet p = c.read();
            assertThat(ErrPacket.parse(p.payload()).errorCode()).isEqualTo(1153);
            assertClosedOrError(c);
        }
        replicaStillServed();
    }

    private void expectDumpError(byte[] payload, int code) throws IOException {
        try (RawClient c = RawClient.login(server.port(), USER, PASSWORD)) {
            c.write(0, payload);
            assertThatThrownBy(c::readEvent).isInstanceOfSatisfying(RawClient.ServerError.class,
                    e -> assertThat(e.err.errorCode()).isEqualTo(code));
        }
    }

    @Test
    @Order(3)
    void twoHundredConnectionsOpenedAndDropped() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int k = i;
                all.add(pool.submit(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
                        if (k % 3 == 1) {
                            s.getOutputStream().write(new byte[] {10, 0, 0, 1, 1, 2}); // half a handshake response
                        } else if (k % 3 == 2) {
                            s.getInputStream().read(new byte[16]); // part of the handshake, then gone
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : all) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.status().connections() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.status().connections()).as("only the replica stays connected").isEqualTo(1);
        replicaStillServed();
    }

    @Test
    @Order(4)
    void aClientThatNeverReadsDoesNotSlowTheReplica() throws Exception {
        try (RawClient slow = RawClient.login(server.port(), USER, PASSWORD, "mysql_native_password", 4096)) {
            slow.query("SET @master_binlog_checksum = 'CRC32'");
            slow.write(0, BinlogDumpGtid.of(4321, GtidSet.empty(), 0).encode());
            long t0 = System.nanoTime();
            Workloads.mixed(primary, round++, true); // a 20 MiB row among others
            Workloads.mixed(primary, round++, false);
            feeder.sync();
            replica.awaitGtidExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
            log.info("replica caught up {} ms after the workload began, beside a client that never reads",
                    (System.nanoTime() - t0) / 1_000_000);
            BinlogServerStatus.ReplicaStatus s = server.status().slaves().stream()
                    .filter(x -> x.serverId() == 4321).findFirst().orElseThrow();
            long stored = store.sizeBytes();
            log.info("the slow client: {} bytes queued, {} behind, store {} bytes", s.bytesSent(), s.lagBytes(), stored);
            assertThat(s.caughtUp()).isFalse();
            assertThat(s.lagBytes()).isPositive();
            assertThat(s.bytesSent()).isLessThan(stored);
            BinlogServerStatus.ReplicaStatus real = server.status().slaves().stream()
                    .filter(x -> x.serverId() == replica.serverId()).findFirst().orElseThrow();
            assertThat(real.caughtUp()).isTrue();
            assertThat(real.lagBytes()).isZero();
        }
        replicaStillServed();
        Map<String, String> sums = Workloads.checksums(primary);
        assertThat(Workloads.checksumsMatching(replica, sums, Duration.ofSeconds(10))).isEqualTo(sums);
    }

    /** The server answered with an ERR or closed the connection (no hang: the socket has a read timeout). */
    private static void assertClosedOrError(RawClient c) {
        try {
            Packet p = c.read();
            assertThat(p.firstByte()).isEqualTo(0xff);
        } catch (IOException e) {
            // closed (EOF or reset)
        }
    }
}

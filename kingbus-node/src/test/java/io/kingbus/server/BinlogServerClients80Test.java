package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.BinlogDump;
import io.kingbus.store.BinlogReader;
import io.kingbus.testkit.MySqlVersion;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** mysql-binlog-connector-java against a real 8.0.15 primary and against kingbus serving its binlog. */
class BinlogServerClients80Test extends ClientsTestBase {
    private static final Logger log = LoggerFactory.getLogger(BinlogServerClients80Test.class);

    BinlogServerClients80Test() {
        super(MySqlVersion.V8_0);
    }

    /**
     * Clients that stop reading at a 20 MiB event hold no buffer of its size each: the event goes from the file
     * (sendfile), so the server's direct memory stays within the channels' write bounds, and every client then gets it
     * whole. The figure logged is the peak of Netty's pinned direct memory per client.
     */
    @Test
    void clientsStalledOnA20MiBEventHoldNoCopyOfIt() throws Exception {
        String file = null;
        long bigStart = -1;
        long bigEnd = -1;
        try (BinlogReader r = store.openReader(store.files().get(0).name(), 4)) {
            for (PositionedEvent e; (e = r.poll()) != null; ) {
                if (e.event().length() > 16 << 20) {
                    file = e.file();
                    bigStart = e.position();
                    bigEnd = e.endPosition();
                    break;
                }
            }
        }
        assertThat(file).as("the workload's 20 MiB row").isNotNull();
        int n = 8;
        long baseline = PooledByteBufAllocator.DEFAULT.pinnedDirectMemory();
        long fdsBefore = openFiles();
        int filesBefore = Framing.openFiles();
        List<RawClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                RawClient c = RawClient.login(server.port(), USER, PASSWORD, AuthPlugins.MYSQL_NATIVE_PASSWORD,
                        64 << 10);
                clients.add(c);
                c.query("SET @master_binlog_checksum = 'CRC32'");
                c.write(0, new BinlogDump(bigStart, BinlogDump.NON_BLOCK, 7000 + i, file).encode());
            }
            // nobody reads: every dump queues the event and stops (its channel is not writable)
            long peak = 0;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline) {
                peak = Math.max(peak, PooledByteBufAllocator.DEFAULT.pinnedDirectMemory() - baseline);
                if (past(n, file, bigEnd) == n) {
                    break;
                }
                Thread.sleep(20);
            }
            for (int i = 0; i < 50; i++) {
                peak = Math.max(peak, PooledByteBufAllocator.DEFAULT.pinnedDirectMemory() - baseline);
                Thread.sleep(20);
            }
            assertThat(past(n, file, bigEnd)).as("dumps past the 20 MiB event").isEqualTo(n);
            // the event is 2 physical packets (2 regions) per client, from one open file: one descriptor per client
            // per event, not one per packet (64 per client for a 1 GiB event)
            assertThat(Framing.openFiles() - filesBefore).as("files held open by %d stalled clients", n).isEqualTo(n);
            log.info("{}: {} stalled clients hold {} more descriptors", version, n, openFiles() - fdsBefore);
            log.info("{}: {} clients stalled on a {} byte event: peak direct memory in Netty buffers {} KB, {} KB per"
                    + " client", version, n, bigEnd - bigStart, peak / 1024, peak / 1024 / n);
            assertThat(peak).as("direct memory of %d stalled clients", n).isLessThan((long) n * (4 << 20));
            for (RawClient c : clients) {
                c.readEvent(); // fake ROTATE
                c.readEvent(); // FORMAT_DESCRIPTION
                BinlogEvent e = c.readEvent();
                assertThat(e.length()).isEqualTo(bigEnd - bigStart);
                assertThat(BinlogEvent.crc32(e.bytes(), 0, e.bytes().length - 4))
                        .isEqualTo(io.kingbus.binlog.Bytes.u32(e.bytes(), e.bytes().length - 4));
                assertThat(c.readEventsUntilEnd()).isNotEmpty();
            }
        } finally {
            clients.forEach(RawClient::close);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (openFiles() > fdsBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(openFiles()).as("the regions' files are closed").isLessThanOrEqualTo(fdsBefore);
        assertThat(Framing.openFiles()).isEqualTo(filesBefore);
    }

    /** The dumps of the test's clients that have queued the event (a stalled dump goes no further). */
    private long past(int n, String file, long end) {
        return server.status().slaves().stream().filter(s -> s.serverId() >= 7000 && s.serverId() < 7000 + n)
                .filter(s -> !s.file().equals(file) || s.position() >= end).count();
    }

    private static long openFiles() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? 0 : fds.length;
    }
}

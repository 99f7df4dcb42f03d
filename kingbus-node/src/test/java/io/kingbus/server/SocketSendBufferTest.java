package io.kingbus.server;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.BinlogDumpGtid;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.PrimaryStream;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.TcpQueues;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BinlogServerConfig#sendBuffer()}: the kernel memory one client's connection may hold on the node. A client
 * reads a few MiB at full speed, then stops reading; what the kernel then holds queued for it (Send-Q, read from
 * {@code /proc/net/tcp}) is bounded by about twice the setting (Linux doubles SO_SNDBUF for its bookkeeping), and
 * without the setting the kernel's autotuning lets it grow well past that.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SocketSendBufferTest {
    private static final int SEND_BUFFER = 64 * 1024;
    private static final int TRANSACTIONS = 2000;

    BinlogStore store;

    @BeforeAll
    void fillStore(@TempDir Path dir) throws Exception {
        store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
        PrimaryStream s = new PrimaryStream(UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562"),
                ChecksumType.CRC32);
        store.append(null, s.start(), 1);
        for (int i = 0; i < TRANSACTIONS; i++) {
            store.append(s.currentFile(), s.transaction(1, 8000), i + 2); // ~16 MB in all
        }
    }

    @AfterAll
    void closeStore() throws Exception {
        store.close();
    }

    @Test
    void aSendBufferBoundsWhatTheKernelHoldsForAClientThatStopsReading() throws Exception {
        long queued = queuedForAStalledClient(BinlogServerConfig.of("127.0.0.1", 0, "kb", "pw")
                .withSendBuffer(SEND_BUFFER));
        assertThat(queued).as("Send-Q of the stalled client's connection").isPositive()
                .isLessThanOrEqualTo(3L * SEND_BUFFER); // twice the setting, and at most one more segment
    }

    @Test
    void withoutOneTheKernelsAutotuningLetsTheQueueGrowPastThatBound() throws Exception {
        long queued = queuedForAStalledClient(BinlogServerConfig.of("127.0.0.1", 0, "kb", "pw"));
        assertThat(queued).as("Send-Q of the stalled client's connection").isGreaterThan(4L * SEND_BUFFER);
    }

    /** A client dumps everything, reads 4 MiB of it, then stops reading: what the kernel holds for it once settled. */
    private long queuedForAStalledClient(BinlogServerConfig config) throws Exception {
        try (BinlogServer server = new BinlogServer(store, config).start();
             RawClient client = RawClient.login(server.port(), "kb", "pw")) {
            client.query("SET @master_binlog_checksum = 'CRC32'");
            client.write(0, BinlogDumpGtid.of(4321, GtidSet.empty(), 0).encode());
            long read = 0;
            while (read < 4 << 20) {
                read += client.read().payload().length;
            }
            int clientPort = client.socket.getLocalPort();
            long last = -1;
            long queued = TcpQueues.sendQueued(server.port(), clientPort);
            for (int i = 0; i < 100 && queued != last; i++) { // until it stops changing
                Thread.sleep(100);
                last = queued;
                queued = TcpQueues.sendQueued(server.port(), clientPort);
            }
            LoggerFactory.getLogger(SocketSendBufferTest.class).info("send buffer {}: {} bytes queued for a client that"
                    + " stopped reading", config.sendBuffer(), queued);
            return queued;
        }
    }
}

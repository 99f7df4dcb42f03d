package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.Bytes;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Raw committed bytes for serving: whole events only, never past the committed end, framing checked. */
class BinlogChunkReaderTest {
    static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    @TempDir
    Path dir;

    /** Reads everything readable now; returns {file, bytes} per read call and checks each read ends on an event. */
    private static List<Object[]> drain(BinlogChunkReader r, int bufferSize, int aloneFrom) throws IOException {
        List<Object[]> reads = new ArrayList<>();
        while (true) {
            ByteBuffer buf = ByteBuffer.allocateDirect(bufferSize);
            long before = r.position();
            int n = r.read(buf, aloneFrom);
            if (n < 0) {
                buf = ByteBuffer.allocateDirect(-n);
                n = r.read(buf, aloneFrom);
                assertThat(n).as("a buffer as large as the event holds it").isEqualTo(buf.capacity());
            }
            if (n == 0) {
                return reads;
            }
            assertThat(buf.position()).isEqualTo(n);
            byte[] b = new byte[n];
            buf.flip();
            buf.get(b);
            // whole events, each ending where its end_log_pos says
            long at = r.position() - n;
            if (r.position() - n != before) {
                assertThat(at).as("a new file starts at 4").isEqualTo(4);
            }
            int o = 0;
            int events = 0;
            while (o < n) {
                long len = Bytes.u32(b, o + BinlogEvent.LENGTH_OFFSET);
                assertThat(Bytes.u32(b, o + BinlogEvent.LOG_POS_OFFSET)).isEqualTo(at + o + len);
                o += (int) len;
                events++;
                if (len >= aloneFrom) {
                    assertThat(events).as("a large event comes alone").isEqualTo(1);
                }
            }
            assertThat(o).isEqualTo(n);
            reads.add(new Object[] {r.file(), b});
        }
    }

    private static byte[] concat(List<Object[]> reads, String file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object[] read : reads) {
            if (read[0].equals(file)) {
                out.writeBytes((byte[]) read[1]);
            }
        }
        return out.toByteArray();
    }

    @Test
    void readsTheStoredBytesOfEveryFileInWholeEvents() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            for (int i = 0; i < 50; i++) {
                store.append(s.currentFile(), s.transaction(1 + i % 3, i % 10 == 0 ? 9000 : 60), i + 2);
            }
            store.append(s.currentFile(), s.rotate(), 100);
            for (int i = 0; i < 20; i++) {
                store.append(s.currentFile(), s.transaction(2, 80), 101 + i);
            }
            for (int bufferSize : new int[] {64, 1000, 128 * 1024}) {
                try (BinlogChunkReader r = store.openReader(s.fileNames().get(0), 4).toChunkReader()) {
                    List<Object[]> reads = drain(r, bufferSize, 4095);
                    for (String name : s.fileNames()) {
                        byte[] stored = Files.readAllBytes(binlogFile(dir, name));
                        assertThat(concat(reads, name)).as("%s read with a %d-byte buffer", name, bufferSize)
                                .isEqualTo(Arrays.copyOfRange(stored, 4, stored.length));
                    }
                    assertThat(r.file()).isEqualTo(s.currentFile());
                    assertThat(r.position()).isEqualTo(s.position());
                    assertThat(r.advance()).isZero();
                }
            }
        }
    }

    @Test
    void neverReturnsAnUncommittedTransactionAndTailsWhatCommits() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(s.currentFile(), s.transaction(1, 50), 2);
            try (BinlogChunkReader r = store.openReader(GtidSet.empty()).toChunkReader()) {
                drain(r, 128 * 1024, 4095);
                long committed = r.position();
                List<byte[]> trx = s.transaction(3, 70);
                store.append(s.currentFile(), trx.subList(0, trx.size() - 1), 3); // all but the XID
                assertThat(r.advance()).isZero();
                assertThat(r.read(ByteBuffer.allocate(1 << 16), 4095)).isZero();
                assertThat(r.position()).isEqualTo(committed);
                store.append(s.currentFile(), trx.subList(trx.size() - 1, trx.size()), 4);
                long trxBytes = trx.stream().mapToLong(b -> b.length).sum();
                assertThat(r.advance()).isEqualTo(trxBytes);
                List<Object[]> reads = drain(r, 128 * 1024, 4095);
                assertThat(concat(reads, s.currentFile()).length).isEqualTo(trxBytes);
                assertThat(r.position()).isEqualTo(committed + trxBytes);
            }
        }
    }

    @Test
    void aFileTruncatedOrDamagedUnderTheStoreIsReportedNotServed() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        long trx2;
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(s.currentFile(), s.transaction(1, 50), 2);
            trx2 = s.position();
            store.append(s.currentFile(), s.transaction(1, 50), 3);
            String name = s.currentFile();
            Path file = binlogFile(dir, name);
            // an impossible length in the second transaction's first event: the first transaction is still served
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(trx2 + BinlogEvent.LENGTH_OFFSET);
                raf.write(new byte[] {(byte) 0xff, (byte) 0xff, 0x00, 0x00});
            }
            try (BinlogChunkReader r = store.openReader(name, 4).toChunkReader()) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 16);
                assertThatThrownBy(() -> r.read(buf, 4095)).isInstanceOf(StoreCorruptionException.class)
                        .hasMessageContaining(name + " at " + trx2).hasMessageContaining("impossible event header");
                assertThat(buf.position()).as("nothing of a damaged read is handed out").isZero();
                assertThat(r.position()).isEqualTo(4);
            }
            // the file cut short under the store while a reader has it open
            try (BinlogChunkReader r = store.openReader(name, 4).toChunkReader()) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(trx2 - 7);
                }
                assertThatThrownBy(() -> r.read(ByteBuffer.allocate(1 << 16), 4095))
                        .isInstanceOf(StoreCorruptionException.class)
                        .hasMessageContaining(name).hasMessageContaining("truncated");
            }
        }
    }

    @Test
    void findsRunsOfTransactionsASetHasInTheIndexAndSeeksOverThemWithoutReading() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            List<long[]> trx = new ArrayList<>(); // start and end of gno i + 1
            for (int i = 0; i < 10; i++) {
                long start = s.position();
                store.append(s.currentFile(), s.transaction(1, 60), i + 2);
                trx.add(new long[] {start, s.position()});
            }
            List<byte[]> open = s.transaction(1, 60); // gno 11, not committed: never in a run
            store.append(s.currentFile(), open.subList(0, open.size() - 1), 12);
            GtidSet have = GtidSet.parse(SID + ":2-4:6:9-11");
            try (BinlogChunkReader r = store.openReader(s.currentFile(), 4).toChunkReader()) {
                assertThat(r.containedRun(have, 100)).containsExactly(trx.get(1)[0], trx.get(3)[1], 3);
                r.seek(trx.get(3)[1]);
                assertThat(r.containedRun(have, 1)).as("gno 5 lacking, the scan stops there")
                        .containsExactly(trx.get(4)[0], trx.get(4)[0], 0);
                assertThat(r.containedRun(have, 100)).containsExactly(trx.get(5)[0], trx.get(5)[1], 1);
                r.seek(trx.get(5)[1]);
                assertThat(r.containedRun(have, 100)).as("9-10, not the uncommitted 11")
                        .containsExactly(trx.get(8)[0], trx.get(9)[1], 2);
                r.seek(trx.get(9)[1]);
                assertThat(r.containedRun(have, 100)).containsExactly(Long.MAX_VALUE, Long.MAX_VALUE, 0);
                assertThat(r.bytesRead()).isZero();
                assertThatThrownBy(() -> r.seek(trx.get(1)[0])).isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> r.seek(s.position())).as("past the committed end")
                        .isInstanceOf(IllegalArgumentException.class);
                assertThat(r.read(ByteBuffer.allocate(1 << 16), 4095)).isZero();
            }
            // an event too large for the buffer: its header is checked, then it can be passed without reading it
            try (BinlogChunkReader r = store.openReader(s.currentFile(), trx.get(0)[0]).toChunkReader()) {
                ByteBuffer small = ByteBuffer.allocate(BinlogEvent.HEADER_LENGTH);
                assertThatThrownBy(r::skipTooLarge).isInstanceOf(IllegalStateException.class);
                int n = r.read(small, 4095);
                assertThat(n).isNegative();
                r.skipTooLarge();
                assertThat(r.position()).isEqualTo(trx.get(0)[0] - n);
                assertThat(r.bytesRead()).isEqualTo(BinlogEvent.HEADER_LENGTH);
                assertThatThrownBy(r::skipTooLarge).isInstanceOf(IllegalStateException.class);
            }
        }
    }
}

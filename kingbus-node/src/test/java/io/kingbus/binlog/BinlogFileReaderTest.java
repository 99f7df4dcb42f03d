package io.kingbus.binlog;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class BinlogFileReaderTest {
    private static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    @TempDir
    Path dir;

    private static List<PositionedEvent> readAll(BinlogFileReader r) throws IOException {
        List<PositionedEvent> out = new ArrayList<>();
        for (PositionedEvent e; (e = r.next()) != null; ) {
            out.add(e);
        }
        return out;
    }

    /** Start offsets of the events of a well-formed file. */
    private static List<Long> starts(byte[] file) {
        List<Long> starts = new ArrayList<>();
        long p = 4;
        while (p < file.length) {
            starts.add(p);
            p += Bytes.u32(file, (int) p + BinlogEvent.LENGTH_OFFSET);
        }
        return starts;
    }

    @Test
    void readsEveryEventWithItsPosition() throws IOException {
        for (ChecksumType c : ChecksumType.values()) {
            byte[] content = TestEvents.file(TestEvents.sampleFile(SID, c));
            Path f = TestEvents.writeFile(dir, "binlog.00000" + (c.ordinal() + 1), content);
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                List<PositionedEvent> events = readAll(r);
                assertThat(r.checksum()).isEqualTo(c);
                assertThat(r.formatDescription().serverVersion()).isEqualTo("8.0.15");
                assertThat(events).hasSize(10);
                assertThat(events.get(0).position()).isEqualTo(4);
                assertThat(events.get(0).event().type()).isEqualTo(EventType.FORMAT_DESCRIPTION);
                assertThat(events.stream().map(PositionedEvent::position).toList()).isEqualTo(starts(content));
                for (PositionedEvent e : events) {
                    assertThat(e.file()).isEqualTo(f.getFileName().toString());
                    assertThat(e.endPosition()).isEqualTo(e.event().logPos());
                }
                assertThat(events.get(events.size() - 1).endPosition()).isEqualTo(content.length);
                assertThat(r.position()).isEqualTo(content.length);
                r.seek(4);
                assertThat(r.next().event().type()).isEqualTo(EventType.FORMAT_DESCRIPTION);
            }
        }
    }

    @Test
    void truncatedFileThrowsWithFileAndPositionOfTheTornEvent() throws IOException {
        byte[] content = TestEvents.file(TestEvents.sampleFile(SID, ChecksumType.CRC32));
        List<Long> starts = starts(content);
        long lastStart = starts.get(starts.size() - 1);
        long prevStart = starts.get(starts.size() - 2);
        for (long cut : new long[] {lastStart + 1, lastStart + 18, lastStart + 19, content.length - 1}) {
            Path f = TestEvents.writeFile(dir, "binlog.000009", Arrays.copyOf(content, (int) cut));
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                List<PositionedEvent> before = new ArrayList<>();
                TruncatedBinlogException t = catchThrowableOfType(() -> {
                    for (PositionedEvent e; (e = r.next()) != null; ) {
                        before.add(e);
                    }
                }, TruncatedBinlogException.class);
                assertThat(t).as("cut at %d", cut).isNotNull();
                assertThat(t.file()).isEqualTo("binlog.000009");
                assertThat(t.position()).isEqualTo(lastStart);
                assertThat(t.getMessage()).contains("binlog.000009").contains(String.valueOf(lastStart));
                assertThat(before).hasSize(starts.size() - 1);
                assertThat(before.get(before.size() - 1).position()).isEqualTo(prevStart);
                assertThat(r.position()).isEqualTo(lastStart);
            }
        }
    }

    @Test
    void corruptedEventThrowsWithFileAndPosition() throws IOException {
        byte[] content = TestEvents.file(TestEvents.sampleFile(SID, ChecksumType.CRC32));
        List<Long> starts = starts(content);
        long victim = starts.get(3); // the DDL query
        byte[] bad = content.clone();
        bad[(int) victim + 30] ^= 0x01;
        Path f = TestEvents.writeFile(dir, "binlog.000003", bad);
        try (BinlogFileReader r = BinlogFileReader.open(f)) {
            r.next();
            r.next();
            r.next();
            assertThatThrownBy(r::next)
                    .isInstanceOf(BinlogFormatException.class)
                    .isNotInstanceOf(TruncatedBinlogException.class)
                    .hasMessageContaining("binlog.000003 at " + victim)
                    .hasMessageContaining("checksum mismatch");
        }
    }

    @Test
    void impossibleLengthsAreFormatErrorsNotCrashes() throws IOException {
        byte[] content = TestEvents.file(TestEvents.sampleFile(SID, ChecksumType.CRC32));
        long victim = starts(content).get(2);
        for (long len : new long[] {0, 18, 0xffff_fff0L, 0x8000_0000L}) {
            byte[] bad = content.clone();
            Bytes.putU32(bad, (int) victim + BinlogEvent.LENGTH_OFFSET, len);
            Path f = TestEvents.writeFile(dir, "binlog.000004", bad);
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                r.next();
                r.next();
                assertThatThrownBy(r::next)
                        .isInstanceOf(BinlogFormatException.class)
                        .hasMessageContaining("binlog.000004 at " + victim)
                        .hasMessageContaining("impossible event length " + len);
            }
        }
        byte[] bad = content.clone();
        Bytes.putU32(bad, (int) victim + BinlogEvent.LENGTH_OFFSET, 100_000);
        Path f = TestEvents.writeFile(dir, "binlog.000005", bad);
        try (BinlogFileReader r = BinlogFileReader.open(f)) {
            r.next();
            r.next();
            TruncatedBinlogException t = catchThrowableOfType(r::next, TruncatedBinlogException.class);
            assertThat(t.position()).isEqualTo(victim);
        }
    }

    @Test
    void notABinlogFile() throws IOException {
        Path text = TestEvents.writeFile(dir, "notes.txt", "hello, this is not a binlog\n".getBytes());
        assertThatThrownBy(() -> BinlogFileReader.open(text))
                .isInstanceOf(BinlogFormatException.class).hasMessageContaining("notes.txt");
        Path empty = TestEvents.writeFile(dir, "empty", new byte[0]);
        TruncatedBinlogException t = catchThrowableOfType(() -> BinlogFileReader.open(empty),
                TruncatedBinlogException.class);
        assertThat(t.position()).isZero();
        Path three = TestEvents.writeFile(dir, "three", Arrays.copyOf(BinlogFileReader.MAGIC, 3));
        t = catchThrowableOfType(() -> BinlogFileReader.open(three), TruncatedBinlogException.class);
        assertThat(t.position()).isZero();
    }

    @Test
    void eventsLargerThan16MiBAreRead() throws IOException {
        int rowBytes = 17 * 1024 * 1024;
        byte[] content = TestEvents.file(List.of(
                p -> TestEvents.fde("8.0.15", ChecksumType.CRC32, p),
                p -> TestEvents.tableMap(108, "shop", "t", p, ChecksumType.CRC32),
                p -> TestEvents.writeRows(108, rowBytes, true, p, ChecksumType.CRC32),
                p -> TestEvents.xid(1, p, ChecksumType.CRC32)));
        Path f = TestEvents.writeFile(dir, "big.000001", content);
        try (BinlogFileReader r = BinlogFileReader.open(f)) {
            List<PositionedEvent> events = readAll(r);
            assertThat(events).hasSize(4);
            assertThat(events.get(2).event().length()).isGreaterThan(16L * 1024 * 1024);
            assertThat(events.get(3).event().logPos()).isEqualTo(content.length);
        }
    }

    @Test
    void tailingAFileThatIsStillBeingWritten() throws IOException {
        byte[] content = TestEvents.file(TestEvents.sampleFile(SID, ChecksumType.CRC32));
        Path f = TestEvents.writeFile(dir, "binlog.000010", content);
        List<Long> starts = starts(content);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
             BinlogFileReader r = BinlogFileReader.over(ch, "binlog.000010", starts.get(4), 4)) {
            assertThat(readAll(r)).hasSize(4);
            r.extendLimit(starts.get(5) + 3); // a partial event is visible
            assertThat(r.next()).isNotNull();
            assertThatThrownBy(r::next).isInstanceOf(TruncatedBinlogException.class);
            r.extendLimit(content.length);
            assertThat(readAll(r)).hasSize(5);
        }
        // from a later position, the FORMAT_DESCRIPTION is read silently first for the checksum algorithm
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
             BinlogFileReader r = BinlogFileReader.over(ch, "binlog.000010", content.length, starts.get(4))) {
            assertThat(r.checksum()).isEqualTo(ChecksumType.CRC32);
            PositionedEvent e = r.next();
            assertThat(e.position()).isEqualTo(starts.get(4));
            assertThat(GtidEvent.decode(e.event(), r.checksum()).gno()).isEqualTo(5);
        }
    }

    /** A file: FORMAT_DESCRIPTION, a WRITE_ROWS of {@code rowBytes}, an XID. */
    private static byte[] bigRowsFile(int rowBytes, ChecksumType c) {
        return TestEvents.file(List.of(p -> TestEvents.fde("8.0.15", c, p),
                p -> TestEvents.writeRows(108, rowBytes, true, p, c), p -> TestEvents.xid(7, p, c)));
    }

    @Test
    void aBigEventIsReadThroughABoundedDirectBuffer() throws Exception {
        int rowBytes = 32 << 20;
        Path f = TestEvents.writeFile(dir, "binlog.000011", bigRowsFile(rowBytes, ChecksumType.CRC32));
        java.lang.management.BufferPoolMXBean direct = java.lang.management.ManagementFactory
                .getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        long[] grew = new long[1];
        Throwable[] failed = new Throwable[1];
        // A fresh thread: the JDK caches its temporary direct buffers per thread until the thread ends.
        Thread t = new Thread(() -> {
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                long before = direct.getTotalCapacity();
                assertThat(readAll(r)).hasSize(3);
                grew[0] = direct.getTotalCapacity() - before;
            } catch (Throwable e) {
                failed[0] = e;
            }
        });
        t.start();
        t.join();
        assertThat(failed[0]).isNull();
        assertThat(grew[0]).as("direct memory the read took").isLessThan(rowBytes / 2);
    }

    @Test
    void skipVerifiedPassesABigEventCheckingItsChecksumInSlices() throws IOException {
        for (ChecksumType c : ChecksumType.values()) {
            byte[] content = bigRowsFile(3 << 20, c);
            List<Long> starts = starts(content);
            Path f = TestEvents.writeFile(dir, "binlog.00002" + c.ordinal(), content);
            try (BinlogFileReader r = BinlogFileReader.open(f)) {
                assertThat(r.next().event().type()).isEqualTo(EventType.FORMAT_DESCRIPTION);
                byte[] h = r.peekHeader();
                assertThat(h[BinlogEvent.TYPE_OFFSET] & 0xff).isEqualTo(EventType.WRITE_ROWS);
                assertThat(r.position()).isEqualTo(starts.get(1)); // peeking does not move
                assertThat(r.skipVerified()).isEqualTo(h);
                assertThat(r.position()).isEqualTo(starts.get(2));
                assertThat(r.next().event().type()).isEqualTo(EventType.XID);
                assertThat(r.peekHeader()).isNull();
            }
            byte[] bad = content.clone();
            bad[(int) (starts.get(1) + (2 << 20))] ^= 1;
            Path g = TestEvents.writeFile(dir, "binlog.00003" + c.ordinal(), bad);
            try (BinlogFileReader r = BinlogFileReader.open(g)) {
                r.next();
                if (c == ChecksumType.CRC32) {
                    assertThatThrownBy(r::skipVerified).isInstanceOf(BinlogFormatException.class)
                            .hasMessageContaining("at " + starts.get(1)).hasMessageContaining("checksum mismatch");
                } else {
                    r.skipVerified();
                    assertThat(r.position()).isEqualTo(starts.get(2));
                }
            }
            Path torn = TestEvents.writeFile(dir, "binlog.00004" + c.ordinal(), Arrays.copyOf(content,
                    (int) (starts.get(2) - 1)));
            try (BinlogFileReader r = BinlogFileReader.open(torn)) {
                r.next();
                assertThatThrownBy(r::peekHeader).isInstanceOf(TruncatedBinlogException.class);
            }
        }
    }
}

package io.kingbus.store;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.appendAll;
import static io.kingbus.store.StoreAssertions.assertSameBytes;
import static io.kingbus.store.StoreAssertions.assertStoreEquals;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static io.kingbus.store.StoreAssertions.drain;
import static io.kingbus.store.StoreAssertions.gtids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reopening after crashes, simulated on the files of a closed store (no child process). */
class BinlogStoreRecoveryTest {
    static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    @TempDir
    Path dir;

    private static PrimaryStream stream(ChecksumType c, long seed) {
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        Random r = new Random(seed);
        for (int i = 0; i < 6; i++) {
            s.transaction(1 + r.nextInt(3), 1 + r.nextInt(300));
        }
        s.rotate();
        s.transaction(2, 100);
        s.rotate();
        for (int i = 0; i < 12; i++) {
            if (i % 4 == 0) {
                s.ddl("ALTER TABLE t COMMENT '" + i + "'");
            } else {
                s.transaction(1 + r.nextInt(4), 1 + r.nextInt(400));
            }
        }
        return s;
    }

    static void copyDir(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    /**
     * The state the store must be in when the stream's last file holds only its first {@code size} bytes: the file
     * ends at the last complete unit that fits, and exactly the transactions that fit are executed.
     */
    private static void assertRecoveredPrefix(BinlogStore store, Path storeDir, PrimaryStream s, long size)
            throws IOException {
        String last = s.currentFile();
        long good = 4;
        GtidSet executed = s.executed();
        List<Gtid> present = new ArrayList<>();
        List<Gtid> inLast = new ArrayList<>();
        for (PrimaryStream.Unit u : s.units()) {
            if (!u.file().equals(last)) {
                if (u.gtid() != null) {
                    present.add(u.gtid());
                }
            } else if (u.end() <= size) {
                good = Math.max(good, u.end());
                if (u.gtid() != null) {
                    present.add(u.gtid());
                    inLast.add(u.gtid());
                }
            } else if (u.gtid() != null) {
                executed = executed.subtract(GtidSet.of(u.gtid()));
            }
        }
        byte[] expected = java.util.Arrays.copyOf(s.expectedFile(last), (int) good);
        assertSameBytes(last + " truncated at " + size, Files.readAllBytes(binlogFile(storeDir, last)), expected);
        BinlogFileInfo info = store.lastFile();
        assertThat(info.name()).isEqualTo(last);
        assertThat(info.endPosition()).as("end after truncation at %d", size).isEqualTo(good);
        assertThat(info.transactions()).isEqualTo(inLast.size());
        assertThat(info.firstGtid()).isEqualTo(inLast.isEmpty() ? null : inLast.get(0));
        assertThat(info.lastGtid()).isEqualTo(inLast.isEmpty() ? null : inLast.get(inLast.size() - 1));
        assertThat(store.executedGtids()).as("executed after truncation at %d", size).isEqualTo(executed);
        try (BinlogReader r = store.openReader(GtidSet.empty())) {
            assertThat(gtids(drain(r))).as("transactions readable after truncation at %d", size)
                    .containsExactlyElementsOf(present);
        }
        for (PrimaryStream.Unit u : s.transactions()) {
            StoredPosition where = store.locate(u.gtid());
            if (present.contains(u.gtid())) {
                assertThat(where).isEqualTo(new StoredPosition(u.file(), u.start()));
            } else {
                assertThat(where).isNull();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void lastFileTruncatedAnywhereRecoversToItsLastCompleteTransaction(ChecksumType c) throws IOException {
        PrimaryStream s = stream(c, 1);
        Path base = dir.resolve("base");
        try (BinlogStore store = BinlogStore.open(base, FAST)) {
            appendAll(store, PrimaryStream.randomBatches(s.events(), new Random(2), 8));
            assertStoreEquals(store, base, s);
        }
        String last = s.currentFile();
        long length = s.expectedFile(last).length;
        TreeSet<Long> offsets = new TreeSet<>(List.of(0L, 1L, 3L, 4L, 5L, length - 1));
        List<PrimaryStream.Unit> units = s.units().stream().filter(u -> u.file().equals(last)).toList();
        Random r = new Random(3);
        for (int i = 0; i < 6; i++) { // unit boundaries and one byte either side
            long end = units.get(r.nextInt(units.size())).end();
            offsets.addAll(List.of(end - 1, end, end + 1));
        }
        while (offsets.size() < 36) {
            offsets.add((long) r.nextInt((int) length));
        }
        int n = 0;
        for (long size : offsets) {
            Path d = dir.resolve("t" + n++);
            copyDir(base, d);
            truncate(binlogFile(d, last), size);
            try (BinlogStore store = BinlogStore.open(d, FAST)) {
                assertRecoveredPrefix(store, d, s, size);
                // the primary resends from the first missing transaction (the store's executed set)
                appendAll(store, PrimaryStream.batches(s.dumpFrom(store.executedGtids()), 1 + (int) (size % 5)));
                assertStoreEquals(store, d, s);
            }
            try (BinlogStore store = BinlogStore.open(d, FAST)) {
                assertStoreEquals(store, d, s);
            }
            deleteDir(d);
        }
    }

    static void deleteDir(Path d) throws IOException {
        try (Stream<Path> files = Files.walk(d)) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void tailBeyondTheIndexedEndIsTruncated(ChecksumType c) throws IOException {
        PrimaryStream s = stream(c, 4);
        Path base = dir.resolve("base");
        try (BinlogStore store = BinlogStore.open(base, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 3));
        }
        String last = s.currentFile();
        PrimaryStream more = stream(c, 4); // the same stream, going on
        List<byte[]> trx = more.transaction(3, 200);
        byte[] trxBytes = concat(trx);
        Random r = new Random(5);
        byte[] junk = new byte[300];
        r.nextBytes(junk);
        List<byte[]> tails = new ArrayList<>();
        tails.add(junk);
        tails.add(new byte[4096]); // zeros, as a file extended by a crash
        tails.add(java.util.Arrays.copyOf(trxBytes, 10)); // a torn header
        tails.add(java.util.Arrays.copyOf(trxBytes, trx.get(0).length)); // a GTID event alone
        tails.add(java.util.Arrays.copyOf(trxBytes, trxBytes.length - trx.get(trx.size() - 1).length)); // no XID
        tails.add(java.util.Arrays.copyOf(trxBytes, trxBytes.length - 1)); // the XID torn
        byte[] flipped = trxBytes.clone();
        flipped[trx.get(0).length + 25] ^= 1; // a damaged BEGIN: refused with CRC32, accepted without
        if (c == ChecksumType.CRC32) {
            tails.add(flipped);
        }
        int n = 0;
        for (byte[] tail : tails) {
            Path d = dir.resolve("t" + n++);
            copyDir(base, d);
            appendBytes(binlogFile(d, last), tail);
            try (BinlogStore store = BinlogStore.open(d, FAST)) {
                assertStoreEquals(store, d, s);
                appendAll(store, PrimaryStream.batches(s.dumpFrom(store.executedGtids()), 2));
                store.append(last, trx, 100);
                assertStoreEquals(store, d, more);
            }
            deleteDir(d);
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void completeTransactionsWrittenButNotIndexedAreIndexedOnReopen(ChecksumType c) throws IOException {
        PrimaryStream s = stream(c, 6);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 4));
        }
        String last = s.currentFile();
        // written straight to the file: two transactions and a DDL, then half of one more
        List<byte[]> written = new ArrayList<>();
        written.addAll(s.transaction(2, 50));
        written.addAll(s.ddl("CREATE TABLE u (id INT)"));
        written.addAll(s.transaction(1, 5000));
        PrimaryStream full = stream(c, 6);
        full.transaction(2, 50);
        full.ddl("CREATE TABLE u (id INT)");
        full.transaction(1, 5000);
        List<byte[]> torn = full.transaction(3, 10);
        written.addAll(torn.subList(0, 3));
        appendBytes(binlogFile(dir, last), concat(written));
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertStoreEquals(store, dir, s);
            assertThat(store.executedGtids().contains(new Gtid(SID, s.executed().lastGno(SID)))).isTrue();
            try (BinlogReader r = store.openReader(GtidSet.empty())) {
                assertThat(gtids(drain(r))).containsExactlyElementsOf(StoreAssertions.gtidList(s.transactions()));
            }
            appendAll(store, PrimaryStream.batches(full.dumpFrom(store.executedGtids()), 3));
            assertStoreEquals(store, dir, full);
        }
        // a ROTATE written but never indexed: reopen keeps it; the next file comes with the resent stream
        full.rotate();
        full.transaction(1, 1);
        List<PrimaryStream.StreamEvent> all = full.events();
        PrimaryStream.StreamEvent rotate = all.stream()
                .filter(e -> e.file().equals(last) && e.end() == full.expectedFile(last).length).findFirst().orElseThrow();
        appendBytes(binlogFile(dir, last), rotate.bytes());
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertThat(store.lastFile().endPosition()).isEqualTo(full.expectedFile(last).length);
            appendAll(store, PrimaryStream.batches(full.dumpFrom(store.executedGtids()), 3));
            assertStoreEquals(store, dir, full);
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void replayAcrossARotationWhoseNextFileWasLost(ChecksumType c) throws IOException {
        // A crash after the ROTATE ending a file was stored but before the next file was indexed (its file is
        // then a stray, removed on open): the store's last file ends with the ROTATE. A replay of the batches
        // (raft re-applying from the recovery tag, or a dump by file:pos) must start the next file again.
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        s.transaction(2, 10);
        s.transaction(1, 10);
        int beforeRotate = s.eventCount();
        s.rotate();
        s.transaction(3, 20);
        s.ddl("DROP TABLE t");
        s.transaction(1, 5);
        List<PrimaryStream.StreamEvent> events = s.events();
        Path base = dir.resolve("base");
        try (BinlogStore store = BinlogStore.open(base, FAST)) {
            for (PrimaryStream.Batch b : PrimaryStream.batches(events.subList(0, beforeRotate), 100)) {
                store.append(b.file(), b.events(), 1);
            }
        }
        appendBytes(binlogFile(base, "mysql-bin.000001"), events.get(beforeRotate).bytes()); // the ROTATE
        for (int[] sizes : new int[][] {{1}, {2}, {3}, {5}, {events.size()}}) {
            Path d = dir.resolve("replay" + sizes[0]);
            copyDir(base, d);
            try (BinlogStore store = BinlogStore.open(d, FAST)) {
                assertThat(store.files()).extracting(BinlogFileInfo::name).containsExactly("mysql-bin.000001");
                assertThat(store.lastFile().endPosition()).isEqualTo(s.fileLength("mysql-bin.000001"));
                appendAll(store, PrimaryStream.batches(events, sizes));
                assertStoreEquals(store, d, s);
            }
            Path d2 = dir.resolve("dump" + sizes[0]);
            copyDir(base, d2);
            try (BinlogStore store = BinlogStore.open(d2, FAST)) {
                PrimaryStream.Unit lastTrx = s.transactionsIn("mysql-bin.000001").get(1);
                appendAll(store, PrimaryStream.batches(s.dumpFrom("mysql-bin.000001", lastTrx.start()), sizes));
                assertStoreEquals(store, d2, s);
            }
        }
    }

    @Test
    void strayAndMissingFiles(@TempDir Path copies) throws IOException {
        PrimaryStream s = stream(ChecksumType.CRC32, 7);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 5));
        }
        // a file created but never indexed (a crash right after creating it) is removed
        Files.write(binlogFile(dir, "mysql-bin.000004"), new byte[] {(byte) 0xfe, 'b', 'i', 'n'});
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertStoreEquals(store, dir, s);
        }
        assertThat(binlogFile(dir, "mysql-bin.000004")).doesNotExist();

        // a middle file shorter than indexed: the store refuses to open, naming it
        Path d = copies.resolve("short");
        copyDir(dir, d);
        truncate(binlogFile(d, "mysql-bin.000002"), 100);
        assertThatThrownBy(() -> BinlogStore.open(d, FAST)).isInstanceOf(StoreException.class)
                .hasMessageContaining("mysql-bin.000002");
        // a middle file missing: likewise
        Path d2 = copies.resolve("missing");
        copyDir(dir, d2);
        Files.delete(binlogFile(d2, "mysql-bin.000002"));
        assertThatThrownBy(() -> BinlogStore.open(d2, FAST)).isInstanceOf(StoreException.class)
                .hasMessageContaining("mysql-bin.000002");

        // the oldest file deleted behind the store's back (as an operator purging by hand): dropped from the
        // index, and its transactions count as purged
        Files.delete(binlogFile(dir, "mysql-bin.000001"));
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertThat(store.files()).extracting(BinlogFileInfo::name)
                    .containsExactly("mysql-bin.000002", "mysql-bin.000003");
            assertThat(store.purgedGtids()).isEqualTo(s.previousGtids("mysql-bin.000002"));
            assertThat(store.executedGtids()).isEqualTo(s.executed());
            assertThatThrownBy(() -> store.openReader(GtidSet.empty())).isInstanceOf(PurgedException.class);
            for (PrimaryStream.Unit u : s.transactionsIn("mysql-bin.000001")) {
                assertThat(store.locate(u.gtid())).isNull();
            }
        }
    }

    static byte[] concat(List<byte[]> parts) {
        ByteBuffer b = ByteBuffer.allocate(parts.stream().mapToInt(p -> p.length).sum());
        parts.forEach(b::put);
        return b.array();
    }
}

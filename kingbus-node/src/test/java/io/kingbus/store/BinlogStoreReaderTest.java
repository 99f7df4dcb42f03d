package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.appendAll;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static io.kingbus.store.StoreAssertions.drain;
import static io.kingbus.store.StoreAssertions.gtids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Visibility of complete transactions, tailing, seeking by GTID set and by file:pos, checksum verification. */
class BinlogStoreReaderTest {
    static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    static final UUID OTHER = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    @TempDir
    Path dir;

    /** The stream events a reader from (file, pos) must return: the real events from there on. */
    private static List<PrimaryStream.StreamEvent> expectedFrom(PrimaryStream s, String file, long pos) {
        List<PrimaryStream.StreamEvent> out = new ArrayList<>();
        boolean started = false;
        for (PrimaryStream.StreamEvent e : s.events()) {
            if (e.position() < 0) {
                continue;
            }
            started |= e.file().equals(file) && e.position() >= pos;
            if (started) {
                out.add(e);
            }
        }
        return out;
    }

    private static void assertEvents(List<PositionedEvent> actual, List<PrimaryStream.StreamEvent> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.size(); i++) {
            PositionedEvent a = actual.get(i);
            PrimaryStream.StreamEvent e = expected.get(i);
            assertThat(a.file()).as("file of event %d", i).isEqualTo(e.file());
            assertThat(a.position()).as("position of event %d", i).isEqualTo(e.position());
            assertThat(a.event().bytes()).as("bytes of event %d at %s:%d", i, e.file(), e.position())
                    .isEqualTo(e.bytes());
        }
    }

    // ------------------------------------------------------------------ visibility

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void onlyCompleteTransactionsAreVisible(ChecksumType c) throws Exception {
        PrimaryStream s = new PrimaryStream(SID, c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(2, 10), 2);
            try (BinlogReader reader = store.openReader(GtidSet.empty())) {
                assertEvents(drain(reader), expectedFrom(s, "mysql-bin.000001", 4));
                GtidSet before = store.executedGtids();
                BinlogFileInfo lastBefore = store.lastFile();
                long sizeBefore = store.sizeBytes();
                long trxStart = s.position();
                List<byte[]> trx = s.transaction(3, 100);
                Gtid g = new Gtid(SID, 2);
                for (int cut = 1; cut < trx.size(); cut++) {
                    store.append("mysql-bin.000001", trx.subList(0, cut), 3);
                    assertThat(store.executedGtids()).isEqualTo(before);
                    assertThat(store.lastFile()).isEqualTo(lastBefore);
                    assertThat(store.sizeBytes()).isEqualTo(sizeBefore);
                    assertThat(store.locate(g)).isNull();
                    assertThat(reader.poll()).isNull();
                    assertThat(reader.next(20, TimeUnit.MILLISECONDS)).isNull();
                    // a new reader does not see it either, nor may it start inside it
                    try (BinlogReader other = store.openReader(GtidSet.empty())) {
                        assertThat(gtids(drain(other))).containsExactly(new Gtid(SID, 1));
                    }
                    assertThatThrownBy(() -> store.openReader("mysql-bin.000001", trxStart + trx.get(0).length))
                            .isInstanceOf(StoreException.class);
                }
                store.append("mysql-bin.000001", trx, 4);
                assertThat(store.executedGtids()).isEqualTo(s.executed());
                assertThat(store.locate(g)).isEqualTo(new StoredPosition("mysql-bin.000001", trxStart));
                List<PositionedEvent> got = drain(reader);
                assertEvents(got, expectedFrom(s, "mysql-bin.000001", trxStart));
                assertThat(reader.position()).isEqualTo(s.position());
                assertThat(reader.file()).isEqualTo("mysql-bin.000001");
            }
        }
    }

    @Test
    void tailingReaderWakesPromptlyWhenABatchCommits() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (BinlogStore store = BinlogStore.open(dir, FAST);
             BinlogReader reader = openAfterStart(store, s)) {
            for (int round = 0; round < 5; round++) {
                long[] wokeAt = new long[1];
                Future<PositionedEvent> waiting = pool.submit(() -> {
                    PositionedEvent e = reader.next(5, TimeUnit.SECONDS);
                    wokeAt[0] = System.nanoTime();
                    return e;
                });
                Thread.sleep(100);
                List<byte[]> trx = s.transaction(2, 30);
                // half a transaction does not wake it with an event
                store.append("mysql-bin.000001", trx.subList(0, 3), 1);
                Thread.sleep(100);
                assertThat(waiting.isDone()).as("woke for an incomplete transaction").isFalse();
                store.append("mysql-bin.000001", trx.subList(3, trx.size()), 2);
                long committedAt = System.nanoTime();
                PositionedEvent e = waiting.get(5, TimeUnit.SECONDS);
                long latencyMillis = TimeUnit.NANOSECONDS.toMillis(wokeAt[0] - committedAt);
                assertThat(e).isNotNull();
                assertThat(e.event().type()).isEqualTo(EventType.GTID);
                assertThat(latencyMillis).as("wake-up latency").isLessThan(1000);
                drain(reader);
            }
            // and a timeout returns null after about the timeout
            long t0 = System.nanoTime();
            assertThat(reader.next(150, TimeUnit.MILLISECONDS)).isNull();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(140L, 2000L);
        } finally {
            pool.shutdownNow();
        }
    }

    private static BinlogReader openAfterStart(BinlogStore store, PrimaryStream s) throws IOException {
        store.append(null, s.start(), 0);
        BinlogReader r = store.openReader(GtidSet.empty());
        drain(r);
        return r;
    }

    @Test
    void closingTheStoreReleasesAWaitingReader() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        BinlogStore store = BinlogStore.open(dir, FAST);
        BinlogReader reader = openAfterStart(store, s);
        CompletableFuture<Throwable> waited = CompletableFuture.supplyAsync(() -> {
            try {
                reader.next(5, TimeUnit.SECONDS);
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        Thread.sleep(100);
        long t0 = System.nanoTime();
        store.close();
        // The reader is told at once (not after spinning until its timeout).
        Throwable thrown = waited.get(6, TimeUnit.SECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1000);
        assertThat(thrown).isInstanceOf(StoreException.class).hasMessageContaining("closed");
        reader.close();
    }

    // ------------------------------------------------------------------ seeking

    /** Three files of 10 transactions each: SID:1-10 | SID:11-20 (+ OTHER:1) | SID:21-30. */
    private static PrimaryStream threeFiles(ChecksumType c) {
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        for (int i = 0; i < 10; i++) {
            s.transaction(1 + i % 2, 40);
        }
        s.rotate();
        for (int i = 0; i < 10; i++) {
            s.transaction(1, 40);
            if (i == 4) {
                s.transactionAs(OTHER, 1, 10);
            }
        }
        s.rotate();
        for (int i = 0; i < 10; i++) {
            s.ddl("ALTER TABLE t COMMENT '" + i + "'");
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void readersByGtidSet(ChecksumType c) throws IOException {
        PrimaryStream s = threeFiles(c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 5));

            // empty set: everything from the first file
            try (BinlogReader r = store.openReader(GtidSet.empty())) {
                assertThat(r.file()).isEqualTo("mysql-bin.000001");
                assertEvents(drain(r), expectedFrom(s, "mysql-bin.000001", 4));
                assertThat(r.formatDescription()).isNotNull();
            }
            // a set covering the first file: from the second file's start
            try (BinlogReader r = store.openReader(GtidSet.parse(SID + ":1-10"))) {
                assertThat(r.file()).isEqualTo("mysql-bin.000002");
                assertThat(r.position()).isEqualTo(4);
                assertEvents(drain(r), expectedFrom(s, "mysql-bin.000002", 4));
            }
            // holes in the first file: the first file is needed, contained transactions are skipped
            assertSkips(store, s, SID + ":1-3:5:7-12", "mysql-bin.000001");
            // a set in the middle with holes in the second file, and another source
            assertSkips(store, s, SID + ":1-10:12-13:15-17:25," + OTHER + ":1", "mysql-bin.000002");
            // the OTHER transaction missing: the second file's PREVIOUS_GTIDS lacks it, third file's has it
            assertSkips(store, s, SID + ":1-22", "mysql-bin.000002");
            // everything: the last file's FDE and PREVIOUS_GTIDS only
            try (BinlogReader r = store.openReader(s.executed())) {
                List<PositionedEvent> got = drain(r);
                assertThat(got).extracting(e -> e.event().type())
                        .containsExactly(EventType.FORMAT_DESCRIPTION, EventType.PREVIOUS_GTIDS);
                assertThat(got.get(0).file()).isEqualTo("mysql-bin.000003");
                // and tails from there
                List<byte[]> more = s.transaction(1, 1);
                store.append("mysql-bin.000003", more, 99);
                assertThat(gtids(drain(r))).containsExactly(new Gtid(SID, 31));
            }
            // a set with GTIDs the store never had does not matter for the start
            try (BinlogReader r = store.openReader(GtidSet.parse(SID + ":1-10:100-200"))) {
                assertThat(r.file()).isEqualTo("mysql-bin.000002");
            }
        }
    }

    private static void assertSkips(BinlogStore store, PrimaryStream s, String have, String startFile)
            throws IOException {
        GtidSet set = GtidSet.parse(have);
        try (BinlogReader r = store.openReader(set)) {
            assertThat(r.file()).as("start file for %s", have).isEqualTo(startFile);
            List<PositionedEvent> got = drain(r);
            List<Gtid> expected = new ArrayList<>();
            List<PrimaryStream.StreamEvent> expectedEvents = new ArrayList<>();
            boolean started = false;
            for (PrimaryStream.StreamEvent e : s.events()) {
                started |= e.file().equals(startFile);
                if (!started || e.position() < 0) {
                    continue;
                }
                if (e.gtid() == null || !set.contains(e.gtid())) {
                    expectedEvents.add(e);
                }
            }
            for (PrimaryStream.Unit u : s.transactions()) {
                if (!set.contains(u.gtid()) && s.fileNames().indexOf(u.file()) >= s.fileNames().indexOf(startFile)) {
                    expected.add(u.gtid());
                }
            }
            assertThat(gtids(got)).as("transactions for %s", have).containsExactlyElementsOf(expected);
            assertEvents(got, expectedEvents);
        }
    }

    @Test
    void newFileWhosePreviousGtidsAreNotStoredYetIsNoStartForGtidReaders() throws IOException {
        // The batch that rotated ended after the new file's FORMAT_DESCRIPTION: its PREVIOUS_GTIDS is not stored.
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            store.append(null, s.transaction(1, 10), 3);
            List<byte[]> rot = s.rotate();
            store.append("mysql-bin.000001", rot.subList(0, 2), 4);
            assertThat(store.files()).hasSize(2);
            for (String have : new String[] {"", SID + ":1", SID + ":2", SID + ":1-2"}) {
                try (BinlogReader r = store.openReader(GtidSet.parse(have))) {
                    List<PositionedEvent> got = drain(r);
                    List<Gtid> expected = StoreAssertions.gtidList(s.transactions()).stream()
                            .filter(g -> !GtidSet.parse(have).contains(g)).toList();
                    assertThat(gtids(got)).as("reader with '%s'", have).containsExactlyElementsOf(expected);
                    assertThat(r.file()).isEqualTo("mysql-bin.000002");
                }
            }
            // purging up to that file keeps what it purged in purgedGtids
            assertThat(store.purge(1, 0)).containsExactly("mysql-bin.000001");
            assertThat(store.purgedGtids()).isEqualTo(GtidSet.parse(SID + ":1-2"));
            assertThatThrownBy(() -> store.openReader(GtidSet.empty())).isInstanceOf(PurgedException.class);
            // once it arrives, the file has its real PREVIOUS_GTIDS
            store.append("mysql-bin.000002", rot.subList(2, 3), 5);
            store.append("mysql-bin.000002", s.transaction(1, 1), 6);
            assertThat(store.files().get(0).previousGtids()).isEqualTo(s.previousGtids("mysql-bin.000002"));
        }
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertThat(store.purgedGtids()).isEqualTo(GtidSet.parse(SID + ":1-2"));
            assertThat(store.executedGtids()).isEqualTo(s.executed());
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void readersByFileAndPosition(ChecksumType c) throws IOException {
        PrimaryStream s = threeFiles(c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 7));
            // every unit start (transactions and standalone events), across the files
            for (PrimaryStream.Unit u : s.units()) {
                try (BinlogReader r = store.openReader(u.file(), u.start())) {
                    assertThat(r.file()).isEqualTo(u.file());
                    assertThat(r.position()).isEqualTo(u.start());
                    assertEvents(drain(r), expectedFrom(s, u.file(), u.start()));
                }
            }
            // every event boundary inside a transaction is a valid start too
            Random rnd = new Random(3);
            List<PrimaryStream.StreamEvent> all = s.events();
            for (int i = 0; i < 20; i++) {
                PrimaryStream.StreamEvent e = all.get(1 + rnd.nextInt(all.size() - 1));
                try (BinlogReader r = store.openReader(e.file(), e.position())) {
                    assertEvents(drain(r), expectedFrom(s, e.file(), e.position()));
                }
            }
            // the end of a complete file continues in the next one; the end of the last waits
            for (String f : s.fileNames()) {
                long end = s.expectedFile(f).length;
                try (BinlogReader r = store.openReader(f, end)) {
                    List<PositionedEvent> got = drain(r);
                    int next = s.fileNames().indexOf(f) + 1;
                    if (next < s.fileNames().size()) {
                        assertEvents(got, expectedFrom(s, s.fileNames().get(next), 4));
                    } else {
                        assertThat(got).isEmpty();
                        store.append(f, s.transaction(1, 3), 50);
                        assertEvents(drain(r), expectedFrom(s, f, end));
                    }
                }
            }
            // positions inside events, outside the file, in unknown files
            for (PrimaryStream.StreamEvent e : all.subList(1, all.size())) {
                long inside = e.position() + 1 + rnd.nextInt(e.bytes().length - 1);
                assertThatThrownBy(() -> store.openReader(e.file(), inside))
                        .as("%s:%d", e.file(), inside)
                        .isInstanceOf(StoreException.class)
                        .isNotInstanceOf(PurgedException.class)
                        .hasMessageContaining(e.file());
            }
            String last = s.currentFile();
            assertThatThrownBy(() -> store.openReader(last, s.position() + 1)).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.openReader(last, 3)).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.openReader(last, 0)).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.openReader("mysql-bin.000009", 4))
                    .isInstanceOf(StoreException.class).isNotInstanceOf(PurgedException.class);
        }
    }

    @Test
    void tailingReaderFollowsRotationsWhileTheStreamIsAppended() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        s.start();
        Random r = new Random(5);
        for (int i = 0; i < 300; i++) {
            s.randomStep(r);
        }
        List<PrimaryStream.Batch> batches = PrimaryStream.randomBatches(s.events(), new Random(6), 10);
        List<PrimaryStream.StreamEvent> expected = expectedFrom(s, "mysql-bin.000001", 4);
        assertThat(s.fileNames().size()).isGreaterThan(3);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(batches.get(0).file(), batches.get(0).events(), 0);
            try (BinlogReader reader = store.openReader("mysql-bin.000001", 4)) {
                CompletableFuture<List<PositionedEvent>> readAll = CompletableFuture.supplyAsync(() -> {
                    List<PositionedEvent> got = new ArrayList<>();
                    try {
                        while (got.size() < expected.size()) {
                            PositionedEvent e = reader.next(5, TimeUnit.SECONDS);
                            if (e == null) {
                                break;
                            }
                            got.add(e);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    return got;
                });
                for (int i = 1; i < batches.size(); i++) {
                    store.append(batches.get(i).file(), batches.get(i).events(), i);
                    if (i % 10 == 0) {
                        Thread.sleep(1);
                    }
                }
                assertEvents(readAll.get(30, TimeUnit.SECONDS), expected);
            }
        }
    }

    // ------------------------------------------------------------------ checksums

    @Test
    void corruptedCommittedEventIsReportedWithFileAndPosition() throws IOException {
        PrimaryStream s = threeFiles(ChecksumType.CRC32);
        PrimaryStream.Unit victim = s.transactionsIn("mysql-bin.000002").get(3);
        long flipAt = victim.start() + BinlogEvent.HEADER_LENGTH + 2; // inside the GTID event's body
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 100));
        }
        flip(binlogFile(dir, "mysql-bin.000002"), flipAt);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            try (BinlogReader r = store.openReader(GtidSet.empty())) {
                StoreCorruptionException e = catchThrowableOfType(() -> drain(r), StoreCorruptionException.class);
                assertThat(e).isNotNull();
                assertThat(e.getMessage()).contains("mysql-bin.000002").contains(String.valueOf(victim.start()))
                        .contains("checksum");
            }
            // a reader that starts after it is fine; one that starts at it fails the same way
            PrimaryStream.Unit after = s.transactionsIn("mysql-bin.000002").get(4);
            try (BinlogReader r = store.openReader("mysql-bin.000002", after.start())) {
                assertEvents(drain(r), expectedFrom(s, "mysql-bin.000002", after.start()));
            }
            try (BinlogReader r = store.openReader("mysql-bin.000002", victim.start())) {
                assertThatThrownBy(() -> drain(r)).isInstanceOf(StoreCorruptionException.class)
                        .hasMessageContaining("mysql-bin.000002").hasMessageContaining(" " + victim.start());
            }
        }
        // a damaged FORMAT_DESCRIPTION fails every reader of the file, named by file and position 4
        flip(binlogFile(dir, "mysql-bin.000003"), 4 + BinlogEvent.HEADER_LENGTH + 10);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            long pos = s.transactionsIn("mysql-bin.000003").get(2).start();
            StoreCorruptionException e = catchThrowableOfType(() -> {
                try (BinlogReader r = store.openReader("mysql-bin.000003", pos)) {
                    drain(r);
                }
            }, StoreCorruptionException.class);
            assertThat(e).isNotNull();
            assertThat(e.getMessage()).contains("mysql-bin.000003").contains("4");
        }
    }

    static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x10);
        }
    }

    @Test
    void eventsComeBackUnchangedWithChecksumsThatVerify() throws IOException {
        PrimaryStream s = threeFiles(ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 3));
            try (BinlogReader r = store.openReader(GtidSet.empty())) {
                for (PositionedEvent e : drain(r)) {
                    ChecksumType cs = e.event().checksumIn(ChecksumType.CRC32);
                    assertThat(e.event().checksumMatches(cs)).isTrue();
                    assertThat(e.endPosition() & 0xffffffffL).isEqualTo(e.event().logPos());
                }
            }
            assertThat(Arrays.equals(s.expectedFile("mysql-bin.000001"),
                    java.nio.file.Files.readAllBytes(binlogFile(dir, "mysql-bin.000001")))).isTrue();
        }
    }

    @Test
    void locateFindsAGtidInItsFileByPreviousGtidsAndLooksThroughANewFileWithoutThemYet() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            long first = s.position();
            store.append(null, s.transaction(1, 10), 2);
            long second = s.position();
            store.append(null, s.transaction(1, 10), 3);
            List<byte[]> rotate = s.rotate(); // ROTATE, the next file's FORMAT_DESCRIPTION and PREVIOUS_GTIDS
            store.append(null, rotate.subList(0, rotate.size() - 1), 4);
            assertThat(store.locate(new Gtid(SID, 1))).isEqualTo(new StoredPosition("mysql-bin.000001", first));
            assertThat(store.locate(new Gtid(SID, 2))).isEqualTo(new StoredPosition("mysql-bin.000001", second));
            store.append(null, rotate.subList(rotate.size() - 1, rotate.size()), 5);
            long third = s.position();
            store.append(null, s.transaction(1, 10), 6);
            assertThat(store.locate(new Gtid(SID, 2))).isEqualTo(new StoredPosition("mysql-bin.000001", second));
            assertThat(store.locate(new Gtid(SID, 3))).isEqualTo(new StoredPosition("mysql-bin.000002", third));
            assertThat(store.locate(new Gtid(SID, 4))).isNull();
            assertThat(store.locate(new Gtid(OTHER, 1))).isNull();
        }
    }
}

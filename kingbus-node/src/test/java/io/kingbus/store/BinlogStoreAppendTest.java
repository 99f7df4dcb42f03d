package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.Bytes;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.PreviousGtidsEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.appendAll;
import static io.kingbus.store.StoreAssertions.assertStoreEquals;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Appending dump streams: byte-identical files, metadata, idempotency, conflicts and malformed input. */
class BinlogStoreAppendTest {
    static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    static final UUID OTHER = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    @TempDir
    Path dir;

    /**
     * A stream over four files: DDL, small and multi-row transactions, a row event larger than the store's
     * 1 MiB write buffer, a replicated transaction of another source, an empty file (rotated right away).
     */
    static PrimaryStream sampleStream(ChecksumType c) {
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        s.ddl("CREATE TABLE t (id INT PRIMARY KEY, doc JSON, data LONGBLOB)");
        for (int i = 0; i < 8; i++) {
            s.transaction(1 + i % 3, 20 + 37 * i);
        }
        s.rotate();
        s.transaction(1, 1_500_000);
        s.transactionAs(OTHER, 2, 100);
        s.transaction(5, 300);
        s.rotate();
        s.rotate(); // a file holding only FDE, PREVIOUS_GTIDS and ROTATE
        s.ddl("ALTER TABLE t ADD COLUMN x INT");
        for (int i = 0; i < 6; i++) {
            s.transaction(2, 64);
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void multiFileStreamIsStoredByteForByteWhateverTheBatchSizes(ChecksumType c) throws IOException {
        PrimaryStream s = sampleStream(c);
        List<int[]> patterns = List.of(new int[] {1}, new int[] {2}, new int[] {3, 1, 4}, new int[] {7},
                new int[] {50}, new int[] {100_000});
        int n = 0;
        for (int[] sizes : patterns) {
            Path d = dir.resolve("p" + n++);
            try (BinlogStore store = BinlogStore.open(d, FAST)) {
                appendAll(store, PrimaryStream.batches(s.events(), sizes));
                assertStoreEquals(store, d, s);
            }
            try (BinlogStore store = BinlogStore.open(d, FAST)) { // and the same after a clean reopen
                assertStoreEquals(store, d, s);
            }
        }
        Path d = dir.resolve("random");
        try (BinlogStore store = BinlogStore.open(d, StoreOptions.defaults())) { // with fsync too
            appendAll(store, PrimaryStream.randomBatches(s.events(), new Random(42), 12));
            assertStoreEquals(store, d, s);
            assertThat(store.recoveryTag()).isPositive();
        }
    }

    @Test
    void emptyStoreHasNothing() throws IOException {
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertThat(store.files()).isEmpty();
            assertThat(store.lastFile()).isNull();
            assertThat(store.executedGtids().isEmpty()).isTrue();
            assertThat(store.purgedGtids().isEmpty()).isTrue();
            assertThat(store.sizeBytes()).isZero();
            assertThat(store.recoveryTag()).isEqualTo(-1);
            assertThatThrownBy(() -> store.openReader(GtidSet.empty())).isInstanceOf(StoreException.class);
            assertThatThrownBy(() -> store.openReader("mysql-bin.000001", 4)).isInstanceOf(StoreException.class);
            // A stream must name its file first.
            PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
            s.start();
            List<byte[]> noRotate = s.events().subList(1, 3).stream().map(PrimaryStream.StreamEvent::bytes).toList();
            assertThatThrownBy(() -> store.append(null, noRotate, 1)).isInstanceOf(StoreConflictException.class);
            assertThat(store.files()).isEmpty();
        }
    }

    @Test
    void appendResultCountsAndRecoveryTag() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            AppendResult r = store.append(null, s.start(), 10);
            assertThat(r.appended()).isEqualTo(2);
            assertThat(r.skipped()).isEqualTo(1); // the fake rotate
            assertThat(r.file()).isEqualTo("mysql-bin.000001");
            assertThat(r.committedEnd()).isEqualTo(s.position());
            List<byte[]> trx = s.transaction(2, 10);
            r = store.append("mysql-bin.000001", trx.subList(0, 3), 11);
            assertThat(r.committedEnd()).as("the partial transaction is not committed").isLessThan(s.position());
            assertThat(store.recoveryTag()).isEqualTo(10);
            r = store.append("mysql-bin.000001", trx.subList(3, trx.size()), 12);
            assertThat(store.recoveryTag()).isEqualTo(12);
            assertThat(r.committedEnd()).isEqualTo(s.position());
            r = store.append("mysql-bin.000001", trx, 13); // a replay
            assertThat(r.appended()).isZero();
            assertThat(r.skipped()).isEqualTo(trx.size());
            assertThat(store.recoveryTag()).isEqualTo(12);
        }
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertThat(store.recoveryTag()).isEqualTo(12);
        }
    }

    // ------------------------------------------------------------------ idempotency

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void sameBatchesTwiceAndReplaysFromEarlierBatches(ChecksumType c) throws IOException {
        PrimaryStream s = sampleStream(c);
        List<PrimaryStream.Batch> batches = PrimaryStream.randomBatches(s.events(), new Random(7), 9);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, batches);
            appendAll(store, batches);
            assertStoreEquals(store, dir, s);
            for (int from : new int[] {0, 1, 2, batches.size() / 3, batches.size() / 2, batches.size() - 1}) {
                int appended = 0;
                for (PrimaryStream.Batch b : batches.subList(from, batches.size())) {
                    appended += store.append(b.file(), b.events(), 99).appended();
                }
                assertThat(appended).as("replay from batch %d", from).isZero();
                assertStoreEquals(store, dir, s);
            }
        }
    }

    @Test
    void replaysOfEarlierBatchesInterleavedWithNewOnes() throws IOException {
        PrimaryStream s = sampleStream(ChecksumType.CRC32);
        List<PrimaryStream.StreamEvent> events = s.events();
        List<PrimaryStream.Batch> batches = PrimaryStream.randomBatches(events, new Random(11), 6);
        // where each batch starts in the event list
        List<Integer> firstEvent = new ArrayList<>();
        int at = 0;
        for (PrimaryStream.Batch b : batches) {
            firstEvent.add(at);
            at += b.events().size();
        }
        Random r = new Random(12);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            for (int i = 0; i < batches.size(); i++) {
                store.append(batches.get(i).file(), batches.get(i).events(), i);
                if (r.nextInt(3) == 0) {
                    // Replay an earlier run of batches, starting at one whose first event the store has committed
                    // or that starts the open transaction (a replay from a transaction boundary).
                    long committed = store.lastFile().endPosition();
                    String lastName = store.lastFile().name();
                    List<Integer> candidates = new ArrayList<>();
                    for (int k = 0; k <= i; k++) {
                        PrimaryStream.StreamEvent e = events.get(firstEvent.get(k));
                        boolean before = !e.file().equals(lastName) || e.position() < 0 || e.end() <= committed
                                || e.position() == committed;
                        if (before) {
                            candidates.add(k);
                        }
                    }
                    int k = candidates.get(r.nextInt(candidates.size()));
                    for (int j = k; j <= i; j++) {
                        store.append(batches.get(j).file(), batches.get(j).events(), j);
                    }
                }
            }
            assertStoreEquals(store, dir, s);
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void dumpsByFileAndPositionContinueOrReplay(ChecksumType c) throws IOException {
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        for (int i = 0; i < 5; i++) {
            s.transaction(2, 30);
        }
        s.rotate();
        s.transaction(1, 1);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 4));
            // the primary's dump from the store's end: fake rotate, format-only FDE (log_pos 0), new events
            for (int i = 0; i < 3; i++) {
                s.transaction(1, 20);
            }
            BinlogFileInfo last = store.lastFile();
            appendAll(store, PrimaryStream.batches(s.dumpFrom(last.name(), last.endPosition()), 3));
            assertStoreEquals(store, dir, s);
            // a dump from an earlier transaction of an earlier file replays harmlessly
            PrimaryStream.Unit earlier = s.transactionsIn("mysql-bin.000001").get(2);
            appendAll(store, PrimaryStream.batches(s.dumpFrom(earlier.file(), earlier.start()), 5));
            assertStoreEquals(store, dir, s);
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void transactionCutInTheMiddleThenResentFromItsGtid(ChecksumType c) throws IOException {
        PrimaryStream s = new PrimaryStream(SID, c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            GtidSet before = store.executedGtids();
            long end = store.lastFile().endPosition();
            List<byte[]> trx = s.transaction(4, 50);
            for (int cut = 1; cut < trx.size(); cut++) {
                store.append("mysql-bin.000001", trx.subList(0, cut), 3);
                assertThat(store.executedGtids()).isEqualTo(before);
                assertThat(store.lastFile().endPosition()).isEqualTo(end);
            }
            store.append("mysql-bin.000001", trx, 4); // resent from its GTID event
            assertStoreEquals(store, dir, s);

            // The rest of a cut transaction continues it too.
            trx = s.transaction(3, 70);
            store.append("mysql-bin.000001", trx.subList(0, 2), 5);
            store.append("mysql-bin.000001", trx.subList(2, trx.size()), 6);
            assertStoreEquals(store, dir, s);

            // Cut, then the primary reconnects and resends from the store's executed set.
            trx = s.transaction(3, 70);
            store.append("mysql-bin.000001", trx.subList(0, 4), 7);
            s.transaction(1, 5);
            appendAll(store, PrimaryStream.batches(s.dumpFrom(store.executedGtids()), 3));
            assertStoreEquals(store, dir, s);
        }
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertStoreEquals(store, dir, s);
        }
    }

    @Test
    void partialTransactionAbandonedByRotation() throws IOException {
        // A primary that crashed mid-transaction restarts on a new file; the partial transaction is discarded.
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(2, 10), 2);
            PrimaryStream crashed = new PrimaryStream(SID, ChecksumType.CRC32);
            crashed.start();
            crashed.transaction(2, 10);
            List<byte[]> torn = crashed.transaction(2, 10);
            store.append("mysql-bin.000001", torn.subList(0, 3), 3);
            List<byte[]> rot = s.rotate();
            // the new file's events, announced by a fake rotate (what a dump after the primary's restart sends)
            List<byte[]> next = new ArrayList<>();
            next.add(RotateEvent.fake(TestEvents.SERVER_ID, "mysql-bin.000002", 4, ChecksumType.CRC32).bytes());
            next.addAll(rot.subList(1, rot.size()));
            store.append(null, next, 4);
            assertThat(store.files()).extracting(BinlogFileInfo::name)
                    .containsExactly("mysql-bin.000001", "mysql-bin.000002");
            // mysql-bin.000001 ends where its last complete transaction ended (no ROTATE: the primary crashed)
            byte[] expected1 = s.expectedFile("mysql-bin.000001");
            int rotateLength = rot.get(0).length;
            assertThat(Files.size(binlogFile(dir, "mysql-bin.000001"))).isEqualTo(expected1.length - rotateLength);
            assertThat(store.executedGtids()).isEqualTo(s.executed());
        }
    }

    // ------------------------------------------------------------------ conflicts and malformed input

    /** What must not change when a batch is refused. */
    private record Snapshot(List<BinlogFileInfo> files, GtidSet executed, long size, List<byte[]> contents) {
    }

    private Snapshot snapshot(BinlogStore store) throws IOException {
        List<byte[]> contents = new ArrayList<>();
        for (BinlogFileInfo f : store.files()) {
            byte[] all = Files.readAllBytes(binlogFile(dir, f.name()));
            contents.add(java.util.Arrays.copyOf(all, (int) Math.min(all.length, f.endPosition())));
        }
        return new Snapshot(store.files(), store.executedGtids(), store.sizeBytes(), contents);
    }

    private void assertUnchanged(BinlogStore store, Snapshot before) throws IOException {
        Snapshot now = snapshot(store);
        assertThat(now.files()).usingRecursiveComparison().isEqualTo(before.files());
        assertThat(now.executed()).isEqualTo(before.executed());
        assertThat(now.size()).isEqualTo(before.size());
        for (int i = 0; i < now.contents().size(); i++) {
            assertThat(now.contents().get(i)).isEqualTo(before.contents().get(i));
        }
    }

    @ParameterizedTest
    @EnumSource(ChecksumType.class)
    void gapIsRefusedAndLeavesTheStoreAppendable(ChecksumType c) throws IOException {
        PrimaryStream s = new PrimaryStream(SID, c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            Snapshot before = snapshot(store);
            List<byte[]> missing = s.transaction(2, 30);
            List<byte[]> after = s.transaction(1, 30);
            assertThatThrownBy(() -> store.append("mysql-bin.000001", after, 3))
                    .isInstanceOf(StoreConflictException.class)
                    .hasMessageContaining("mysql-bin.000001");
            assertUnchanged(store, before);

            // a gap inside a transaction: TABLE_MAP missing
            List<byte[]> holed = new ArrayList<>(missing);
            holed.remove(2);
            assertThatThrownBy(() -> store.append("mysql-bin.000001", holed, 4))
                    .isInstanceOf(StoreConflictException.class);
            assertUnchanged(store, before);

            // an event of a later file (the batch names a file the store lacks, but does not start it)
            s.rotate();
            List<byte[]> later = s.transaction(1, 10);
            assertThatThrownBy(() -> store.append("mysql-bin.000002", later, 5))
                    .isInstanceOf(StoreConflictException.class);
            assertUnchanged(store, before);

            // still appendable: the rest of the stream from the store's executed set
            appendAll(store, PrimaryStream.batches(s.dumpFrom(store.executedGtids()), 2));
            assertThat(store.files()).extracting(BinlogFileInfo::name)
                    .containsExactly("mysql-bin.000001", "mysql-bin.000002");
            assertStoreEquals(store, dir, s);
        }
    }

    @Test
    void newFileMustStartWithItsFormatDescription() throws IOException {
        ChecksumType c = ChecksumType.CRC32;
        PrimaryStream s = new PrimaryStream(SID, c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            List<byte[]> rot = s.rotate();
            byte[] prev = rot.get(2);
            // PREVIOUS_GTIDS where the FORMAT_DESCRIPTION belongs
            byte[] prevAt4 = BinlogEvent.of(prev).withLogPosAndFlags(4 + prev.length, 0, c).bytes();
            List<byte[]> noFde = List.of(rot.get(0), prevAt4);
            assertThatThrownBy(() -> store.append("mysql-bin.000001", noFde, 3))
                    .isInstanceOf(StoreConflictException.class)
                    .hasMessageContaining("FORMAT_DESCRIPTION");
            // the ROTATE was stored and started mysql-bin.000002; its first events complete it
            store.append("mysql-bin.000002", rot.subList(1, 3), 4);
            store.append("mysql-bin.000002", s.transaction(2, 2), 5);
            assertStoreEquals(store, dir, s);
        }
    }

    @Test
    void fakeRotateToAnUnknownFileMidwayIsRefused() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            Snapshot before = snapshot(store);
            List<byte[]> b = List.of(RotateEvent.fake(TestEvents.SERVER_ID, "mysql-bin.000002", 1234,
                    ChecksumType.CRC32).bytes());
            assertThatThrownBy(() -> store.append(null, b, 2)).isInstanceOf(StoreConflictException.class);
            assertUnchanged(store, before);
            // and a file name sorting before the last file
            List<byte[]> old = List.of(RotateEvent.fake(TestEvents.SERVER_ID, "mysql-bin.000000", 4,
                    ChecksumType.CRC32).bytes());
            assertThatThrownBy(() -> store.append(null, old, 3)).isInstanceOf(StoreConflictException.class);
            assertThatThrownBy(() -> store.append("../evil", s.transaction(1, 1), 4))
                    .isInstanceOf(StoreConflictException.class);
            assertUnchanged(store, before);
            appendAll(store, PrimaryStream.batches(s.dumpFrom(store.executedGtids()), 4));
            assertStoreEquals(store, dir, s);
        }
    }

    @Test
    void rotateToAFileThatDoesNotComeAfterTheCurrentOneIsRefused() throws IOException {
        ChecksumType c = ChecksumType.CRC32;
        PrimaryStream s = new PrimaryStream(SID, c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            Snapshot before = snapshot(store);
            for (String name : new String[] {"mysql-bin.000001", "mysql-bin.000000", "mysql-bin.00000", "",
                                             "../x.000002", "mysql-bin.000002\u0000"}) {
                byte[] rotate = TestEvents.rotate(name, 0, c).bytes();
                byte[] placed = TestEvents.rotate(name, s.position() + rotate.length, c).bytes();
                assertThatThrownBy(() -> store.append("mysql-bin.000001", List.of(placed), 3))
                        .as("rotate to '%s'", name)
                        .isInstanceOf(StoreConflictException.class);
                assertUnchanged(store, before);
            }
            appendAll(store, PrimaryStream.batches(s.dumpFrom(store.executedGtids()), 2));
            s.rotate();
            s.transaction(1, 1);
            appendAll(store, PrimaryStream.batches(s.dumpFrom("mysql-bin.000001", 4), 2));
            assertStoreEquals(store, dir, s);
        }
    }

    @Test
    void wrongChecksumIsRefused() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            Snapshot before = snapshot(store);
            List<byte[]> trx = s.transaction(2, 40);
            for (int i = 0; i < trx.size(); i++) {
                List<byte[]> bad = new ArrayList<>(trx);
                byte[] e = bad.get(i).clone();
                e[BinlogEvent.HEADER_LENGTH] ^= 0x40; // a body byte: the CRC32 no longer matches
                bad.set(i, e);
                assertThatThrownBy(() -> store.append("mysql-bin.000001", bad, 3))
                        .isInstanceOf(StoreConflictException.class)
                        .hasMessageContaining("checksum");
                assertUnchanged(store, before);
            }
            store.append("mysql-bin.000001", trx, 4);
            // a FORMAT_DESCRIPTION with a bad checksum starting the next file
            List<byte[]> rot = s.rotate();
            List<byte[]> bad = new ArrayList<>(rot);
            byte[] fde = bad.get(1).clone();
            fde[BinlogEvent.HEADER_LENGTH + 3] ^= 1;
            bad.set(1, fde);
            assertThatThrownBy(() -> store.append("mysql-bin.000001", bad, 5))
                    .isInstanceOf(StoreConflictException.class);
            assertThat(store.executedGtids()).isEqualTo(s.executed());
            store.append("mysql-bin.000001", rot, 6);
            store.append("mysql-bin.000002", s.transaction(1, 1), 7);
            assertStoreEquals(store, dir, s);
        }
    }

    @Test
    void malformedBytesAreRefusedWithoutHarm() throws IOException {
        ChecksumType c = ChecksumType.CRC32;
        PrimaryStream s = new PrimaryStream(SID, c);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            store.append(null, s.start(), 1);
            store.append(null, s.transaction(1, 10), 2);
            Snapshot before = snapshot(store);
            long pos = s.position();
            List<byte[]> malformed = new ArrayList<>();
            malformed.add(new byte[0]);
            malformed.add(new byte[] {1, 2, 3, 4, 5});
            byte[] wrongLength = s.events().get(4).bytes().clone();
            Bytes.putU32(wrongLength, BinlogEvent.LENGTH_OFFSET, wrongLength.length + 10);
            malformed.add(wrongLength);
            // events with a valid header and checksum but an undecodable body, at the right position
            malformed.add(event(EventType.GTID, new byte[5], pos, c));
            malformed.add(TestEvents.gtid(SID, 0, pos + TestEvents.gtid(SID, 1, 0, c).length(), c).bytes()); // GNO 0
            malformed.add(event(EventType.QUERY, new byte[3], pos, c));
            malformed.add(event(EventType.ROTATE, new byte[3], pos, c));
            malformed.add(event(EventType.FORMAT_DESCRIPTION, new byte[20], pos, c));
            for (int i = 0; i < 256; i++) { // random junk of plausible lengths
                byte[] junk = new byte[19 + new Random(i).nextInt(200)];
                new Random(i).nextBytes(junk);
                malformed.add(junk);
            }
            for (byte[] m : malformed) {
                try {
                    store.append("mysql-bin.000001", List.of(m), 3);
                } catch (StoreConflictException expected) {
                    // refused
                }
                assertUnchanged(store, before);
            }
            // a GTID event that opens a transaction, then a malformed QUERY inside it
            List<byte[]> trx = s.transaction(1, 10);
            long beginAt = pos + trx.get(0).length;
            List<byte[]> bad = List.of(trx.get(0), event(EventType.QUERY, new byte[2], beginAt, c));
            assertThatThrownBy(() -> store.append("mysql-bin.000001", bad, 4)).isInstanceOf(StoreConflictException.class);
            assertThat(store.executedGtids()).isEqualTo(before.executed());
            store.append("mysql-bin.000001", trx, 5);

            // malformed PREVIOUS_GTIDS starting the next file
            List<byte[]> rot = s.rotate();
            long prevAt = 4 + rot.get(1).length;
            List<byte[]> badPrev = List.of(rot.get(0), rot.get(1), event(EventType.PREVIOUS_GTIDS,
                    new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9}, prevAt, c));
            assertThatThrownBy(() -> store.append("mysql-bin.000001", badPrev, 6))
                    .isInstanceOf(StoreConflictException.class);
            assertThat(store.executedGtids()).isEqualTo(s.executed());
            store.append("mysql-bin.000001", rot, 7);
            store.append("mysql-bin.000002", s.transaction(1, 1), 8);
            assertStoreEquals(store, dir, s);
        }
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertStoreEquals(store, dir, s);
        }
    }

    /** An event ending at {@code pos + length} with a given body and a valid checksum. */
    static byte[] event(int type, byte[] body, long pos, ChecksumType c) {
        long length = BinlogEvent.HEADER_LENGTH + body.length + c.length();
        return BinlogEvent.build(type, TestEvents.SERVER_ID, TestEvents.TS, pos + length, 0, body, c).bytes();
    }

    @Test
    void previousGtidsOfTheFirstFileAreThePurgedSet() throws IOException {
        GtidSet before = GtidSet.parse(SID + ":1-100," + OTHER + ":1-5");
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32, "binlog", 17, before);
        s.start();
        s.transaction(1, 10);
        s.rotate();
        s.transaction(1, 10);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAll(store, PrimaryStream.batches(s.events(), 4));
            assertStoreEquals(store, dir, s);
            assertThat(store.files().get(0).name()).isEqualTo("binlog.000017");
            assertThat(store.purgedGtids()).isEqualTo(before);
            assertThat(store.executedGtids()).isEqualTo(GtidSet.parse(SID + ":1-102," + OTHER + ":1-5"));
            assertThat(PreviousGtidsEvent.decode(BinlogEvent.of(s.events().get(2).bytes()), ChecksumType.CRC32)
                    .gtids()).isEqualTo(before);
        }
    }
}

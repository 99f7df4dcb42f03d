package io.kingbus.store;

import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The index batch is encoded in Java in RocksDB's WriteBatch wire form: it must be what RocksDB itself builds. Its
 * transactions are stored as runs (one record per batch and file), which every lookup must read as if each
 * transaction had a key of its own.
 */
class StoreIndexTest {
    private static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    private static final UUID OTHER = UUID.fromString("0b3f58d4-1c1a-11ee-8a2c-0242ac120002");

    @TempDir
    Path dir;

    @Test
    void batchBytesEqualRocksDbsOwnWriteBatch() throws Exception {
        try (StoreIndex index = new StoreIndex(dir.resolve("i"))) {
            StoreIndex.Batch b = index.batch();
            try (WriteBatch expected = new WriteBatch()) {
                b.putTransaction(7, 4, 300, new Gtid(SID, 1));
                b.putTransaction(7, 300, 4000, null); // anonymous
                b.deleteTransactionsOf(3); // the run collected so far is written before it
                ByteArrayOutputStream run = new ByteArrayOutputStream();
                run.write(1); // format
                run.write(1); // one source id
                run.writeBytes(ByteBuffer.allocate(16).putLong(SID.getMostSignificantBits())
                        .putLong(SID.getLeastSignificantBits()).array());
                run.write(2); // transactions
                run.writeBytes(new byte[] {0, (byte) 0xA8, 0x02, 1, 1}); // gap 0, length 296, source 1, gno 1
                run.writeBytes(new byte[] {0, (byte) 0xF4, 0x1C, 0}); // gap 0, length 3700, anonymous
                expected.put(key('R', 7, 4), run.toByteArray());
                expected.deleteRange(key('R', 3, 0), key('R', 4, 0));
                GtidSet big = GtidSet.empty(); // a value longer than 127 bytes: a two-byte varint length
                for (int i = 0; i < 20; i++) {
                    big.add(new UUID(i, i), 5);
                }
                b.putExecuted(big);
                expected.put("Mexecuted".getBytes(java.nio.charset.StandardCharsets.US_ASCII), big.encode());
                assertThat(big.encode().length).isGreaterThan(127);
                assertThat(b.data()).isEqualTo(expected.data());
            }
        }
    }

    @Test
    void writtenBatchIsReadBackAndClearStartsAfresh() {
        try (StoreIndex index = new StoreIndex(dir.resolve("i"))) {
            StoreIndex.Batch b = index.batch();
            for (int i = 0; i < 2000; i++) { // grows the buffers past their first size
                b.putTransaction(1, 4 + 100L * i, 104 + 100L * i, new Gtid(SID, i + 1));
            }
            index.write(b, false);
            b.clear();
            assertThat(b.empty()).isTrue();
            b.putTag(42);
            index.write(b, false);
            assertThat(index.tag()).isEqualTo(42);
            assertThat(index.find(1, new Gtid(SID, 1500))).isEqualTo(new StoreIndex.Location(1, 4 + 100L * 1499,
                    104 + 100L * 1499));
            assertThat(index.find(1, new Gtid(SID, 2001))).isNull();
            assertThat(index.find(2, new Gtid(SID, 1500))).isNull();
            assertThat(index.transactionsFrom(1, 0)).hasSize(2000);
            b.clear();
            b.deleteTransactionsOf(1);
            index.write(b, false);
            assertThat(index.transactionsFrom(1, 0)).isEmpty();
        }
    }

    @Test
    void lookupsReadAcrossRunsAsIfEveryTransactionHadAKey() {
        // File 1: three batches, the second longer than a run (so it splits), gaps between some transactions (events
        // outside transactions), two source ids and anonymous ones. File 2: one batch.
        List<StoreIndex.TrxRecord> file1 = new ArrayList<>();
        long at = 4 + 120; // FORMAT_DESCRIPTION, PREVIOUS_GTIDS
        long gno = 1;
        int[] batchSizes = {3, StoreIndex.MAX_RUN + 5, 7};
        try (StoreIndex index = new StoreIndex(dir.resolve("i"))) {
            for (int size : batchSizes) {
                StoreIndex.Batch b = index.batch();
                for (int i = 0; i < size; i++) {
                    long start = at + (i % 50 == 7 ? 31 : 0);
                    long end = start + 200 + i % 13;
                    Gtid g = i % 97 == 5 ? null : new Gtid(i % 11 == 3 ? OTHER : SID, gno++);
                    b.putTransaction(1, start, end, g);
                    file1.add(new StoreIndex.TrxRecord(start, end, g));
                    at = end;
                }
                b.putTransaction(2, 4 + 120 + size, 4 + 500 + size, new Gtid(SID, 1_000_000 + size));
                index.write(b, false);
            }
            assertThat(index.transactionsFrom(1, 0)).containsExactlyElementsOf(file1);
            assertThat(index.transactionsFrom(2, 0)).hasSize(3);
            StoreIndex.TrxRecord middle = file1.get(StoreIndex.MAX_RUN + 4); // the first of the split run's second part
            StoreIndex.TrxRecord before = file1.get(StoreIndex.MAX_RUN + 3);
            assertThat(index.transactionsFrom(1, middle.start())).containsExactlyElementsOf(
                    file1.subList(StoreIndex.MAX_RUN + 4, file1.size()));
            assertThat(index.transactionsFrom(1, before.start() + 1)).first().isEqualTo(middle);
            assertThat(index.transactionAtOrBefore(1, middle.start())).isEqualTo(middle);
            assertThat(index.transactionAtOrBefore(1, middle.start() - 1)).isEqualTo(before);
            assertThat(index.transactionAtOrBefore(1, 4)).isNull();
            assertThat(index.transactionAtOrBefore(1, Long.MAX_VALUE)).isEqualTo(file1.get(file1.size() - 1));
            for (StoreIndex.TrxRecord t : List.of(file1.get(0), before, middle, file1.get(file1.size() - 1))) {
                if (t.gtid() != null) {
                    assertThat(index.find(1, t.gtid())).isEqualTo(new StoreIndex.Location(1, t.start(), t.end()));
                }
            }

            // A contained run across the runs' boundary: the replica has everything from file1[10] on.
            GtidSet have = GtidSet.empty();
            for (StoreIndex.TrxRecord t : file1.subList(10, file1.size())) {
                if (t.gtid() != null) {
                    have.add(t.gtid());
                }
            }
            int firstContained = 10;
            while (file1.get(firstContained).gtid() == null) {
                firstContained++;
            }
            long[] r = index.containedRun(1, 0, Long.MAX_VALUE, have, 100);
            int last = firstContained;
            while (last + 1 < file1.size() && file1.get(last + 1).gtid() != null
                    && file1.get(last + 1).start() == file1.get(last).end()) {
                last++;
            }
            assertThat(r).containsExactly(file1.get(firstContained).start(), file1.get(last).end(),
                    last - firstContained + 1);
            assertThat(index.containedRun(1, 0, Long.MAX_VALUE, have, 3)).as("gives up after 3 lacking")
                    .containsExactly(file1.get(2).start(), file1.get(2).start(), 0);
        }
    }

    @Test
    void aFormat1IndexIsConvertedWhenOpened() throws Exception {
        Path path = dir.resolve("i");
        try (StoreIndex index = new StoreIndex(path)) {
            StoreIndex.Batch b = index.batch();
            b.putTag(9);
            index.write(b, true);
        }
        // Format 1: T seq pos -> end, flag [, sid, gno]; G sid gno -> seq, start, end.
        try (Options o = new Options(); RocksDB raw = RocksDB.open(o, path.toString())) {
            long[][] trx = {{1, 4, 300}, {1, 300, 700}, {1, 800, 900}, {2, 4, 50}};
            for (int i = 0; i < trx.length; i++) {
                boolean anonymous = i == 1;
                ByteBuffer v = ByteBuffer.allocate(anonymous ? 9 : 33).putLong(trx[i][2]);
                if (anonymous) {
                    v.put((byte) 0);
                } else {
                    v.put((byte) 1).putLong(SID.getMostSignificantBits()).putLong(SID.getLeastSignificantBits())
                            .putLong(i + 1);
                    raw.put(ByteBuffer.allocate(25).put((byte) 'G').putLong(SID.getMostSignificantBits())
                                    .putLong(SID.getLeastSignificantBits()).putLong(i + 1).array(),
                            ByteBuffer.allocate(20).putInt((int) trx[i][0]).putLong(trx[i][1]).putLong(trx[i][2])
                                    .array());
                }
                raw.put(key('T', (int) trx[i][0], trx[i][1]), v.array());
            }
        }
        try (StoreIndex index = new StoreIndex(path)) {
            assertThat(index.tag()).isEqualTo(9);
            assertThat(index.transactionsFrom(1, 0)).containsExactly(
                    new StoreIndex.TrxRecord(4, 300, new Gtid(SID, 1)),
                    new StoreIndex.TrxRecord(300, 700, null),
                    new StoreIndex.TrxRecord(800, 900, new Gtid(SID, 3)));
            assertThat(index.find(2, new Gtid(SID, 4))).isEqualTo(new StoreIndex.Location(2, 4, 50));
        }
        try (Options o = new Options(); RocksDB raw = RocksDB.open(o, path.toString());
             RocksIterator it = raw.newIterator()) {
            List<Character> kinds = new ArrayList<>();
            for (it.seekToFirst(); it.isValid(); it.next()) {
                kinds.add((char) it.key()[0]);
            }
            assertThat(kinds).as("no format-1 key is left").doesNotContain('T', 'G').contains('R', 'M');
        }
    }

    @Test
    void aDamagedRunRecordIsAStoreErrorNotACrash() throws Exception {
        Path path = dir.resolve("i");
        new StoreIndex(path).close();
        try (Options o = new Options(); RocksDB raw = RocksDB.open(o, path.toString())) {
            raw.put(key('R', 1, 4), new byte[] {1, 0, 3, 0, (byte) 0x80}); // three transactions, the first cut short
        }
        try (StoreIndex index = new StoreIndex(path)) {
            assertThatThrownBy(() -> index.transactionsFrom(1, 0)).isInstanceOf(StoreException.class)
                    .hasMessageContaining("file #1").hasMessageContaining("truncated");
        }
    }

    private static byte[] key(char type, int sequence, long position) {
        return ByteBuffer.allocate(13).put((byte) type).putInt(sequence).putLong(position).array();
    }
}

package io.kingbus.store;

import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.GtidEvent;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.TransactionTracker;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared helpers of the store tests. */
final class StoreAssertions {
    static final StoreOptions FAST = StoreOptions.defaults().withFsync(false);

    private StoreAssertions() {
    }

    static Path binlogFile(Path storeDir, String name) {
        return storeDir.resolve("binlog").resolve(name);
    }

    static void appendAll(BinlogStore store, List<PrimaryStream.Batch> batches) {
        long tag = 1;
        for (PrimaryStream.Batch b : batches) {
            store.append(b.file(), b.events(), tag++);
        }
    }

    /**
     * The store holds exactly the stream: every file byte-identical, the metadata, executed set and size right.
     */
    static void assertStoreEquals(BinlogStore store, Path storeDir, PrimaryStream stream) throws IOException {
        List<String> names = stream.fileNames();
        List<BinlogFileInfo> infos = store.files();
        assertThat(infos).extracting(BinlogFileInfo::name).containsExactlyElementsOf(names);
        long total = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            byte[] expected = stream.expectedFile(name);
            byte[] actual = Files.readAllBytes(binlogFile(storeDir, name));
            assertSameBytes(name, actual, expected);
            BinlogFileInfo info = infos.get(i);
            assertThat(info.endPosition()).as("end of %s", name).isEqualTo(expected.length);
            assertThat(info.previousGtids()).as("previous GTIDs of %s", name).isEqualTo(stream.previousGtids(name));
            List<PrimaryStream.Unit> trx = stream.transactionsIn(name);
            assertThat(info.transactions()).as("transactions in %s", name).isEqualTo(trx.size());
            assertThat(info.firstGtid()).as("first GTID of %s", name)
                    .isEqualTo(trx.isEmpty() ? null : trx.get(0).gtid());
            assertThat(info.lastGtid()).as("last GTID of %s", name)
                    .isEqualTo(trx.isEmpty() ? null : trx.get(trx.size() - 1).gtid());
            assertThat(info.checksumCode()).isEqualTo(stream.checksum().code());
            total += expected.length;
        }
        assertThat(store.executedGtids()).isEqualTo(stream.executed());
        assertThat(store.sizeBytes()).isEqualTo(total);
        BinlogFileInfo last = store.lastFile();
        assertThat(last.name()).isEqualTo(stream.currentFile());
        assertThat(last.endPosition()).isEqualTo(stream.position());
    }

    static void assertSameBytes(String name, byte[] actual, byte[] expected) {
        if (!Arrays.equals(actual, expected)) {
            int i = Arrays.mismatch(actual, expected);
            throw new AssertionError(name + ": " + actual.length + " bytes stored, " + expected.length
                    + " expected; first difference at offset " + i);
        }
    }

    /** Everything a reader returns right now (without waiting). */
    static List<PositionedEvent> drain(BinlogReader reader) throws IOException {
        List<PositionedEvent> out = new ArrayList<>();
        for (PositionedEvent e; (e = reader.poll()) != null; ) {
            out.add(e);
        }
        return out;
    }

    /** The GTIDs of the GTID events among {@code events}, in order. */
    static List<Gtid> gtids(List<PositionedEvent> events) {
        List<Gtid> out = new ArrayList<>();
        ChecksumType c = ChecksumType.OFF;
        for (PositionedEvent e : events) {
            if (e.event().type() == EventType.FORMAT_DESCRIPTION) {
                c = io.kingbus.binlog.FormatDescription.checksumOf(e.event());
            } else if (e.event().type() == EventType.GTID) {
                out.add(GtidEvent.decode(e.event(), c).gtid());
            }
        }
        return out;
    }

    /** What the files on disk hold: the GTIDs of complete transactions, read with the codec (checksums verified). */
    static GtidSet completeGtidsOnDisk(Path storeDir, List<String> names, List<Gtid> inOrder) throws IOException {
        GtidSet set = GtidSet.empty();
        for (String name : names) {
            try (BinlogFileReader r = BinlogFileReader.open(binlogFile(storeDir, name))) {
                TransactionTracker t = new TransactionTracker(ChecksumType.OFF);
                for (PositionedEvent e; (e = r.next()) != null; ) {
                    TransactionTracker.Step s = t.accept(e.event());
                    if (s.role() == TransactionTracker.Role.END && s.completedGtid() != null) {
                        set.add(s.completedGtid());
                        if (inOrder != null) {
                            inOrder.add(s.completedGtid());
                        }
                    }
                }
                assertThat(t.inTransaction()).as("%s ends inside a transaction", name).isFalse();
            }
        }
        return set;
    }

    static List<Gtid> gtidList(List<PrimaryStream.Unit> units) {
        return units.stream().filter(u -> u.gtid() != null).map(PrimaryStream.Unit::gtid).toList();
    }
}

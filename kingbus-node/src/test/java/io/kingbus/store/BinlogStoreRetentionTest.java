package io.kingbus.store;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static io.kingbus.store.StoreAssertions.drain;
import static io.kingbus.store.StoreAssertions.gtids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Purging whole old files by size and age, never the last nor a pinned one. */
class BinlogStoreRetentionTest {
    static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    @TempDir
    Path dir;

    /** Five files of 4 transactions each (SID:1-4 | 5-8 | ...), every file about the same size. */
    private static PrimaryStream fiveFiles(BinlogStore store) {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        store.append(null, s.start(), 1);
        for (int f = 0; f < 5; f++) {
            if (f > 0) {
                store.append(s.currentFile(), s.rotate(), 1);
            }
            for (int i = 0; i < 4; i++) {
                store.append(s.currentFile(), s.transaction(2, 500), 1);
            }
        }
        return s;
    }

    private static List<String> names(BinlogStore store) {
        return store.files().stream().map(BinlogFileInfo::name).toList();
    }

    @Test
    void purgeBySizeKeepsTheNewestFilesAndNeverTheLast() throws IOException {
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            PrimaryStream s = fiveFiles(store);
            List<BinlogFileInfo> files = store.files();
            assertThat(store.purge(0, 0)).isEmpty();
            assertThat(store.purge(store.sizeBytes(), 0)).isEmpty();
            // room for exactly the three newest files: the two oldest go
            long limit = store.sizeBytes() - files.get(0).endPosition() - files.get(1).endPosition();
            assertThat(store.purge(limit + files.get(1).endPosition(), 0)).containsExactly("mysql-bin.000001");
            assertThat(store.purge(limit, 0)).containsExactly("mysql-bin.000002");
            assertThat(store.sizeBytes()).isLessThanOrEqualTo(limit);
            assertThat(names(store)).containsExactly("mysql-bin.000003", "mysql-bin.000004", "mysql-bin.000005");
            assertThat(binlogFile(dir, "mysql-bin.000001")).doesNotExist();
            assertThat(binlogFile(dir, "mysql-bin.000002")).doesNotExist();
            assertThat(store.purgedGtids()).isEqualTo(s.previousGtids("mysql-bin.000003"))
                    .isEqualTo(GtidSet.parse(SID + ":1-8"));
            assertThat(store.executedGtids()).isEqualTo(s.executed());
            // a 1-byte limit purges everything but the last file
            assertThat(store.purge(1, 0)).containsExactly("mysql-bin.000003", "mysql-bin.000004");
            assertThat(names(store)).containsExactly("mysql-bin.000005");
            assertThat(store.purgedGtids()).isEqualTo(GtidSet.parse(SID + ":1-16"));
            assertThat(store.purge(1, 0)).isEmpty();
            // the store goes on
            store.append(s.currentFile(), s.transaction(1, 1), 2);
            assertThat(store.executedGtids()).isEqualTo(s.executed());
        }
    }

    @Test
    void purgeByAge() throws Exception {
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
            store.append(null, s.start(), 1);
            store.append(s.currentFile(), s.transaction(1, 10), 1);
            store.append(s.currentFile(), s.rotate(), 1);
            store.append(s.currentFile(), s.transaction(1, 10), 1);
            Thread.sleep(20);
            long between = System.currentTimeMillis();
            Thread.sleep(20);
            store.append(s.currentFile(), s.rotate(), 1);
            store.append(s.currentFile(), s.transaction(1, 10), 1);
            store.append(s.currentFile(), s.rotate(), 1);
            // files created before `between` go
            assertThat(store.purge(0, between)).containsExactly("mysql-bin.000001", "mysql-bin.000002");
            assertThat(store.purge(0, between)).isEmpty();
            // everything is older than the future, but the last file stays
            assertThat(store.purge(0, System.currentTimeMillis() + 60_000)).containsExactly("mysql-bin.000003");
            assertThat(names(store)).containsExactly("mysql-bin.000004");
            assertThat(store.purgedGtids()).isEqualTo(s.previousGtids("mysql-bin.000004"));
        }
        // the same through the options
        Path d2 = dir.resolve("options");
        StoreOptions keepNothingOld = FAST.withRetention(0, Duration.ofMillis(1));
        try (BinlogStore store = BinlogStore.open(d2, keepNothingOld)) {
            PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
            store.append(null, s.start(), 1);
            store.append(s.currentFile(), s.rotate(), 1);
            Thread.sleep(10);
            assertThat(store.purge()).containsExactly("mysql-bin.000001");
        }
        Path d3 = dir.resolve("size-option");
        try (BinlogStore store = BinlogStore.open(d3, FAST.withRetention(1, null))) {
            PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
            store.append(null, s.start(), 1);
            store.append(s.currentFile(), s.rotate(), 1);
            store.append(s.currentFile(), s.rotate(), 1);
            assertThat(store.purge()).containsExactly("mysql-bin.000001", "mysql-bin.000002");
        }
    }

    @Test
    void filesPinnedByOpenReadersAreKeptUntilTheReadersClose() throws IOException {
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            PrimaryStream s = fiveFiles(store);
            BinlogReader onSecond = store.openReader("mysql-bin.000002", 4);
            BinlogReader byGtid = store.openReader(GtidSet.parse(SID + ":1-12")); // starts in the fourth file
            assertThat(byGtid.file()).isEqualTo("mysql-bin.000004");
            assertThat(store.purge(1, 0)).containsExactly("mysql-bin.000001");
            assertThat(names(store)).containsExactly("mysql-bin.000002", "mysql-bin.000003", "mysql-bin.000004",
                    "mysql-bin.000005");
            // the pinned reader still reads all of its file and moves on
            List<io.kingbus.binlog.PositionedEvent> got = drain(onSecond);
            assertThat(gtids(got)).hasSize(16);
            assertThat(onSecond.file()).isEqualTo("mysql-bin.000005");
            // having moved on, it pins only the last file; the other reader pins the fourth
            assertThat(store.purge(1, 0)).containsExactly("mysql-bin.000002", "mysql-bin.000003");
            byGtid.close();
            assertThat(store.purge(1, 0)).containsExactly("mysql-bin.000004");
            onSecond.close();
            assertThat(names(store)).containsExactly("mysql-bin.000005");

            // a reader open on the oldest file blocks everything after it too
            store.append(s.currentFile(), s.rotate(), 2);
            store.append(s.currentFile(), s.rotate(), 3);
            try (BinlogReader oldest = store.openReader("mysql-bin.000005", 4)) {
                assertThat(store.purge(1, System.currentTimeMillis() + 60_000)).isEmpty();
                assertThat(oldest.poll()).isNotNull();
            }
            assertThat(store.purge(1, 0)).containsExactly("mysql-bin.000005", "mysql-bin.000006");
        }
    }

    @Test
    void purgedStartsAreRefusedAndPurgeSurvivesReopen() throws IOException {
        PrimaryStream s;
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            s = fiveFiles(store);
            store.purge(1, 0);
            // a set lacking purged GTIDs
            assertThatThrownBy(() -> store.openReader(GtidSet.empty())).isInstanceOf(PurgedException.class);
            assertThatThrownBy(() -> store.openReader(GtidSet.parse(SID + ":1-15"))).isInstanceOf(PurgedException.class);
            assertThatThrownBy(() -> store.openReader(GtidSet.parse(SID + ":1-10:12-16")))
                    .isInstanceOf(PurgedException.class);
            // a purged file name
            assertThatThrownBy(() -> store.openReader("mysql-bin.000001", 4)).isInstanceOf(PurgedException.class);
            assertThatThrownBy(() -> store.openReader("mysql-bin.000004", 4)).isInstanceOf(PurgedException.class);
            // a set with all purged GTIDs is served
            try (BinlogReader r = store.openReader(GtidSet.parse(SID + ":1-16"))) {
                assertThat(gtids(drain(r))).hasSize(4);
            }
        }
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            assertThat(names(store)).containsExactly("mysql-bin.000005");
            assertThat(store.purgedGtids()).isEqualTo(GtidSet.parse(SID + ":1-16"));
            assertThat(store.executedGtids()).isEqualTo(s.executed());
            assertThatThrownBy(() -> store.openReader(GtidSet.empty())).isInstanceOf(PurgedException.class);
            assertThatThrownBy(() -> store.openReader("mysql-bin.000002", 4)).isInstanceOf(PurgedException.class);
            for (int g = 1; g <= 16; g++) {
                assertThat(store.locate(new io.kingbus.gtid.Gtid(SID, g))).isNull();
            }
            assertThat(store.locate(new io.kingbus.gtid.Gtid(SID, 17))).isNotNull();
            try (BinlogReader r = store.openReader(GtidSet.parse(SID + ":1-16"))) {
                assertThat(gtids(drain(r))).hasSize(4);
            }
            store.append(s.currentFile(), s.transaction(1, 1), 2);
            assertThat(store.executedGtids()).isEqualTo(s.executed());
            // replaying a purged file's batch is refused, not written
            assertThatThrownBy(() -> store.append("mysql-bin.000001", s.events().subList(3, 8).stream()
                    .map(PrimaryStream.StreamEvent::bytes).toList(), 3)).isInstanceOf(StoreConflictException.class);
            assertThat(names(store)).containsExactly("mysql-bin.000005");
        }
    }
}

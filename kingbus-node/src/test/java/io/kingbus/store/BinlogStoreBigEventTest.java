package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static org.assertj.core.api.Assertions.assertThat;

/** Events stored in parts (up to 1 GiB): recovery and writes never hold or copy one whole. */
class BinlogStoreBigEventTest {
    static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    static final int BIG_ROW = 32 << 20;
    static final int PART = 4 << 20;

    @TempDir
    Path dir;

    /** Heap bytes this thread allocates while {@code body} runs (HotSpot's per-thread counter). */
    private static long allocatedBy(IoRunnable body) throws IOException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(id);
        body.run();
        return mx.getThreadAllocatedBytes(id) - before;
    }

    interface IoRunnable {
        void run() throws IOException;
    }

    /** Appends whole events, except those of at least MIN_PARTED_EVENT_BYTES, which go in parts as raft sends them. */
    private static void appendAsRaft(BinlogStore store, List<PrimaryStream.StreamEvent> events) {
        long tag = 1;
        for (PrimaryStream.StreamEvent e : events) {
            byte[] b = e.bytes();
            if (b.length < BinlogStore.MIN_PARTED_EVENT_BYTES) {
                store.append(e.file(), List.of(b), tag++);
                continue;
            }
            byte[] header = Arrays.copyOf(b, BinlogEvent.HEADER_LENGTH);
            for (int off = 0; off < b.length; off += PART) {
                store.appendPart(e.file(), header, off, ByteBuffer.wrap(b, off, Math.min(PART, b.length - off)), tag++);
            }
        }
    }

    /** Opens the store at {@code at}, appends the events as raft sends them, closes it. */
    private static void appendAsRaft(Path at, List<PrimaryStream.StreamEvent> events) throws IOException {
        try (BinlogStore store = BinlogStore.open(at, FAST)) {
            appendAsRaft(store, events);
        }
    }

    /**
     * A store in dir/live holding the stream's events so far, copied to dir/snapshot: a crash later leaves the snapshot's
     * index as it is now beside whatever the live files get. Returns {live, snapshot}.
     */
    private Path[] storedAndCopied(PrimaryStream s) throws IOException {
        Path live = dir.resolve("live");
        Path snapshot = dir.resolve("snapshot");
        appendAsRaft(live, s.events());
        BinlogStoreRecoveryTest.copyDir(live, snapshot);
        return new Path[] {live, snapshot};
    }

    /** Reopens the store at {@code at}, asserting that recovery allocated well under the big row's size of heap. */
    private static BinlogStore reopenWithinHeap(Path at) throws IOException {
        AtomicReference<BinlogStore> reopened = new AtomicReference<>();
        long allocated = allocatedBy(() -> reopened.set(BinlogStore.open(at, FAST)));
        System.out.printf("recovery over a %d MiB event allocated %d bytes of heap%n", BIG_ROW >> 20, allocated);
        assertThat(allocated).as("heap allocated by recovery").isLessThan(BIG_ROW / 4);
        return reopened.get();
    }

    /** The reopened store ends at {@code end} with {@code executed}, its file cut (or kept) to that end. */
    private static void assertRecoveredTo(BinlogStore store, Path at, String name, long end, GtidSet executed)
            throws IOException {
        assertThat(store.lastFile().endPosition()).isEqualTo(end);
        assertThat(store.executedGtids()).isEqualTo(executed);
        assertThat(Files.size(binlogFile(at, name))).isEqualTo(end);
    }

    @Test
    void recoveryDropsAnUnfinishedTransactionEndingInABigEventWithoutReadingItWhole() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        s.start();
        s.transaction(2, 100);
        long committed = s.position();
        GtidSet executed = s.executed();
        s.transaction(1, BIG_ROW); // GTID, BEGIN, TABLE_MAP, WRITE_ROWS (32 MiB), XID
        List<PrimaryStream.StreamEvent> all = s.events();
        List<PrimaryStream.StreamEvent> upToBig = all.subList(0, all.size() - 1); // killed before the XID
        assertThat(upToBig.get(upToBig.size() - 1).bytes().length).isGreaterThan(BIG_ROW);
        String name = s.currentFile();
        long written;
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAsRaft(store, upToBig);
            assertThat(store.lastFile().endPosition()).isEqualTo(committed);
            written = Files.size(binlogFile(dir, name));
            assertThat(written).isEqualTo(s.fileLength(name) - all.get(all.size() - 1).bytes().length);
        }

        try (BinlogStore store = reopenWithinHeap(dir)) {
            assertRecoveredTo(store, dir, name, committed, executed);
        }
    }

    @Test
    void recoveryIndexesCompleteTransactionsWithBigEventsWithoutReadingThemWhole() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        s.start();
        s.transaction(2, 100);
        String name = s.currentFile();
        Path[] stores = storedAndCopied(s); // the index as it was before the big transactions
        Path live = stores[0];
        Path snapshot = stores[1];
        int mark = s.eventCount();
        char[] sql = new char[(int) BinlogStore.MIN_PARTED_EVENT_BYTES + 1000];
        Arrays.fill(sql, ' ');
        s.ddl("ALTER TABLE t COMMENT 'big'" + new String(sql)); // GTID + a big QUERY: one transaction
        s.transaction(1, BIG_ROW);
        long end = s.position();
        try (BinlogStore store = BinlogStore.open(live, FAST)) {
            appendAsRaft(store, s.eventsFrom(mark));
            assertThat(store.lastFile().endPosition()).isEqualTo(end);
        }
        // Crash after the file was written but before the index recorded the two transactions.
        Files.copy(binlogFile(live, name), binlogFile(snapshot, name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        try (BinlogStore store = reopenWithinHeap(snapshot)) {
            assertRecoveredTo(store, snapshot, name, end, s.executed());
            // The tail continues from the recovered end.
            int next = s.eventCount();
            s.transaction(1, 10);
            appendAsRaft(store, s.eventsFrom(next));
            assertThat(store.lastFile().endPosition()).isEqualTo(s.position());
        }
        assertThat(Files.readAllBytes(binlogFile(snapshot, name))).isEqualTo(s.expectedFile(name));
    }

    @Test
    void recoveryTruncatesABigEventWhoseChecksumDoesNotMatch() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        s.start();
        s.transaction(1, 10);
        long committed = s.position();
        GtidSet executed = s.executed();
        String name = s.currentFile();
        Path[] stores = storedAndCopied(s);
        Path live = stores[0];
        Path snapshot = stores[1];
        int mark = s.eventCount();
        s.transaction(1, 1 << 20);
        appendAsRaft(live, s.eventsFrom(mark));
        byte[] file = Files.readAllBytes(binlogFile(live, name));
        long rowsAt = -1;
        for (PrimaryStream.StreamEvent e : s.eventsFrom(mark)) {
            if ((e.bytes()[BinlogEvent.TYPE_OFFSET] & 0xff) == EventType.WRITE_ROWS) {
                rowsAt = e.position();
            }
        }
        file[(int) rowsAt + 500_000] ^= 1; // inside the big WRITE_ROWS, which recovery checks streaming
        Files.write(binlogFile(snapshot, name), file);
        try (BinlogStore store = BinlogStore.open(snapshot, FAST)) {
            assertRecoveredTo(store, snapshot, name, committed, executed);
        }
    }

    @Test
    void aBigEventResentAtTheCommittedEndReplacesAnotherSendersUncommittedTail() throws IOException {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        s.start();
        s.transaction(1, 10);
        long committed = s.position();
        String name = s.currentFile();
        // What an old leader wrote past the committed end: a transaction without its XID, longer than the event below.
        PrimaryStream old = new PrimaryStream(SID, ChecksumType.CRC32);
        old.start();
        old.transaction(1, 10);
        int oldMark = old.eventCount();
        old.transaction(1, 400 << 10);
        List<PrimaryStream.StreamEvent> oldTail = old.eventsFrom(oldMark);
        // The new leader's stream: a big event that no GTID precedes (a pre-GTID server's DDL) at the committed end.
        char[] sql = new char[200 << 10];
        Arrays.fill(sql, ' ');
        String text = "ALTER TABLE t COMMENT 'x'" + new String(sql);
        long length = io.kingbus.binlog.TestEvents.query(PrimaryStream.DB, text, 0, ChecksumType.CRC32).length();
        BinlogEvent ddl = io.kingbus.binlog.TestEvents.query(PrimaryStream.DB, text, committed + length,
                ChecksumType.CRC32);
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAsRaft(store, s.events());
            appendAsRaft(store, oldTail.subList(0, oldTail.size() - 1));
            assertThat(Files.size(binlogFile(dir, name))).isGreaterThanOrEqualTo(committed + ddl.length());
            byte[] b = ddl.bytes();
            AppendResult r = store.appendPart(name, Arrays.copyOf(b, BinlogEvent.HEADER_LENGTH), 0, ByteBuffer.wrap(b),
                    9);
            assertThat(r.appended()).isEqualTo(1);
            assertThat(store.lastFile().endPosition()).isEqualTo(committed + b.length);
            byte[] stored = Files.readAllBytes(binlogFile(dir, name));
            assertThat(Arrays.copyOfRange(stored, (int) committed, stored.length)).isEqualTo(b);
        }
    }

    @Test
    void aBigPartIsWrittenThroughABoundedDirectBuffer() throws Exception {
        PrimaryStream s = new PrimaryStream(SID, ChecksumType.CRC32);
        s.start();
        s.transaction(1, 10);
        int mark = s.eventCount();
        s.transaction(1, BIG_ROW);
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElseThrow();
        try (BinlogStore store = BinlogStore.open(dir, FAST)) {
            appendAsRaft(store, s.events().subList(0, mark));
            AtomicLong grew = new AtomicLong();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            // A fresh thread: the JDK caches temporary direct buffers per thread until the thread ends.
            Thread t = new Thread(() -> {
                try {
                    long before = direct.getTotalCapacity();
                    for (PrimaryStream.StreamEvent e : s.eventsFrom(mark)) {
                        byte[] b = e.bytes();
                        if (b.length < BinlogStore.MIN_PARTED_EVENT_BYTES) {
                            store.append(e.file(), List.of(b), 1);
                        } else { // one part holding the whole event
                            store.appendPart(e.file(), Arrays.copyOf(b, BinlogEvent.HEADER_LENGTH), 0,
                                    ByteBuffer.wrap(b), 1);
                        }
                    }
                    grew.set(direct.getTotalCapacity() - before);
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            t.start();
            t.join();
            assertThat(failed.get()).isNull();
            assertThat(grew.get()).as("direct memory the write took").isLessThan(BIG_ROW / 2);
            assertThat(store.lastFile().endPosition()).isEqualTo(s.position());
        }
    }
}

package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.BinlogFormatException;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.FormatDescription;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.PreviousGtidsEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TransactionTracker;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The binlog store: a primary's binlog kept event for event in binlog-format files with the primary's
 * names and positions (so mysqlbinlog reads them), plus a RocksDB index.
 *
 * <p>One writer appends batches of events as a primary's dump stream delivers them; appends are
 * idempotent by position, so replayed batches and resent transactions are no-ops. Readers see only
 * complete transactions, tail the store without polling, and seek by GTID set or file:pos.
 *
 * <p>Crash safety: events are written to the file before the index records them; on open, the last file
 * is re-scanned from the indexed end, complete transactions are indexed, and a torn tail is truncated.
 */
public final class BinlogStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinlogStore.class);
    private static final long MASK32 = 0xffffffffL;
    private static final int WRITE_BUFFER = 1 << 20;

    private final Path binlogDir;
    private final StoreIndex index;
    private final StoreOptions options;
    private final Object writeLock = new Object();
    private final Object commitSignal = new Object();
    private final CopyOnWriteArrayList<StoredFile> files = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Runnable> commitListeners = new CopyOnWriteArrayList<>();
    private final Map<Integer, Integer> pins = new HashMap<>();

    // Writer state, guarded by writeLock.
    private GtidSet executed;
    private GtidSet purged;
    private StoredFile cursor;
    /** A file the current batch names that the store lacks: its FORMAT_DESCRIPTION at position 4 starts it. */
    private String announcedFile;
    private TransactionTracker tracker;
    /** An event stored in parts whose last part has not come yet; its bytes so far end the file (writtenEnd). */
    private PartialEvent partial;
    private long trxStart;
    private long recoveryTag;
    private final ByteBuffer pending = ByteBuffer.allocate(WRITE_BUFFER);
    private long pendingStart;
    private FileChannel writeChannel;
    private StoreIndex.Batch batch;
    private final StoreIndex.Batch appendBatch;
    private final List<StoredFile> dirtyFiles = new ArrayList<>();
    private boolean executedDirty;

    // Published state, read by readers without the write lock.
    private volatile GtidSet executedSnapshot;
    private volatile GtidSet purgedSnapshot;
    private volatile long commitVersion;
    private volatile boolean closed;

    /** One binlog file. Fields other than visibleEnd belong to the writer. */
    static final class StoredFile {
        final int sequence;
        final String name;
        final Path path;
        final long createdMillis;
        volatile long visibleEnd;
        long committedEnd;
        long writtenEnd;
        GtidSet previousGtids = GtidSet.empty();
        Gtid firstGtid;
        Gtid lastGtid;
        int checksumCode;
        long transactions;

        StoredFile(int sequence, String name, Path path, long createdMillis, long end) {
            this.sequence = sequence;
            this.name = name;
            this.path = path;
            this.createdMillis = createdMillis;
            this.visibleEnd = end;
            this.committedEnd = end;
            this.writtenEnd = end;
        }

        BinlogFileInfo info() {
            return new BinlogFileInfo(sequence, name, committedEnd, previousGtids.copy(), firstGtid, lastGtid,
                    createdMillis, checksumCode, transactions);
        }

        BinlogFileInfo publishedInfo() {
            synchronized (this) {
                return new BinlogFileInfo(sequence, name, visibleEnd, previousGtids.copy(), firstGtid, lastGtid,
                        createdMillis, checksumCode, transactions);
            }
        }
    }

    /**
     * The smallest event the store accepts in parts. A QUERY that long cannot be BEGIN, COMMIT or ROLLBACK (its status
     * block is at most 64 KiB, its database name 255 bytes), so its role is known without decoding it.
     */
    public static final long MIN_PARTED_EVENT_BYTES = 128 << 10;

    /** What the store knows of an event being stored in parts. */
    private static final class PartialEvent {
        final StoredFile file;
        final long start;
        final byte[] header;
        final long length;
        final ChecksumType checksum;
        final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        final byte[] trailer = new byte[4];
        long written;

        PartialEvent(StoredFile file, long start, byte[] header, long length, ChecksumType checksum) {
            this.file = file;
            this.start = start;
            this.header = header;
            this.length = length;
            this.checksum = checksum;
        }

        /** Feeds the part's bytes to the checksum: all but the last 4 bytes are covered, those are the CRC. */
        void digest(ByteBuffer part) {
            ByteBuffer b = part.duplicate();
            long covered = length - 4;
            long at = written;
            if (at < covered) {
                int n = (int) Math.min(b.remaining(), covered - at);
                ByteBuffer head = b.duplicate();
                head.limit(head.position() + n);
                crc.update(head);
                b.position(b.position() + n);
                at += n;
            }
            while (b.hasRemaining()) {
                trailer[(int) (at - covered)] = b.get();
                at++;
            }
        }

        boolean checksumMatches() {
            return checksum != ChecksumType.CRC32 || io.kingbus.binlog.Bytes.u32(trailer, 0) == crc.getValue();
        }
    }

    private BinlogStore(Path dir, StoreOptions options) throws IOException {
        this.options = options;
        this.binlogDir = dir.resolve("binlog");
        Files.createDirectories(binlogDir);
        Files.createDirectories(dir.resolve("index"));
        this.index = new StoreIndex(dir.resolve("index"));
        this.appendBatch = index.batch();
        try {
            this.executed = index.executed();
            this.purged = index.purged();
            this.recoveryTag = index.tag();
            recover();
        } catch (RuntimeException | IOException e) {
            index.close();
            throw e;
        }
        publish();
    }

    /** Opens (creating if needed) the store under {@code dir}, recovering from any crash. */
    public static BinlogStore open(Path dir, StoreOptions options) throws IOException {
        return new BinlogStore(dir, options);
    }

    // ---------------------------------------------------------------- recovery

    private void recover() throws IOException {
        List<BinlogFileInfo> indexed = index.files();
        List<String> onDisk;
        try (Stream<Path> s = Files.list(binlogDir)) {
            onDisk = new ArrayList<>(s.map(p -> p.getFileName().toString()).toList());
        }
        StoreIndex.Batch fix = index.batch();
        try {
            boolean prefix = true;
            boolean droppedPrefix = false;
            for (BinlogFileInfo info : indexed) {
                Path path = binlogDir.resolve(info.name());
                if (!onDisk.remove(info.name())) {
                    if (prefix) { // oldest files deleted outside the store: treat them as purged
                        log.warn("binlog file {} is missing from disk; treating it as purged", info.name());
                        fix.deleteFile(info.sequence());
                        fix.deleteTransactionsOf(info.sequence());
                        droppedPrefix = true;
                        continue;
                    }
                    throw new StoreException("binlog file " + path + " is missing but indexed; the store is damaged");
                }
                prefix = false;
                StoredFile f = new StoredFile(info.sequence(), info.name(), path, info.createdMillis(), info.endPosition());
                f.previousGtids = info.previousGtids();
                f.firstGtid = info.firstGtid();
                f.lastGtid = info.lastGtid();
                f.checksumCode = info.checksumCode();
                f.transactions = info.transactions();
                files.add(f);
            }
            if (droppedPrefix && !files.isEmpty()) { // what the dropped files held is purged now
                purged = files.get(0).previousGtids.copy();
                fix.putPurged(purged);
            }
            for (String stray : onDisk) { // created, never indexed: holds nothing acknowledged
                log.info("removing binlog file {} that the index never recorded", stray);
                Files.delete(binlogDir.resolve(stray));
            }
            index.write(fix, true);
        } finally {
            fix.close();
        }
        for (int i = 0; i < files.size() - 1; i++) {
            StoredFile f = files.get(i);
            long size = Files.size(f.path);
            if (size < f.committedEnd) {
                throw new StoreException("binlog file " + f.name + " is " + size + " bytes but " + f.committedEnd
                        + " are indexed; the store is damaged");
            }
        }
        if (!files.isEmpty()) {
            cursor = files.get(files.size() - 1);
            recoverTail(cursor);
            pendingStart = cursor.writtenEnd;
        }
    }

    /** The GTIDs the index holds for a file. */
    private GtidSet gtidsOf(int sequence) {
        GtidSet out = GtidSet.empty();
        for (StoreIndex.TrxRecord t : index.transactionsFrom(sequence, 0)) {
            if (t.gtid() != null) {
                out.add(t.gtid());
            }
        }
        return out;
    }

    /** Re-indexes what the last file holds past its indexed end and truncates a torn tail. */
    private void recoverTail(StoredFile f) throws IOException {
        long size = Files.size(f.path);
        long from = f.committedEnd;
        batch = index.batch();
        try {
            if (size < f.committedEnd) {
                log.warn("binlog file {} is {} bytes but {} are indexed (lost writes); re-indexing it from the start",
                        f.name, size, f.committedEnd);
                GtidSet lost = gtidsOf(f.sequence);
                batch.deleteTransactionsOf(f.sequence);
                executed = executed.subtract(lost);
                from = BinlogFileReader.MAGIC_LENGTH;
                f.committedEnd = from;
                f.firstGtid = null;
                f.lastGtid = null;
                f.transactions = 0;
            }
            tracker = new TransactionTracker(ChecksumType.ofCode(f.checksumCode));
            long good = from;
            int recovered = 0;
            String damage = null;
            try (FileChannel ch = FileChannel.open(f.path, StandardOpenOption.READ)) {
                if (size >= BinlogFileReader.MAGIC_LENGTH) {
                    BinlogFileReader r = BinlogFileReader.over(ch, f.name, size, from);
                    byte[] header;
                    while ((header = r.peekHeader()) != null) {
                        long at = r.position();
                        int type = header[BinlogEvent.TYPE_OFFSET] & 0xff;
                        long length = io.kingbus.binlog.Bytes.u32(header, BinlogEvent.LENGTH_OFFSET);
                        TransactionTracker.Step step;
                        if (storableInParts(type, length)) {
                            // As appendPart stores it: never whole in memory (up to 1 GiB), CRC streamed, role by type.
                            r.skipVerified();
                            step = tracker.acceptOpaque(type);
                            noteEvent(f, type, length, at, step);
                        } else {
                            PositionedEvent pe = r.next();
                            step = tracker.accept(pe.event());
                            noteEvent(f, pe.event(), at, step);
                        }
                        if (step.atBoundary()) {
                            good = at + length;
                            recovered++;
                        }
                    }
                } else {
                    damage = "no magic number";
                }
            } catch (BinlogFormatException e) {
                damage = e.getMessage();
            }
            f.committedEnd = good;
            f.writtenEnd = good;
            f.visibleEnd = good;
            tracker.reset();
            if (size > good || damage != null) {
                try (FileChannel ch = FileChannel.open(f.path, StandardOpenOption.WRITE)) {
                    if (size < BinlogFileReader.MAGIC_LENGTH) {
                        ch.write(ByteBuffer.wrap(BinlogFileReader.MAGIC), 0);
                    }
                    ch.truncate(good);
                    ch.force(true);
                }
                log.warn("binlog file {}: truncated torn tail at {} ({} bytes dropped){}", f.name, good,
                        Math.max(0, size - good), damage == null ? "" : ": " + damage);
            }
            if (recovered > 0) {
                log.info("binlog file {}: recovered {} complete units after indexed end {}, executed {}",
                        f.name, recovered, from, executed);
            }
            executed.addAll(f.previousGtids); // the file's own PREVIOUS_GTIDS may precede the indexed end
            batch.putFile(f.info());
            batch.putExecuted(executed);
            index.write(batch, true);
            dirtyFiles.clear();
            executedDirty = false;
        } finally {
            batch.close();
            batch = null;
        }
    }

    /**
     * True for the events {@link #appendPart} takes (by their header's type and length); recovery passes over them
     * without holding them whole, and a copy can stream them in parts.
     */
    public static boolean storableInParts(int type, long length) {
        return length >= MIN_PARTED_EVENT_BYTES && typeStorableInParts(type);
    }

    /** Types whose role does not need their body (see TransactionTracker#acceptOpaque); others must be decoded. */
    private static boolean typeStorableInParts(int type) {
        return !(type == EventType.FORMAT_DESCRIPTION || type == EventType.ROTATE || type == EventType.GTID
                || type == EventType.ANONYMOUS_GTID || type == EventType.PREVIOUS_GTIDS || EventType.isHeartbeat(type));
    }

    // ---------------------------------------------------------------- append

    /**
     * Appends events received from a primary's dump stream, in order.
     *
     * @param file   the binlog file the first event of the batch belongs to (the proposer tracks it from
     *               the rotate events); a name the store lacks starts a new file after the last one
     * @param events whole events, with the checksum the primary's files use; fake ROTATE and format-only
     *               FORMAT_DESCRIPTION events (log_pos 0) steer the position, heartbeats are ignored
     * @param tag    an opaque number the caller attaches (a raft index): {@link #recoveryTag()} returns the
     *               tag of the last batch that completed a transaction, from which re-applying is safe
     * @throws StoreConflictException when an event does not continue the stored stream; the events before
     *                                it are stored, the rest of the batch is not
     */
    public AppendResult append(String file, List<byte[]> events, long tag) {
        synchronized (writeLock) {
            beginBatch();
            int appended = 0;
            int skipped = 0;
            boolean committed = false;
            try {
                selectFile(file);
                for (byte[] raw : events) {
                    BinlogEvent event;
                    try {
                        event = BinlogEvent.of(raw);
                    } catch (BinlogFormatException e) {
                        throw new StoreConflictException("malformed event in batch: " + e.getMessage());
                    }
                    int outcome;
                    try {
                        outcome = appendOne(event);
                    } catch (BinlogFormatException | IllegalArgumentException e) {
                        // validated before anything is written: the store is unchanged by this event
                        throw new StoreConflictException("undecodable " + event.typeName() + " event in batch: "
                                + e.getMessage());
                    }
                    if (outcome == 0) {
                        skipped++;
                    } else {
                        appended++;
                        committed |= outcome == 2;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("writing binlog file " + (cursor == null ? "?" : cursor.name), e);
            } finally {
                endBatch(committed, tag);
            }
            return new AppendResult(appended, skipped, cursor == null ? null : cursor.name,
                    cursor == null ? 0 : cursor.committedEnd);
        }
    }

    /**
     * Appends one part of an event too big to pass whole (a raft entry holds at most ~64 MiB; MySQL writes events
     * up to 1 GiB). The part is written to the file at once; the event, and the transaction it completes, become
     * visible (and indexed) with its last part, never before. Idempotent by position like {@link #append}: a part
     * of an event already stored is skipped; the first part of an event restarts it when the event was being
     * stored already (a new leader resends it); a part that does not continue the event being stored is refused.
     *
     * @param file   the file the event belongs to (null: the current file); it must exist
     * @param header the event's 19-byte header (length and end position name the event)
     * @param offset where the part starts within the event; the part at 0 starts with the header itself
     * @param data   the part's bytes (read, not kept)
     * @param tag    as for {@link #append}: recorded when the last part completes a transaction
     * @throws StoreConflictException when the part does not continue the stored stream
     */
    public AppendResult appendPart(String file, byte[] header, long offset, ByteBuffer data, long tag) {
        synchronized (writeLock) {
            beginBatch();
            int appended = 0;
            int skipped = 0;
            boolean committed = false;
            try {
                selectFile(file);
                if (announcedFile != null) {
                    throw new StoreConflictException("a part of an event cannot start binlog file " + announcedFile
                            + ", which the store lacks");
                }
                int outcome = appendPartOf(header, offset, data);
                if (outcome == 0) {
                    skipped++;
                } else {
                    appended++;
                    committed = outcome == 2;
                }
            } catch (IOException e) {
                throw new UncheckedIOException("writing binlog file " + (cursor == null ? "?" : cursor.name), e);
            } finally {
                endBatch(committed, tag);
            }
            return new AppendResult(appended, skipped, cursor == null ? null : cursor.name,
                    cursor == null ? 0 : cursor.committedEnd);
        }
    }

    /** Starts an append on the reused index batch (its buffer has grown to a batch's size already). Holds writeLock. */
    private void beginBatch() {
        ensureOpen();
        batch = appendBatch;
        batch.clear();
    }

    /** Ends an append: records {@code tag} when a transaction was completed, commits the index batch. Holds writeLock. */
    private void endBatch(boolean committed, long tag) {
        try {
            if (committed) {
                recoveryTag = tag;
                batch.putTag(tag);
            }
            commitBatch();
        } finally {
            batch.clear();
            batch = null;
        }
    }

    private int appendPartOf(byte[] header, long offset, ByteBuffer data) throws IOException {
        if (header.length != BinlogEvent.HEADER_LENGTH) {
            throw new StoreConflictException("an event part's header has " + header.length + " bytes");
        }
        int type = header[BinlogEvent.TYPE_OFFSET] & 0xff;
        String typeName = EventType.name(type);
        long length = io.kingbus.binlog.Bytes.u32(header, BinlogEvent.LENGTH_OFFSET);
        long logPos = io.kingbus.binlog.Bytes.u32(header, BinlogEvent.LOG_POS_OFFSET);
        int n = data.remaining();
        if (length < MIN_PARTED_EVENT_BYTES || offset < 0 || offset + n > length || n == 0) {
            throw new StoreConflictException("part of " + n + " bytes at " + offset + " of a " + typeName + " event of "
                    + length + " bytes: events under " + MIN_PARTED_EVENT_BYTES + " bytes go whole, parts lie "
                    + "inside their event and are not empty");
        }
        if (logPos == 0) {
            throw new StoreConflictException(typeName + " event part without a position (log_pos 0)");
        }
        StoredFile f = cursor;
        if (f == null) {
            throw new StoreConflictException("the store is empty and the stream did not name its first file");
        }
        long position = positionOf(logPos, length, f);
        if (position >= BinlogFileReader.MAGIC_LENGTH && position + length <= f.committedEnd) {
            return 0; // the event is stored (a replay, a stale leader's part, or a copy from a peer)
        }
        if (f != last()) {
            throw new StoreConflictException("event part " + typeName + " at " + f.name + ":" + position
                    + " would extend " + f.name + ", which is complete at " + f.committedEnd);
        }
        if (offset == 0 && !java.util.Arrays.equals(header, 0, header.length, partHeader(data), 0, header.length)) {
            throw new StoreConflictException("the first part of a " + typeName + " event does not start with "
                    + "its header");
        }
        if (offset == 0 && position == f.committedEnd && f.writtenEnd > f.committedEnd
                && (partial == null || partial.start != position)) {
            // Before the check below, as append() does: what is written past committedEnd is another sender's.
            discardPartial(f, "transaction resent from its start");
        }
        if (partial == null && position >= f.committedEnd && position + length <= f.writtenEnd) {
            return 0; // the whole event is written; its transaction is not complete yet
        }
        if (offset == 0) {
            if (partial != null && partial.start == position) {
                truncateWritten(f, position, "its first part was sent again");
            }
            if (partial != null || position != f.writtenEnd) {
                throw new StoreConflictException("event " + typeName + " of " + length + " bytes with end_log_pos "
                        + logPos + " does not continue " + f.name + ", which ends at " + f.writtenEnd
                        + (partial == null ? "" : " inside an event of " + partial.length + " bytes stored in parts"));
            }
            if (position == BinlogFileReader.MAGIC_LENGTH) {
                throw new StoreConflictException(f.name + " must begin with FORMAT_DESCRIPTION, got " + typeName);
            }
            if (!typeStorableInParts(type)) {
                throw new StoreConflictException("a " + typeName + " event of " + length + " bytes cannot be stored "
                        + "in parts");
            }
            partial = new PartialEvent(f, position, header.clone(), length, tracker.checksum());
        } else {
            PartialEvent p = partial;
            if (p == null || p.file != f || p.start != position || p.length != length
                    || !java.util.Arrays.equals(p.header, header)) {
                throw new StoreConflictException("part at " + offset + " of a " + typeName + " event at " + f.name
                        + ":" + position + " whose first part the store does not hold"
                        + (p == null ? "" : " (it holds one at " + p.start + ")"));
            }
            if (offset < p.written) {
                return 0; // written already: parts are named by position
            }
            if (offset > p.written) {
                throw new StoreConflictException("part at " + offset + " of a " + typeName + " event at " + f.name
                        + ":" + position + " leaves a gap after the " + p.written + " bytes stored");
            }
        }
        PartialEvent p = partial;
        p.digest(data);
        flushWrites();
        writeFully(data.duplicate(), pendingStart);
        pendingStart += n;
        p.written += n;
        f.writtenEnd = position + p.written;
        if (p.written < p.length) {
            return 1;
        }
        partial = null;
        if (!p.checksumMatches()) {
            truncateWritten(f, position, "checksum mismatch");
            throw new StoreConflictException("checksum mismatch in the " + typeName + " event of " + length
                    + " bytes stored in parts at " + f.name + ":" + position);
        }
        TransactionTracker.Step step = tracker.acceptOpaque(type);
        noteEvent(f, type, length, position, step);
        return step.atBoundary() ? 2 : 1;
    }

    private static byte[] partHeader(ByteBuffer data) {
        byte[] h = new byte[BinlogEvent.HEADER_LENGTH];
        if (data.remaining() >= h.length) {
            data.duplicate().get(h);
        }
        return h;
    }

    /** Convenience for a batch that starts with a fake rotate naming its file. */
    public AppendResult append(List<byte[]> events, long tag) {
        return append(null, events, tag);
    }

    private void selectFile(String file) {
        announcedFile = null;
        if (file == null || (cursor != null && cursor.name.equals(file))) {
            return;
        }
        StoredFile known = byName(file);
        if (known != null) {
            cursor = known;
        } else {
            announcedFile = file; // started by its first event, if that is the FORMAT_DESCRIPTION at 4
        }
    }

    /** Returns 0 when skipped, 1 when written, 2 when written and a transaction or unit completed. */
    private int appendOne(BinlogEvent event) throws IOException {
        int type = event.type();
        if (EventType.isHeartbeat(type)) {
            return 0;
        }
        if (event.logPos() == 0) {
            if (type == EventType.ROTATE) {
                ChecksumType cs = event.checksumMatches(ChecksumType.CRC32) ? ChecksumType.CRC32 : ChecksumType.OFF;
                RotateEvent rotate = RotateEvent.decode(event, cs);
                announcedFile = null;
                StoredFile known = byName(rotate.nextFile());
                if (known != null) {
                    cursor = known;
                } else if (rotate.position() != BinlogFileReader.MAGIC_LENGTH) {
                    throw new StoreConflictException("rotate to unknown file " + rotate.nextFile() + " at position "
                            + rotate.position() + ": a new file must start at position 4");
                } else {
                    startNewFile(rotate.nextFile());
                }
                return 0;
            }
            if (type == EventType.FORMAT_DESCRIPTION) {
                return 0; // format-only copy sent when a dump starts mid-file
            }
            throw new StoreConflictException(event.typeName() + " event without a position (log_pos 0)");
        }
        if (announcedFile != null) {
            String name = announcedFile;
            if (type != EventType.FORMAT_DESCRIPTION || event.logPos() != BinlogFileReader.MAGIC_LENGTH + event.length()
                    || !event.checksumMatches(FormatDescription.checksumOf(event))) {
                throw new StoreConflictException("event " + event.typeName() + " with end_log_pos " + event.logPos()
                        + " does not start binlog file " + name + ", which the store lacks");
            }
            announcedFile = null;
            startNewFile(name);
        }
        StoredFile f = cursor;
        if (f == null) {
            throw new StoreConflictException("the store is empty and the stream did not name its first file");
        }
        long length = event.length();
        long position = positionOf(event.logPos(), length, f);
        if (position >= BinlogFileReader.MAGIC_LENGTH && position + length <= f.committedEnd) {
            if (type == EventType.ROTATE && !event.isArtificial()) {
                StoredFile next = next(f);
                if (next != null) {
                    cursor = next; // replaying across a rotation
                } else if (f == last() && position + length == f.committedEnd) {
                    // The stored ROTATE ends the last file, but the file it started was lost in a crash before it
                    // was indexed (or recovery indexed the ROTATE): start it now, as storing the ROTATE does.
                    startNewFile(RotateEvent.decode(event, tracker.checksum()).nextFile());
                }
            }
            return 0;
        }
        if (f != last()) {
            throw new StoreConflictException("event " + event.typeName() + " at " + f.name + ":" + position
                    + " would extend " + f.name + ", which is complete at " + f.committedEnd);
        }
        if (position == f.committedEnd && f.writtenEnd > f.committedEnd) {
            discardPartial(f, "transaction resent from its start");
        }
        if (partial != null) {
            throw new StoreConflictException("event " + event.typeName() + " with end_log_pos " + event.logPos()
                    + " comes before the rest of the event of " + partial.length + " bytes stored in parts at "
                    + f.name + ":" + partial.start);
        }
        if (position != f.writtenEnd) {
            // Name the header's own end_log_pos: the wrap-around arithmetic above only means something for
            // positions that exist in the file.
            throw new StoreConflictException("event " + event.typeName() + " of " + length + " bytes with end_log_pos "
                    + event.logPos() + " does not continue " + f.name + ", which ends at " + f.writtenEnd);
        }
        if (position == BinlogFileReader.MAGIC_LENGTH && type != EventType.FORMAT_DESCRIPTION) {
            throw new StoreConflictException(f.name + " must begin with FORMAT_DESCRIPTION, got " + event.typeName());
        }
        ChecksumType checksum = event.checksumIn(tracker.checksum());
        if (!event.checksumMatches(checksum)) {
            throw new StoreConflictException("checksum mismatch in " + event.typeName() + " event for " + f.name
                    + ":" + position);
        }
        TransactionTracker.Step step;
        RotateEvent rotate = null;
        try {
            // Decode what noteEvent needs before anything changes (a bad PREVIOUS_GTIDS or ROTATE must not be
            // written). GTID events are decoded once, by the tracker, before it changes its state.
            if (type == EventType.PREVIOUS_GTIDS) {
                PreviousGtidsEvent.decode(event, checksum);
            } else if (type == EventType.ROTATE) {
                rotate = RotateEvent.decode(event, checksum);
                checkNextFileName(rotate.nextFile(), f);
            }
            step = tracker.accept(event);
        } catch (BinlogFormatException | IllegalArgumentException e) {
            throw new StoreConflictException("undecodable " + event.typeName() + " event for " + f.name + ":"
                    + position + ": " + e.getMessage());
        }
        write(event.bytes());
        noteEvent(f, event, position, step);
        if (rotate != null && step.atBoundary()) {
            startNewFile(rotate.nextFile());
        }
        return step.atBoundary() ? 2 : 1;
    }

    /** Updates file metadata and the pending index for one stored event. */
    private void noteEvent(StoredFile f, BinlogEvent event, long position, TransactionTracker.Step step) {
        if (step.atBoundary() && event.type() == EventType.FORMAT_DESCRIPTION) {
            f.checksumCode = FormatDescription.checksumOf(event).code();
        } else if (step.atBoundary() && event.type() == EventType.PREVIOUS_GTIDS) {
            GtidSet previous = PreviousGtidsEvent.decode(event, ChecksumType.ofCode(f.checksumCode)).gtids();
            synchronized (f) {
                f.previousGtids = previous;
            }
            executed.addAll(previous);
            executedDirty = true;
            if (sequenceIsFirst(f)) {
                purged = previous.copy(); // nothing before the first file is stored
                batch.putPurged(purged);
            }
        }
        noteEvent(f, event.type(), event.length(), position, step);
    }

    /** The same for an event known by its type and length (the decoding ones are handled above). */
    private void noteEvent(StoredFile f, int type, long length, long position, TransactionTracker.Step step) {
        long end = position + length;
        f.writtenEnd = end;
        if (step.role() == TransactionTracker.Role.START) {
            trxStart = position;
        }
        if (!step.atBoundary()) {
            return;
        }
        if (step.role() == TransactionTracker.Role.END) {
            Gtid gtid = step.completedGtid();
            batch.putTransaction(f.sequence, trxStart, end, gtid);
            synchronized (f) {
                f.transactions++;
                if (gtid != null) {
                    executed.add(gtid);
                    if (f.firstGtid == null) {
                        f.firstGtid = gtid;
                    }
                    f.lastGtid = gtid;
                }
            }
            executedDirty = true;
        }
        f.committedEnd = end;
        if (!dirtyFiles.contains(f)) {
            dirtyFiles.add(f);
        }
    }

    private boolean sequenceIsFirst(StoredFile f) {
        return !files.isEmpty() && files.get(0) == f;
    }

    private long positionOf(long logPos, long length, StoredFile f) {
        if (((f.writtenEnd + length) & MASK32) == logPos) {
            return f.writtenEnd;
        }
        // The header's 32-bit log_pos wraps in files over 4 GiB: take the latest offset it can denote.
        long low = (logPos - length) & MASK32;
        long candidate = (f.writtenEnd & ~MASK32) | low;
        if (candidate > f.writtenEnd) {
            candidate -= 1L << 32;
        }
        return candidate;
    }

    private static void checkNextFileName(String name, StoredFile previous) {
        if (name == null || name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")
                || name.indexOf('\0') >= 0 || name.length() > 255) {
            throw new StoreConflictException("unusable binlog file name '" + name + "'");
        }
        if (previous != null && !precedes(previous.name, name)) {
            throw new StoreConflictException("binlog file " + name + " would come after " + previous.name
                    + " but does not sort after it (the same file, purged or foreign)");
        }
    }

    private void startNewFile(String name) throws IOException {
        StoredFile previous = last();
        checkNextFileName(name, previous);
        if (previous != null && previous.writtenEnd > previous.committedEnd) {
            discardPartial(previous, "rotation to " + name + " abandoned it");
        }
        commitBatch(); // the previous file is final in the index before the new one exists
        int sequence = previous == null ? 1 : previous.sequence + 1;
        Path path = binlogDir.resolve(name);
        closeWriteChannel();
        writeChannel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
        writeChannel.write(ByteBuffer.wrap(BinlogFileReader.MAGIC), 0);
        StoredFile f = new StoredFile(sequence, name, path, System.currentTimeMillis(), BinlogFileReader.MAGIC_LENGTH);
        f.checksumCode = previous == null ? 0 : previous.checksumCode;
        // Until its PREVIOUS_GTIDS is stored, the file's previous GTIDs are what the store has executed when it
        // starts (what that event holds in a contiguous stream). Left empty, the file would look like a start for
        // every GTID reader (skipping all earlier files) and a purge up to it would empty the purged set.
        f.previousGtids = executed.copy();
        files.add(f);
        pendingStart = BinlogFileReader.MAGIC_LENGTH;
        cursor = f;
        tracker = new TransactionTracker(ChecksumType.ofCode(f.checksumCode));
        batch.putFile(f.info());
        log.info("binlog file {} started (store file #{})", name, sequence);
    }

    private void discardPartial(StoredFile f, String why) throws IOException {
        flushWrites();
        channel().truncate(f.committedEnd);
        log.info("binlog file {}: discarded {} bytes of an incomplete transaction at {} ({})", f.name,
                f.writtenEnd - f.committedEnd, f.committedEnd, why);
        f.writtenEnd = f.committedEnd;
        pendingStart = f.committedEnd;
        partial = null;
        tracker.reset();
    }

    /** Drops the bytes of the event being stored in parts (the transaction's earlier events stay). */
    private void truncateWritten(StoredFile f, long to, String why) throws IOException {
        flushWrites();
        channel().truncate(to);
        log.info("binlog file {}: discarded {} bytes of an event stored in parts at {} ({})", f.name,
                f.writtenEnd - to, to, why);
        f.writtenEnd = to;
        pendingStart = to;
        partial = null;
    }

    private void write(byte[] bytes) throws IOException {
        if (pending.position() + bytes.length > pending.capacity()) {
            flushWrites();
        }
        if (bytes.length > pending.capacity()) {
            writeFully(ByteBuffer.wrap(bytes), pendingStart);
            pendingStart += bytes.length;
        } else {
            pending.put(bytes);
        }
    }

    private void flushWrites() throws IOException {
        if (pending.position() == 0) {
            return;
        }
        pending.flip();
        int n = pending.remaining();
        writeFully(pending, pendingStart);
        pendingStart += n;
        pending.clear();
    }

    private void writeFully(ByteBuffer buf, long at) throws IOException {
        FileChannel ch = channel();
        long p = at;
        while (buf.hasRemaining()) {
            // At most IO_SLICE per call: the JDK copies a heap buffer through a temporary direct one that large.
            ByteBuffer slice = buf.duplicate();
            slice.limit(slice.position() + Math.min(slice.remaining(), BinlogFileReader.IO_SLICE));
            int n = ch.write(slice, p);
            buf.position(buf.position() + n);
            p += n;
        }
    }

    private FileChannel channel() throws IOException {
        if (writeChannel == null) {
            writeChannel = FileChannel.open(last().path, StandardOpenOption.WRITE, StandardOpenOption.READ);
        }
        return writeChannel;
    }

    private void closeWriteChannel() throws IOException {
        if (writeChannel != null) {
            flushWrites();
            writeChannel.close();
            writeChannel = null;
        }
    }

    /** Makes everything written so far durable (as configured) and visible to readers. */
    private void commitBatch() {
        try {
            flushWrites();
            if (options.fsync() && writeChannel != null) {
                writeChannel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing binlog file " + (cursor == null ? "?" : cursor.name), e);
        }
        // File metadata and the executed set are written once per batch, not once per transaction.
        for (StoredFile f : dirtyFiles) {
            batch.putFile(f.info());
        }
        dirtyFiles.clear();
        if (executedDirty) {
            batch.putExecuted(executed);
            executedDirty = false;
        }
        index.write(batch, options.fsync());
        batch.clear();
        publish();
    }

    private void publish() {
        for (StoredFile f : files) {
            if (f.visibleEnd != f.committedEnd) {
                synchronized (f) {
                    f.visibleEnd = f.committedEnd;
                }
            }
        }
        executedSnapshot = executed.copy();
        purgedSnapshot = purged.copy();
        synchronized (commitSignal) {
            commitVersion++;
            commitSignal.notifyAll();
        }
        for (Runnable listener : commitListeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("commit listener failed: {}", e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- queries

    /** GTIDs of every complete transaction stored, plus those before the first stored file. */
    public GtidSet executedGtids() {
        return executedSnapshot.copy();
    }

    /** GTIDs before the first stored file: no longer (or never) available here. */
    public GtidSet purgedGtids() {
        return purgedSnapshot.copy();
    }

    /** Re-applying batches from this tag on (inclusive) after a restart restores everything. -1 if none. */
    public long recoveryTag() {
        synchronized (writeLock) {
            return recoveryTag;
        }
    }

    public List<BinlogFileInfo> files() {
        List<BinlogFileInfo> out = new ArrayList<>();
        for (StoredFile f : files) {
            out.add(f.publishedInfo());
        }
        return out;
    }

    /** The visible end: last file and the end of its last complete transaction, or null when empty. */
    public BinlogFileInfo lastFile() {
        StoredFile f = last();
        return f == null ? null : f.publishedInfo();
    }

    /** Bytes stored (visible), across all files. */
    public long sizeBytes() {
        long total = 0;
        for (StoredFile f : files) {
            total += f.visibleEnd;
        }
        return total;
    }

    /**
     * Where a GTID's transaction is stored, or null. Found as MySQL finds it: in the last file whose PREVIOUS_GTIDS
     * lack it, by a scan of that file's transaction index (for tests and tools, not the serving path). A newest file
     * whose PREVIOUS_GTIDS are not stored yet is looked through, not taken for the answer.
     */
    public StoredPosition locate(Gtid gtid) {
        ensureOpen();
        List<StoredFile> all = new ArrayList<>(files);
        for (int i = all.size() - 1; i >= 0; i--) {
            StoredFile f = all.get(i);
            GtidSet previous;
            synchronized (f) {
                previous = f.previousGtids;
            }
            if (previous.contains(gtid)) {
                continue; // an earlier file has it, if any does
            }
            StoreIndex.Location l = index.find(f.sequence, gtid);
            if (l != null) {
                return l.end() > f.visibleEnd ? null : new StoredPosition(f.name, l.start());
            }
            if (!previous.isEmpty()) {
                return null; // had an earlier file stored it, these PREVIOUS_GTIDS would contain it
            }
        }
        return null;
    }

    /** Calls the listener (on the writer's thread; it must not block) after every batch becomes visible. */
    public void addCommitListener(Runnable listener) {
        commitListeners.add(listener);
    }

    public void removeCommitListener(Runnable listener) {
        commitListeners.remove(listener);
    }

    // ---------------------------------------------------------------- readers

    /** Reads from file:pos (an event boundary; position 4 starts with the FORMAT_DESCRIPTION). */
    public BinlogReader openReader(String file, long position) throws IOException {
        StoredFile f;
        synchronized (writeLock) {
            ensureOpen();
            f = byName(file);
            if (f == null) {
                StoredFile first = files.isEmpty() ? null : files.get(0);
                if (first != null && precedes(file, first.name)) {
                    throw new PurgedException("binlog file " + file + " was purged; the oldest stored is " + first.name);
                }
                throw new StoreException("could not find binlog file " + file);
            }
            if (position < BinlogFileReader.MAGIC_LENGTH || position > f.visibleEnd) {
                throw new StoreException("position " + position + " is outside " + file + " (4.." + f.visibleEnd + ")");
            }
            pin(f);
        }
        try {
            checkBoundary(f, position);
            return new BinlogReader(this, f, position, null);
        } catch (IOException | RuntimeException e) {
            unpin(f);
            throw e;
        }
    }

    /**
     * Reads from the first file a reader with {@code have} needs (the latest whose PREVIOUS_GTIDS ⊆ have,
     * as MySQL chooses), skipping the transactions {@code have} contains.
     */
    public BinlogReader openReader(GtidSet have) throws IOException {
        StoredFile start = null;
        synchronized (writeLock) {
            ensureOpen();
            if (!have.containsAll(purged)) {
                throw new PurgedException("the reader's GTID set " + have + " lacks purged GTIDs "
                        + purged.subtract(have));
            }
            for (int i = files.size() - 1; i >= 0; i--) {
                if (have.containsAll(files.get(i).previousGtids)) {
                    start = files.get(i);
                    break;
                }
            }
            if (start == null) {
                if (files.isEmpty()) {
                    throw new StoreException("the store is empty");
                }
                start = files.get(0);
            }
            pin(start);
        }
        return new BinlogReader(this, start, BinlogFileReader.MAGIC_LENGTH, have.copy());
    }

    /** A position must start an event: check it against the transaction index and the event headers. */
    private void checkBoundary(StoredFile f, long position) throws IOException {
        if (position == BinlogFileReader.MAGIC_LENGTH || position == f.visibleEnd) {
            return;
        }
        StoreIndex.TrxRecord trx = index.transactionAtOrBefore(f.sequence, position);
        if (trx != null && (trx.start() == position || trx.end() == position)) {
            return;
        }
        long walk = trx != null && position < trx.end() ? trx.start()
                : trx != null ? trx.end() : BinlogFileReader.MAGIC_LENGTH;
        try (FileChannel ch = FileChannel.open(f.path, StandardOpenOption.READ)) {
            BinlogFileReader r = BinlogFileReader.over(ch, f.name, f.visibleEnd, walk);
            byte[] header;
            while (r.position() < position && (header = r.peekHeader()) != null) {
                if (storableInParts(header[BinlogEvent.TYPE_OFFSET] & 0xff,
                        io.kingbus.binlog.Bytes.u32(header, BinlogEvent.LENGTH_OFFSET))) {
                    r.skipVerified(); // a big event is not read whole to find the boundary after it
                } else {
                    r.next();
                }
            }
            if (r.position() != position) {
                throw new StoreException("position " + position + " in " + f.name + " is not the start of an event");
            }
        } catch (BinlogFormatException e) {
            throw new StoreCorruptionException(e.getMessage(), e);
        }
    }

    /** See {@link StoreIndex#containedRun}; for {@link BinlogChunkReader}. */
    long[] containedRun(StoredFile f, long from, GtidSet have, int limit) {
        ensureOpen(); // the index must not be used once closed (a closed RocksDB handle is not checked in Java)
        return index.containedRun(f.sequence, from, f.visibleEnd, have, limit);
    }

    StoredFile next(StoredFile f) {
        int i = files.indexOf(f);
        return i >= 0 && i + 1 < files.size() ? files.get(i + 1) : null;
    }

    boolean isPurged(StoredFile f) {
        return !files.contains(f);
    }

    boolean isClosed() {
        return closed;
    }

    long commitVersion() {
        return commitVersion;
    }

    /** Waits until a batch after {@code seenVersion} is visible, or the timeout passes. */
    boolean awaitCommit(long seenVersion, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (commitSignal) {
            while (commitVersion == seenVersion && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(commitSignal, left);
            }
        }
        return true;
    }

    void pin(StoredFile f) {
        synchronized (pins) {
            pins.merge(f.sequence, 1, Integer::sum);
        }
    }

    void unpin(StoredFile f) {
        synchronized (pins) {
            pins.computeIfPresent(f.sequence, (k, v) -> v == 1 ? null : v - 1);
        }
    }

    // ---------------------------------------------------------------- retention

    /**
     * Purges whole files from the oldest on while the store is over its size limit or a file is older than
     * the age limit. Never the last file, nor a file a reader uses (or any file after it).
     *
     * @return the names of the purged files
     */
    public List<String> purge() throws IOException {
        return purge(options.retainBytes(), options.retainDuration() == null ? 0
                : System.currentTimeMillis() - options.retainDuration().toMillis());
    }

    /** Purges as {@link #purge()} does, with explicit limits (0 means no limit). */
    public List<String> purge(long retainBytes, long olderThanMillis) throws IOException {
        List<String> purgedNames = new ArrayList<>();
        synchronized (writeLock) {
            ensureOpen();
            long total = sizeBytes();
            while (files.size() > 1) {
                StoredFile oldest = files.get(0);
                boolean tooBig = retainBytes > 0 && total > retainBytes;
                boolean tooOld = olderThanMillis > 0 && oldest.createdMillis < olderThanMillis;
                if (!tooBig && !tooOld) {
                    break;
                }
                synchronized (pins) {
                    if (pins.containsKey(oldest.sequence)) {
                        log.info("binlog file {} not purged: a reader is using it", oldest.name);
                        break;
                    }
                    files.remove(0);
                }
                StoredFile newFirst = files.get(0);
                purged = newFirst.previousGtids.copy();
                StoreIndex.Batch b = index.batch();
                try {
                    b.deleteFile(oldest.sequence);
                    b.deleteTransactionsOf(oldest.sequence);
                    b.putPurged(purged);
                    index.write(b, true);
                } finally {
                    b.close();
                }
                Files.deleteIfExists(oldest.path);
                total -= oldest.visibleEnd;
                purgedNames.add(oldest.name);
                log.info("purged binlog file {} ({} bytes); purged GTIDs now {}", oldest.name, oldest.visibleEnd, purged);
            }
            purgedSnapshot = purged.copy();
        }
        return purgedNames;
    }

    // ---------------------------------------------------------------- helpers

    private StoredFile last() {
        return files.isEmpty() ? null : files.get(files.size() - 1);
    }

    private StoredFile byName(String name) {
        for (int i = files.size() - 1; i >= 0; i--) {
            if (files.get(i).name.equals(name)) {
                return files.get(i);
            }
        }
        return null;
    }

    /** MySQL names files base.NNNNNN; a shorter number or earlier text means an earlier file. */
    private static boolean precedes(String a, String b) {
        return a.length() != b.length() ? a.length() < b.length() : a.compareTo(b) < 0;
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreException("the binlog store is closed");
        }
    }

    /** fsyncs the current file and the index, whatever the fsync option says. */
    public void sync() throws IOException {
        synchronized (writeLock) {
            ensureOpen();
            flushWrites();
            if (writeChannel != null) {
                writeChannel.force(false);
            }
            index.flush();
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                closeWriteChannel();
            } finally {
                index.close();
                synchronized (commitSignal) {
                    commitSignal.notifyAll();
                }
            }
        }
    }
}

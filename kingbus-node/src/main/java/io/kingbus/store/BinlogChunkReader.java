package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.gtid.GtidSet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;

/**
 * Reads the committed bytes of the stored files as they are, many events per positional read, for serving them
 * unchanged (the binlog server). Unlike {@link BinlogReader} it makes no object per event and does not verify
 * checksums again: the store verified every event when it appended it, and MySQL's own dump thread does not re-verify
 * either (unless master_verify_checksum is on); the replica checks them on receipt. What it does check, for every
 * event it returns, is the framing — a sane length and the end_log_pos the store wrote — so a file truncated or
 * damaged under the store is reported (file and position named) instead of served as garbage.
 *
 * <p>It never returns bytes past the store's committed (visible) end, which lies on a transaction boundary, and
 * returns whole events only. At the committed end of a file that has a successor it moves on to it (position 4: the
 * FORMAT_DESCRIPTION comes first). Not thread-safe; one per consumer. Close it to release its file.
 */
public final class BinlogChunkReader implements AutoCloseable {
    private static final long MASK32 = 0xffffffffL;

    private final BinlogStore store;
    private BinlogStore.StoredFile file;
    private FileChannel channel;
    private long position;
    private boolean closed;
    /** Bytes read from the files so far (what a caller skipping by the index saves shows here). */
    private long bytesRead;
    /** The length of the event the last read returned as too large ({@code -length}), or 0. */
    private long tooLarge;

    /** Takes over a pinned file and (when non-null) an open channel on it. */
    BinlogChunkReader(BinlogStore store, BinlogStore.StoredFile file, FileChannel channel, long position)
            throws IOException {
        this.store = store;
        this.file = file;
        this.channel = channel != null ? channel : FileChannel.open(file.path, StandardOpenOption.READ);
        this.position = position;
    }

    /** The file the next bytes come from (the file of the last {@link #read}'s bytes until the next read). */
    public String file() {
        return file.name;
    }

    /** The position of the next event in {@link #file()}. */
    public long position() {
        return position;
    }

    /** Bytes read from the files so far, by {@link #read}. */
    public long bytesRead() {
        return bytesRead;
    }

    /**
     * The next run of back-to-back transactions in the current file, from {@link #position()} on, whose GTIDs
     * {@code have} contains, as the store's transaction index says: {@code {start, end, transactions}}, within what
     * is committed. {@code {p, p, 0}} when the index was scanned up to the transaction start p without finding one
     * (after {@code limit} transactions the set lacks), {@code {Long.MAX_VALUE, Long.MAX_VALUE, 0}} when the rest of
     * the file has none. Events outside transactions are never in a run.
     */
    public long[] containedRun(GtidSet have, int limit) {
        if (closed) {
            throw new StoreException("the binlog reader is closed");
        }
        return store.containedRun(file, position, have, limit);
    }

    /**
     * Moves forward in the current file to {@code to}, without reading: the end of a run {@link #containedRun}
     * returned (a transaction boundary, committed).
     */
    public void seek(long to) {
        if (to < position || to > file.visibleEnd) {
            throw new IllegalArgumentException("cannot seek from " + position + " to " + to + " in " + file.name
                    + " (committed up to " + file.visibleEnd + ")");
        }
        position = to;
        tooLarge = 0;
    }

    /**
     * Moves past the event the last {@link #read} returned as too large for its buffer, without reading it (its header
     * was checked): the caller sends it from the file itself ({@link #openFile}).
     */
    public void skipTooLarge() {
        if (tooLarge == 0) {
            throw new IllegalStateException("the last read did not return an event too large for its buffer");
        }
        position += tooLarge;
        tooLarge = 0;
    }

    /** A new channel on the current file, the caller's to close (to send committed bytes from it directly). */
    public FileChannel openFile() throws IOException {
        if (closed) {
            throw new StoreException("the binlog reader is closed");
        }
        return FileChannel.open(file.path, StandardOpenOption.READ);
    }

    /**
     * Committed bytes of the current file not read yet, after moving on to the next file when the current one is read
     * to its committed end and has a successor; 0 when nothing more is committed now.
     */
    public long advance() throws IOException {
        if (position >= file.visibleEnd) {
            moveToNextFile();
        }
        return Math.max(0, file.visibleEnd - position);
    }

    /**
     * Reads whole committed events from {@link #position()} into {@code dst} (at its position, up to its limit; its
     * position advances by what was read). First moves to the next file when the current one is read to its committed
     * end and has a successor; the bytes of one call always come from one file. An event of {@code aloneFrom} bytes or
     * more comes alone (the reads stop before it, and it is the only event of the next read), so that a caller can
     * give it a buffer of its own.
     *
     * @return the bytes read, a positive number of whole events; 0 when nothing more is committed now; or
     *         {@code -length} when the next event (of that length) is larger than {@code dst.remaining()}: call again
     *         with a buffer that large
     * @throws StoreCorruptionException when the file is shorter than committed or an event's framing is impossible
     */
    public int read(ByteBuffer dst, int aloneFrom) throws IOException {
        if (closed) {
            throw new StoreException("the binlog reader is closed");
        }
        tooLarge = 0;
        long end = file.visibleEnd;
        if (position >= end && !moveToNextFile()) {
            return 0;
        }
        end = file.visibleEnd;
        long want = Math.min(dst.remaining(), end - position);
        if (want <= 0) {
            return 0;
        }
        int start = dst.position();
        int n = (int) want;
        ByteBuffer into = dst.duplicate();
        into.limit(start + n);
        long at = position;
        while (into.hasRemaining()) {
            int r = channel.read(into, at);
            if (r < 0) {
                throw new StoreCorruptionException("binlog file " + file.name + " ends at " + at + " but "
                        + end + " bytes are committed: the file was truncated outside the store", null);
            }
            at += r;
        }
        bytesRead += n;
        // walk the event headers: keep whole events only, and check each one's framing
        ByteBuffer le = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int o = 0;
        while (o + BinlogEvent.HEADER_LENGTH <= n) {
            long eventPos = position + o;
            long length = le.getInt(start + o + BinlogEvent.LENGTH_OFFSET) & MASK32;
            long logPos = le.getInt(start + o + BinlogEvent.LOG_POS_OFFSET) & MASK32;
            if (length < BinlogEvent.HEADER_LENGTH || length > BinlogFileReader.MAX_EVENT_LENGTH
                    || logPos != ((eventPos + length) & MASK32)) {
                throw damaged(eventPos, "impossible event header (length " + length + ", end_log_pos " + logPos + ")");
            }
            if (eventPos + length > end) {
                throw damaged(eventPos, "an event of " + length + " bytes crosses the committed end " + end);
            }
            if (o + length > n || length >= aloneFrom && o > 0) {
                break;
            }
            o += (int) length;
            if (length >= aloneFrom) {
                break;
            }
        }
        if (o == 0) {
            if (n < BinlogEvent.HEADER_LENGTH && n == end - position) {
                throw damaged(position, "a partial event header of " + n + " bytes at the committed end");
            }
            long length = n < BinlogEvent.HEADER_LENGTH ? BinlogEvent.HEADER_LENGTH
                    : le.getInt(start + BinlogEvent.LENGTH_OFFSET) & MASK32;
            tooLarge = n < BinlogEvent.HEADER_LENGTH ? 0 : length; // its header was checked above
            return (int) -length;
        }
        dst.position(start + o);
        position += o;
        return o;
    }

    private StoreCorruptionException damaged(long at, String what) {
        return new StoreCorruptionException("stored binlog is damaged: " + file.name + " at " + at + ": " + what, null);
    }

    /** Moves past a file read to its committed end, when the store has the next one (as BinlogReader does). */
    private boolean moveToNextFile() throws IOException {
        BinlogStore.StoredFile next = store.next(file);
        // the next file exists only once this one is complete: re-read its end after looking for the next
        if (next == null || position < file.visibleEnd) {
            return false;
        }
        store.pin(next);
        FileChannel opened;
        try {
            opened = FileChannel.open(next.path, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            store.unpin(next);
            throw e;
        }
        try {
            channel.close();
        } finally {
            store.unpin(file);
            file = next;
            channel = opened;
            position = BinlogFileReader.MAGIC_LENGTH;
            tooLarge = 0;
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            try {
                channel.close();
            } finally {
                store.unpin(file);
            }
        }
    }
}

package io.kingbus.store;

import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.BinlogFormatException;
import io.kingbus.binlog.ContainedTransactionFilter;
import io.kingbus.binlog.FormatDescription;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.gtid.GtidSet;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Reads stored events in order from a start point and follows the store as it grows: only complete
 * transactions are returned, each event's checksum is verified, and at the end of a file the reader
 * moves on to the next one (its FORMAT_DESCRIPTION comes first). A reader opened with a GTID set skips
 * the transactions that set contains. Not thread-safe; one per consumer. Close it to release its file.
 */
public final class BinlogReader implements AutoCloseable {
    private final BinlogStore store;
    private final ContainedTransactionFilter skip;
    private BinlogStore.StoredFile file;
    private FileChannel channel;
    private BinlogFileReader reader;
    private boolean closed;

    BinlogReader(BinlogStore store, BinlogStore.StoredFile file, long position, GtidSet skip) throws IOException {
        this.store = store;
        this.skip = skip == null ? null : new ContainedTransactionFilter(skip);
        this.file = file;
        open(position);
    }

    private void open(long position) throws IOException {
        channel = FileChannel.open(file.path, StandardOpenOption.READ);
        try {
            reader = BinlogFileReader.over(channel, file.name, file.visibleEnd, position);
        } catch (BinlogFormatException e) {
            channel.close();
            throw new StoreCorruptionException(e.getMessage(), e);
        }
    }

    /** The file the next event comes from. */
    public String file() {
        return file.name;
    }

    /** The position of the next event in {@link #file()}. */
    public long position() {
        return reader.position();
    }

    /** The FORMAT_DESCRIPTION of the current file (null before it was read from position 4). */
    public FormatDescription formatDescription() {
        return reader.formatDescription();
    }

    /**
     * The next event, waiting up to the timeout for one to be committed; null on timeout.
     *
     * @throws StoreCorruptionException when stored bytes fail their checksum (file and position named)
     * @throws PurgedException          never for an open reader: its files are pinned
     * @throws StoreException           when the store is closed and nothing more is readable
     */
    public PositionedEvent next(long timeout, TimeUnit unit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            long version = store.commitVersion();
            PositionedEvent e = poll();
            if (e != null) {
                return e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || closed) {
                return null;
            }
            if (store.isClosed()) { // awaitCommit returns at once then: do not spin until the timeout
                throw new StoreException("the binlog store is closed");
            }
            store.awaitCommit(version, left, TimeUnit.NANOSECONDS);
        }
    }

    /** The next event if one is committed now, else null. */
    public PositionedEvent poll() throws IOException {
        while (!closed) {
            reader.extendLimit(file.visibleEnd);
            if (reader.position() < reader.limit()) {
                PositionedEvent e;
                try {
                    e = reader.next();
                } catch (BinlogFormatException ex) {
                    throw new StoreCorruptionException("stored binlog is damaged: " + ex.getMessage(), ex);
                }
                if (skip == null || !skip.skips(e.event())) {
                    return e;
                }
                continue;
            }
            BinlogStore.StoredFile next = store.next(file);
            if (next == null || reader.position() < file.visibleEnd) {
                return null;
            }
            store.pin(next);
            close(false);
            file = next;
            open(BinlogFileReader.MAGIC_LENGTH);
        }
        return null;
    }

    /**
     * Hands this reader's file, pin and position to a {@link BinlogChunkReader} that reads on from there; this reader
     * is closed after (its file stays pinned, by the chunk reader). Opening through a BinlogReader first keeps the
     * store's checks (file known, not purged, position an event boundary) in one place.
     */
    public BinlogChunkReader toChunkReader() throws IOException {
        if (closed) {
            throw new StoreException("the binlog reader is closed");
        }
        BinlogChunkReader chunks = new BinlogChunkReader(store, file, channel, reader.position());
        closed = true; // the chunk reader owns the channel and the pin now
        return chunks;
    }

    private void close(boolean last) throws IOException {
        try {
            channel.close();
        } finally {
            store.unpin(file);
            if (last) {
                closed = true;
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            close(true);
        }
    }
}

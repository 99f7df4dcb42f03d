package io.kingbus.binlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the events of one binlog file in order, verifying every checksum. Positions are file offsets
 * ({@code long}), independent of the header's 32-bit log_pos. Errors name the file and position.
 */
public final class BinlogFileReader implements AutoCloseable {
    public static final byte[] MAGIC = {(byte) 0xfe, 'b', 'i', 'n'};
    public static final int MAGIC_LENGTH = 4;
    /** Java arrays cap a single event; MySQL's own cap (max_allowed_packet) is 1 GiB. */
    public static final long MAX_EVENT_LENGTH = Integer.MAX_VALUE - 16;

    private final FileChannel channel;
    private final String name;
    private final boolean ownsChannel;
    private static final int READ_AHEAD = 64 * 1024;
    /**
     * Most bytes one FileChannel call moves: the JDK copies a heap buffer through a temporary direct buffer of the
     * call's size (cached per thread, counted against MaxDirectMemorySize), so a whole 1 GiB event must not go in one.
     */
    public static final int IO_SLICE = 8 << 20;
    /** The buffer {@link #skipVerified()} streams an event through. */
    private static final int SKIP_BUFFER = 1 << 20;

    private final ByteBuffer header = ByteBuffer.allocate(BinlogEvent.HEADER_LENGTH);
    /** Read-ahead over [aheadStart, aheadStart + ahead.limit()); bytes before the limit never change. */
    private final ByteBuffer ahead = ByteBuffer.allocate(READ_AHEAD).limit(0);
    private long aheadStart;
    private long position;
    private long limit;
    private ChecksumType checksum = ChecksumType.OFF;
    private FormatDescription formatDescription;

    private BinlogFileReader(FileChannel channel, String name, boolean ownsChannel) {
        this.channel = channel;
        this.name = name;
        this.ownsChannel = ownsChannel;
    }

    /**
     * Opens a file and checks the magic number; {@link #next()} returns every event from position 4 on,
     * the FORMAT_DESCRIPTION first.
     */
    public static BinlogFileReader open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            return start(new BinlogFileReader(ch, file.getFileName().toString(), true), ch.size(), MAGIC_LENGTH);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Reads a file through a channel the caller owns, up to {@code limit} bytes (what is visible of a file
     * still being written), from {@code startPosition} (an event boundary). From position 4 the
     * FORMAT_DESCRIPTION is the first event returned; from later positions it is read silently first, for
     * the checksum algorithm.
     */
    public static BinlogFileReader over(FileChannel channel, String name, long limit, long startPosition)
            throws IOException {
        return start(new BinlogFileReader(channel, name, false), limit, startPosition);
    }

    private static BinlogFileReader start(BinlogFileReader r, long limit, long startPosition) throws IOException {
        r.limit = limit;
        r.checkMagic();
        if (startPosition > MAGIC_LENGTH) {
            PositionedEvent first = r.next();
            if (first == null || first.event().type() != EventType.FORMAT_DESCRIPTION) {
                throw new BinlogFormatException(r.name + " at " + MAGIC_LENGTH + ": no FORMAT_DESCRIPTION event");
            }
            r.seek(startPosition);
        }
        return r;
    }

    private void checkMagic() throws IOException {
        if (limit < MAGIC_LENGTH) {
            throw new TruncatedBinlogException(name, 0, "file of " + limit + " bytes has no binlog magic number");
        }
        ByteBuffer magic = ByteBuffer.allocate(MAGIC_LENGTH);
        readFully(magic, 0);
        for (int i = 0; i < MAGIC_LENGTH; i++) {
            if (magic.get(i) != MAGIC[i]) {
                throw new BinlogFormatException(name + ": not a binlog file (bad magic number)");
            }
        }
        position = MAGIC_LENGTH;
    }

    public String name() {
        return name;
    }

    public FormatDescription formatDescription() {
        return formatDescription;
    }

    public ChecksumType checksum() {
        return checksum;
    }

    /** Position of the next event. */
    public long position() {
        return position;
    }

    /** Continues at another event boundary (the caller knows it is one). */
    public void seek(long newPosition) {
        if (newPosition < MAGIC_LENGTH || newPosition > limit) {
            throw new BinlogFormatException(name + ": position " + newPosition + " outside 4.." + limit);
        }
        position = newPosition;
    }

    /** Lets a tailing reader see more of a file that is still being written. */
    public void extendLimit(long newLimit) {
        limit = Math.max(limit, newLimit);
    }

    public long limit() {
        return limit;
    }

    /**
     * The next event, or null at the limit. A partial event before the limit throws
     * {@link TruncatedBinlogException}; a bad checksum or impossible length throws {@link BinlogFormatException}.
     */
    public PositionedEvent next() throws IOException {
        if (readHeader() == null) {
            return null;
        }
        long start = position;
        long length = Bytes.u32(header.array(), BinlogEvent.LENGTH_OFFSET);
        byte[] bytes = new byte[(int) length];
        System.arraycopy(header.array(), 0, bytes, 0, BinlogEvent.HEADER_LENGTH);
        readFully(ByteBuffer.wrap(bytes, BinlogEvent.HEADER_LENGTH, bytes.length - BinlogEvent.HEADER_LENGTH),
                start + BinlogEvent.HEADER_LENGTH);
        BinlogEvent event = BinlogEvent.of(bytes);
        ChecksumType own;
        try {
            own = event.checksumIn(checksum);
        } catch (BinlogFormatException e) {
            throw new BinlogFormatException(name + " at " + start + ": " + e.getMessage(), e);
        }
        if (!event.checksumMatches(own)) {
            throw new BinlogFormatException(name + " at " + start + ": checksum mismatch in " + event.typeName()
                    + " event of " + length + " bytes");
        }
        if (event.type() == EventType.FORMAT_DESCRIPTION) {
            formatDescription = FormatDescription.decode(event);
            checksum = formatDescription.checksum();
        }
        position = start + length;
        return new PositionedEvent(name, start, event);
    }

    /**
     * The 19-byte header of the next event, without reading its body (its length is checked against the limit), or
     * null at the limit. The event is still next: {@link #next()} or {@link #skipVerified()} reads it.
     */
    public byte[] peekHeader() throws IOException {
        byte[] h = readHeader();
        return h == null ? null : h.clone();
    }

    /**
     * Passes over the next event without holding it whole, verifying its CRC32 (when the file has one) in bounded
     * slices: for events too big to hold in memory. Returns its header, or null at the limit. Not for a
     * FORMAT_DESCRIPTION, whose own trailer says whether it has a checksum (and which must be decoded anyway).
     */
    public byte[] skipVerified() throws IOException {
        byte[] h = peekHeader();
        if (h == null) {
            return null;
        }
        long start = position;
        long length = Bytes.u32(h, BinlogEvent.LENGTH_OFFSET);
        int type = h[BinlogEvent.TYPE_OFFSET] & 0xff;
        if (type == EventType.FORMAT_DESCRIPTION) {
            throw new IllegalStateException(name + " at " + start + ": a FORMAT_DESCRIPTION must be read with next()");
        }
        if (checksum == ChecksumType.CRC32) {
            if (length < BinlogEvent.HEADER_LENGTH + 4) {
                throw new BinlogFormatException(name + " at " + start + ": " + EventType.name(type) + " event of "
                        + length + " bytes has no room for its checksum");
            }
            long covered = start + length - 4;
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(SKIP_BUFFER, length - 4));
            for (long at = start; at < covered; ) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), covered - at));
                readDirect(buf, at);
                buf.flip();
                at += buf.remaining();
                crc.update(buf);
            }
            ByteBuffer trailer = ByteBuffer.allocate(4);
            readFully(trailer, covered);
            if (Bytes.u32(trailer.array(), 0) != crc.getValue()) {
                throw new BinlogFormatException(name + " at " + start + ": checksum mismatch in "
                        + EventType.name(type) + " event of " + length + " bytes");
            }
        }
        position = start + length;
        return h;
    }

    /** Reads the next event's header into {@code header} and checks its length; null at the limit. */
    private byte[] readHeader() throws IOException {
        if (position >= limit) {
            return null;
        }
        long start = position;
        if (limit - start < BinlogEvent.HEADER_LENGTH) {
            throw new TruncatedBinlogException(name, start, "partial event header (" + (limit - start) + " bytes)");
        }
        header.clear();
        readFully(header, start);
        long length = Bytes.u32(header.array(), BinlogEvent.LENGTH_OFFSET);
        if (length < BinlogEvent.HEADER_LENGTH || length > MAX_EVENT_LENGTH) {
            throw new BinlogFormatException(name + " at " + start + ": impossible event length " + length);
        }
        if (length > limit - start) {
            throw new TruncatedBinlogException(name, start, "event of " + length + " bytes but only "
                    + (limit - start) + " left");
        }
        return header.array();
    }

    /** Fills {@code buf} from file offset {@code at}, through the read-ahead buffer for small reads. */
    private void readFully(ByteBuffer buf, long at) throws IOException {
        if (buf.remaining() < READ_AHEAD / 2) {
            if (at < aheadStart || at + buf.remaining() > aheadStart + ahead.limit()) {
                ahead.clear();
                ahead.limit((int) Math.min(READ_AHEAD, Math.max(limit - at, buf.remaining())));
                readDirect(ahead, at);
                ahead.flip();
                aheadStart = at;
            }
            int from = (int) (at - aheadStart);
            buf.put(ahead.array(), from, buf.remaining());
            return;
        }
        readDirect(buf, at);
    }

    private void readDirect(ByteBuffer buf, long at) throws IOException {
        long p = at;
        while (buf.hasRemaining()) {
            ByteBuffer slice = buf.duplicate(); // at most IO_SLICE per call: see IO_SLICE
            slice.limit(slice.position() + Math.min(slice.remaining(), IO_SLICE));
            int n = channel.read(slice, p);
            if (n < 0) {
                throw new TruncatedBinlogException(name, at, "file ends early");
            }
            buf.position(buf.position() + n);
            p += n;
        }
    }

    @Override
    public void close() throws IOException {
        if (ownsChannel) {
            channel.close();
        }
    }
}

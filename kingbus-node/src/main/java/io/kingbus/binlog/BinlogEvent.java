package io.kingbus.binlog;

import java.util.zip.CRC32;

/**
 * One binlog event: its exact bytes (common header, body, and the checksum when the stream carries one).
 *
 * <p>Lengths and positions are {@code long}: the header's event_size is an unsigned 32-bit value and a
 * binlog file may grow past 4 GiB, where the header's log_pos (also 32 bits) wraps. The bytes are never
 * changed in place; the with… methods return a rewritten copy with a fresh checksum.
 */
public final class BinlogEvent {
    public static final int HEADER_LENGTH = 19;
    public static final int TYPE_OFFSET = 4;
    public static final int SERVER_ID_OFFSET = 5;
    public static final int LENGTH_OFFSET = 9;
    public static final int LOG_POS_OFFSET = 13;
    public static final int FLAGS_OFFSET = 17;

    /** The binlog file is in use (not closed cleanly); set in FORMAT_DESCRIPTION while the server writes it. */
    public static final int FLAG_BINLOG_IN_USE = 0x1;
    /** An artificial event (fake ROTATE at the start of a dump): not written to the replica's relay log position. */
    public static final int FLAG_ARTIFICIAL = 0x20;
    public static final int FLAG_RELAY_LOG = 0x40;

    private final byte[] bytes;

    private BinlogEvent(byte[] bytes) {
        this.bytes = bytes;
    }

    /** Wraps the bytes of exactly one event; the header's event_size must equal the array length. */
    public static BinlogEvent of(byte[] bytes) {
        if (bytes.length < HEADER_LENGTH) {
            throw new BinlogFormatException("event of " + bytes.length + " bytes is shorter than its 19-byte header");
        }
        long declared = Bytes.u32(bytes, LENGTH_OFFSET);
        if (declared != bytes.length) {
            throw new BinlogFormatException("event header says " + declared + " bytes but " + bytes.length + " were given");
        }
        return new BinlogEvent(bytes);
    }

    /** Builds an event from its parts, adding a CRC32 when asked. */
    public static BinlogEvent build(int type, long serverId, long timestamp, long logPos, int flags, byte[] body,
                                    ChecksumType checksum) {
        int length = HEADER_LENGTH + body.length + checksum.length();
        byte[] b = new byte[length];
        Bytes.putU32(b, 0, timestamp);
        b[TYPE_OFFSET] = (byte) type;
        Bytes.putU32(b, SERVER_ID_OFFSET, serverId);
        Bytes.putU32(b, LENGTH_OFFSET, length);
        Bytes.putU32(b, LOG_POS_OFFSET, logPos);
        Bytes.putU16(b, FLAGS_OFFSET, flags);
        System.arraycopy(body, 0, b, HEADER_LENGTH, body.length);
        if (checksum == ChecksumType.CRC32) {
            Bytes.putU32(b, length - 4, crc32(b, 0, length - 4));
        }
        return new BinlogEvent(b);
    }

    public byte[] bytes() {
        return bytes;
    }

    public long timestamp() {
        return Bytes.u32(bytes, 0);
    }

    public int type() {
        return bytes[TYPE_OFFSET] & 0xff;
    }

    public String typeName() {
        return EventType.name(type());
    }

    public long serverId() {
        return Bytes.u32(bytes, SERVER_ID_OFFSET);
    }

    public long length() {
        return bytes.length;
    }

    /** The header's end position (unsigned 32 bits; wraps in files over 4 GiB). 0 in artificial events. */
    public long logPos() {
        return Bytes.u32(bytes, LOG_POS_OFFSET);
    }

    public int flags() {
        return Bytes.u16(bytes, FLAGS_OFFSET);
    }

    public boolean isArtificial() {
        return (flags() & FLAG_ARTIFICIAL) != 0;
    }

    /** A reader over the body, without the header and without the trailing checksum. */
    public ByteReader body(ChecksumType checksum) {
        int end = bytes.length - checksum.length();
        if (end < HEADER_LENGTH) {
            throw new BinlogFormatException(typeName() + " event of " + bytes.length + " bytes has no room for its checksum");
        }
        return new ByteReader(bytes, HEADER_LENGTH, end);
    }

    /**
     * The checksum that covers this event's own trailer. A FORMAT_DESCRIPTION from 5.6.1 on always ends
     * with a CRC32, even when it declares binlog_checksum=NONE for the events after it.
     */
    public ChecksumType checksumIn(ChecksumType streamChecksum) {
        return type() == EventType.FORMAT_DESCRIPTION ? FormatDescription.trailerChecksumOf(this) : streamChecksum;
    }

    /** True when the trailing CRC32 matches (always true without a checksum). */
    public boolean checksumMatches(ChecksumType checksum) {
        if (checksum != ChecksumType.CRC32) {
            return true;
        }
        if (bytes.length < HEADER_LENGTH + 4) {
            return false;
        }
        long stored = Bytes.u32(bytes, bytes.length - 4);
        if (stored == crc32(bytes, 0, bytes.length - 4)) {
            return true;
        }
        // MySQL checksums FORMAT_DESCRIPTION without the in-use flag, which it clears in place on close.
        if (type() == EventType.FORMAT_DESCRIPTION && (flags() & FLAG_BINLOG_IN_USE) != 0) {
            byte[] copy = java.util.Arrays.copyOf(bytes, bytes.length - 4);
            copy[FLAGS_OFFSET] &= (byte) ~FLAG_BINLOG_IN_USE;
            return stored == crc32(copy, 0, copy.length);
        }
        return false;
    }

    public void verifyChecksum(ChecksumType checksum) {
        if (!checksumMatches(checksum)) {
            throw new BinlogFormatException(typeName() + " event checksum mismatch");
        }
    }

    /** A copy with a different log_pos (and flags), checksum recomputed. */
    public BinlogEvent withLogPosAndFlags(long logPos, int flags, ChecksumType checksum) {
        byte[] b = bytes.clone();
        Bytes.putU32(b, LOG_POS_OFFSET, logPos);
        Bytes.putU16(b, FLAGS_OFFSET, flags);
        if (checksum == ChecksumType.CRC32 && b.length >= HEADER_LENGTH + 4) {
            Bytes.putU32(b, b.length - 4, crc32(b, 0, b.length - 4));
        }
        return new BinlogEvent(b);
    }

    public static long crc32(byte[] b, int off, int len) {
        CRC32 crc = new CRC32();
        crc.update(b, off, len);
        return crc.getValue();
    }

    @Override
    public String toString() {
        return typeName() + "(" + bytes.length + " bytes, end_log_pos " + logPos() + ")";
    }
}

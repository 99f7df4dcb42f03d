package io.kingbus.binlog;

/**
 * FORMAT_DESCRIPTION_EVENT: the first event of every binlog file. It names the server version, the
 * post-header length of every event type, and the checksum algorithm of the events that follow.
 *
 * <p>Servers from 5.6.1 on always end this event with one algorithm byte and a 4-byte checksum field.
 */
public record FormatDescription(int binlogVersion, String serverVersion, long createTimestamp, int headerLength,
                                byte[] postHeaderLengths, ChecksumType checksum) {

    private static final int FIXED_PART = 2 + 50 + 4 + 1;

    public static FormatDescription decode(BinlogEvent event) {
        requireType(event);
        ByteReader r = new ByteReader(event.bytes(), BinlogEvent.HEADER_LENGTH, event.bytes().length);
        int binlogVersion = r.u16();
        String serverVersion = r.fixedString(50);
        long created = r.u32();
        int headerLength = r.u8();
        boolean checksumAware = versionAtLeast(serverVersion, 5, 6, 1);
        int trailer = checksumAware ? 5 : 0;
        int count = r.remaining() - trailer;
        if (count < 0) {
            throw new BinlogFormatException("FORMAT_DESCRIPTION event too short for its post-header lengths");
        }
        byte[] lengths = r.bytes(count);
        ChecksumType checksum = checksumAware ? ChecksumType.ofCode(r.u8()) : ChecksumType.OFF;
        return new FormatDescription(binlogVersion, serverVersion, created, headerLength, lengths, checksum);
    }

    /** The checksum algorithm a FORMAT_DESCRIPTION event declares for itself and the events after it. */
    public static ChecksumType checksumOf(BinlogEvent event) {
        requireType(event);
        byte[] b = event.bytes();
        if (b.length < BinlogEvent.HEADER_LENGTH + FIXED_PART + 5) {
            throw new BinlogFormatException("FORMAT_DESCRIPTION event of " + b.length + " bytes is too short");
        }
        ByteReader r = new ByteReader(b, BinlogEvent.HEADER_LENGTH + 2, BinlogEvent.HEADER_LENGTH + 52);
        String version = r.fixedString(50);
        if (!versionAtLeast(version, 5, 6, 1)) {
            return ChecksumType.OFF;
        }
        return ChecksumType.ofCode(b[b.length - 5] & 0xff);
    }

    /**
     * The checksum of the FORMAT_DESCRIPTION event itself: checksum-aware servers (5.6.1+) always end it
     * with a valid CRC32, whatever algorithm it declares (checked against 5.7.22 and 8.0.15 with NONE).
     */
    public static ChecksumType trailerChecksumOf(BinlogEvent event) {
        requireType(event);
        byte[] b = event.bytes();
        if (b.length < BinlogEvent.HEADER_LENGTH + FIXED_PART + 5) {
            throw new BinlogFormatException("FORMAT_DESCRIPTION event of " + b.length + " bytes is too short");
        }
        String version = new ByteReader(b, BinlogEvent.HEADER_LENGTH + 2, BinlogEvent.HEADER_LENGTH + 52).fixedString(50);
        return versionAtLeast(version, 5, 6, 1) ? ChecksumType.CRC32 : ChecksumType.OFF;
    }

    private static void requireType(BinlogEvent event) {
        if (event.type() != EventType.FORMAT_DESCRIPTION) {
            throw new BinlogFormatException("expected FORMAT_DESCRIPTION, got " + event.typeName());
        }
    }

    /** Post-header length of an event type, as this server writes it (0 when unknown to it). */
    public int postHeaderLength(int type) {
        return type >= 1 && type <= postHeaderLengths.length ? postHeaderLengths[type - 1] & 0xff : 0;
    }

    /** The "Server ver: 8.0.15, Binlog ver: 4" text of SHOW BINLOG EVENTS. */
    public String info() {
        return "Server ver: " + serverVersion + ", Binlog ver: " + binlogVersion;
    }

    public boolean isMySql80OrLater() {
        return versionAtLeast(serverVersion, 8, 0, 0);
    }

    static boolean versionAtLeast(String version, int major, int minor, int patch) {
        int[] parts = new int[3];
        int part = 0;
        for (int i = 0; i < version.length() && part < 3; i++) {
            char c = version.charAt(i);
            if (c >= '0' && c <= '9') {
                parts[part] = parts[part] * 10 + (c - '0');
            } else if (c == '.') {
                part++;
            } else {
                break;
            }
        }
        long have = parts[0] * 1_000_000L + parts[1] * 1_000L + parts[2];
        return have >= major * 1_000_000L + minor * 1_000L + patch;
    }
}

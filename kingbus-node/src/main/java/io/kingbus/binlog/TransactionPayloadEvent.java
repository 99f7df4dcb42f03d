package io.kingbus.binlog;

/**
 * TRANSACTION_PAYLOAD_EVENT (8.0.20+, binlog_transaction_compression): one event that carries a whole
 * compressed transaction. Only the header fields are decoded; the payload is kept as bytes.
 */
public record TransactionPayloadEvent(long payloadSize, int compressionType, long uncompressedSize,
                                      int payloadOffset) {

    private static final int END_MARK = 0;
    private static final int PAYLOAD_SIZE = 1;
    private static final int COMPRESSION_TYPE = 2;
    private static final int UNCOMPRESSED_SIZE = 3;

    public static TransactionPayloadEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        long size = -1;
        int compression = -1;
        long uncompressed = -1;
        while (r.remaining() > 0) {
            long field = r.packedInt();
            if (field == END_MARK) {
                break;
            }
            int length = r.packedLength("payload header field");
            long value = new ByteReader(r.array(), r.offset(), r.offset() + length).packedInt();
            r.skip(length);
            if (field == PAYLOAD_SIZE) {
                size = value;
            } else if (field == COMPRESSION_TYPE) {
                compression = (int) value;
            } else if (field == UNCOMPRESSED_SIZE) {
                uncompressed = value;
            }
        }
        return new TransactionPayloadEvent(size, compression, uncompressed, r.offset());
    }

    public String compressionName() {
        return switch (compressionType) {
            case 0 -> "ZSTD";
            case 255 -> "NONE";
            default -> "UNKNOWN";
        };
    }

    /** "compression='ZSTD', decompressed_size=1234 bytes", as SHOW BINLOG EVENTS prints it. */
    public String info() {
        return "compression='" + compressionName() + "', decompressed_size=" + uncompressedSize + " bytes";
    }
}

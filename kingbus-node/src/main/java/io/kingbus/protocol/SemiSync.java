package io.kingbus.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Semi-synchronous replication framing. A semi-sync primary puts two bytes before each event of the dump stream
 * (after the 0x00 OK byte): the magic 0xEF and a flag whose bit 0x01 asks the replica to acknowledge. The replica
 * acknowledges with a packet of its own (sequence id 0, like a new command): 0xEF, the 8-byte binlog position
 * reached, and the binlog file name followed by a NUL.
 */
public final class SemiSync {
    public static final int MAGIC = 0xef;
    public static final int FLAG_ACK_REQUESTED = 0x01;
    /** Bytes the primary puts before each event. */
    public static final int HEADER_LENGTH = 2;
    /** MySQL's FN_REFLEN: longest file name in an ACK. */
    public static final int MAX_FILE_NAME = 512;

    /** {@code SHOW VARIABLES LIKE ...} whose row says the primary has the semi-sync plugin (pre/post 8.0.26 names). */
    public static final String MASTER_ENABLED_VARIABLE = "rpl_semi_sync_master_enabled";
    public static final String SOURCE_ENABLED_VARIABLE = "rpl_semi_sync_source_enabled";

    private SemiSync() {
    }

    /** The replica's acknowledgement: everything up to {@code position} of {@code file} is safe on the replica. */
    public record Ack(String file, long position) {
        public Ack {
            Objects.requireNonNull(file, "file");
            if (position < 0) {
                throw new IllegalArgumentException("negative position " + position);
            }
        }

        public byte[] encode() {
            byte[] name = file.getBytes(StandardCharsets.UTF_8);
            if (name.length > MAX_FILE_NAME) {
                throw new IllegalArgumentException("file name longer than " + MAX_FILE_NAME + " bytes");
            }
            return new PayloadWriter(10 + name.length).u8(MAGIC).u64(position).bytes(name).u8(0).toByteArray();
        }

        public static boolean isAck(byte[] payload) {
            return payload.length >= 9 && (payload[0] & 0xff) == MAGIC;
        }

        public static Ack parse(byte[] payload) {
            return Wire.parse("semi-sync ACK", payload, r -> {
                Wire.expectHeader(r, MAGIC, "a semi-sync ACK");
                long pos = r.u64();
                if (pos < 0) {
                    throw new ProtocolException("position " + Long.toUnsignedString(pos) + " out of range");
                }
                if (r.remaining() > MAX_FILE_NAME + 1) {
                    throw new ProtocolException("file name longer than " + MAX_FILE_NAME + " bytes");
                }
                String name = Wire.nulOrRestString(r);
                return new Ack(name, pos);
            });
        }
    }
}

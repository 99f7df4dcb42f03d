package io.kingbus.protocol;

import java.util.Arrays;

/**
 * One event packet of the dump stream: 0x00, then (on a semi-sync stream) 0xEF and the ACK-request flag, then the
 * binlog event's bytes. The stream also carries ERR (0xFF, the dump failed) and, for non-blocking dumps, a final
 * EOF (0xFE, fewer than 9 bytes).
 */
public record DumpEventPacket(byte[] event, boolean ackRequested) {
    public static final int HEADER = 0x00;

    /**
     * Splits an event packet. {@code semiSync}: the stream carries the semi-sync header (the primary agreed to it);
     * its absence is then an error, as in MySQL's replica.
     */
    public static DumpEventPacket parse(byte[] payload, boolean semiSync) {
        if (payload.length == 0 || (payload[0] & 0xff) != HEADER) {
            throw new ProtocolException("a dump stream event packet must start with 0x00");
        }
        int at = 1;
        boolean ack = false;
        if (semiSync) {
            if (payload.length < 1 + SemiSync.HEADER_LENGTH || (payload[1] & 0xff) != SemiSync.MAGIC) {
                throw new ProtocolException("missing semi-sync magic number in a dump packet of " + payload.length
                        + " bytes");
            }
            ack = (payload[2] & SemiSync.FLAG_ACK_REQUESTED) != 0;
            at = 1 + SemiSync.HEADER_LENGTH;
        }
        return new DumpEventPacket(Arrays.copyOfRange(payload, at, payload.length), ack);
    }

    /** The bytes a server puts before an event: 0x00, and on a semi-sync stream 0xEF and the flag. */
    public static byte[] prefix(boolean semiSync, boolean ackRequested) {
        if (!semiSync) {
            return new byte[] {HEADER};
        }
        return new byte[] {HEADER, (byte) SemiSync.MAGIC, (byte) (ackRequested ? SemiSync.FLAG_ACK_REQUESTED : 0)};
    }

    /** The whole packet payload (prefix + event), for a server or a test. */
    public static byte[] encode(byte[] event, boolean semiSync, boolean ackRequested) {
        byte[] prefix = prefix(semiSync, ackRequested);
        byte[] out = new byte[prefix.length + event.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(event, 0, out, prefix.length, event.length);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DumpEventPacket d && d.ackRequested == ackRequested && Arrays.equals(d.event, event);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(event) * 2 + (ackRequested ? 1 : 0);
    }

    @Override
    public String toString() {
        return "DumpEventPacket(" + event.length + " bytes" + (ackRequested ? ", ACK requested" : "") + ")";
    }
}

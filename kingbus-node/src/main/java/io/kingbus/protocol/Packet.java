package io.kingbus.protocol;

import java.util.Objects;

/**
 * One logical MySQL packet: a payload and the sequence id of its first physical packet. A payload of
 * {@link #MAX_PHYSICAL_PAYLOAD} bytes or more travels as several physical packets with consecutive sequence ids
 * (and an empty trailing one when its length is an exact multiple), which {@link PacketDecoder} and
 * {@link PacketEncoder} handle.
 */
public record Packet(int sequenceId, byte[] payload) {
    /** 2^24 - 1: a physical packet of this length is continued by the next one. */
    public static final int MAX_PHYSICAL_PAYLOAD = 0xFFFFFF;
    public static final int HEADER_LENGTH = 4;

    public Packet {
        Objects.requireNonNull(payload, "payload");
        if (sequenceId < 0 || sequenceId > 0xff) {
            throw new IllegalArgumentException("sequence id " + sequenceId + " outside 0..255");
        }
    }

    /** How many physical packets a payload of this length takes. */
    public static int physicalPackets(long payloadLength) {
        return (int) (payloadLength / MAX_PHYSICAL_PAYLOAD) + 1;
    }

    /** The sequence id the peer's next packet (or our next one) carries after this packet. */
    public int nextSequenceId() {
        return (sequenceId + physicalPackets(payload.length)) & 0xff;
    }

    /** The first payload byte (the packet "header": 0x00 OK, 0xFF ERR, 0xFE EOF/auth switch, ...), -1 if empty. */
    public int firstByte() {
        return payload.length == 0 ? -1 : payload[0] & 0xff;
    }

    public int length() {
        return payload.length;
    }

    @Override
    public String toString() {
        return "Packet(seq " + sequenceId + ", " + payload.length + " bytes"
                + (payload.length > 0 ? String.format(", first 0x%02x", payload[0] & 0xff) : "") + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Packet p && p.sequenceId == sequenceId && java.util.Arrays.equals(p.payload, payload);
    }

    @Override
    public int hashCode() {
        return 31 * sequenceId + java.util.Arrays.hashCode(payload);
    }
}

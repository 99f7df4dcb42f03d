package io.kingbus.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns bytes into {@link Packet}s: 3-byte little-endian length, 1-byte sequence id, payload. Physical packets of
 * 0xFFFFFF bytes are continued by the next one (whose sequence id must follow), so a 20 MiB binlog event arrives as
 * one {@link Packet} of 20 MiB. The payload is bounded by {@code maxPayload}: the bound is checked against each
 * header before its bytes are awaited or anything is allocated, and exceeding it fails the channel with a
 * {@link ProtocolException} (wrapped in Netty's DecoderException).
 *
 * <p>Memory: a continued payload is kept as its physical chunks until the last one arrives, then copied once into
 * the final array, so a payload of n bytes briefly needs about 2n bytes of heap.
 */
public final class PacketDecoder extends ByteToMessageDecoder {
    /** MySQL's largest max_allowed_packet (1 GiB) plus room for a packet header byte or two. */
    public static final int DEFAULT_MAX_PAYLOAD = (1 << 30) + 1024;

    private final int maxPayload;
    private List<byte[]> chunks;
    private long assembled;
    private int firstSequenceId;
    private int expectedSequenceId;

    public PacketDecoder() {
        this(DEFAULT_MAX_PAYLOAD);
    }

    public PacketDecoder(int maxPayload) {
        if (maxPayload < 0) {
            throw new IllegalArgumentException("maxPayload " + maxPayload);
        }
        this.maxPayload = maxPayload;
    }

    public int maxPayload() {
        return maxPayload;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= Packet.HEADER_LENGTH) {
            int start = in.readerIndex();
            int length = in.getUnsignedMediumLE(start);
            int sequenceId = in.getUnsignedByte(start + 3);
            if (assembled + length > maxPayload) {
                throw new ProtocolException("packet payload of " + (assembled + length) + "+ bytes exceeds the limit of "
                        + maxPayload + " bytes");
            }
            if (chunks != null && sequenceId != expectedSequenceId) {
                throw new ProtocolException("packets out of order inside a continued payload: expected sequence id "
                        + expectedSequenceId + ", got " + sequenceId);
            }
            if (in.readableBytes() < Packet.HEADER_LENGTH + length) {
                return; // wait for the rest of this physical packet
            }
            in.skipBytes(Packet.HEADER_LENGTH);
            byte[] part = new byte[length];
            in.readBytes(part);
            if (length == Packet.MAX_PHYSICAL_PAYLOAD) {
                if (chunks == null) {
                    chunks = new ArrayList<>();
                    firstSequenceId = sequenceId;
                }
                chunks.add(part);
                assembled += length;
                expectedSequenceId = (sequenceId + 1) & 0xff;
                continue;
            }
            if (chunks == null) {
                out.add(new Packet(sequenceId, part));
            } else {
                byte[] all = new byte[(int) (assembled + length)];
                int at = 0;
                for (byte[] c : chunks) {
                    System.arraycopy(c, 0, all, at, c.length);
                    at += c.length;
                }
                System.arraycopy(part, 0, all, at, length);
                out.add(new Packet(firstSequenceId, all));
                chunks = null;
                assembled = 0;
            }
        }
    }

    /** Bytes of a continued payload received so far (0 between payloads). */
    public long pendingPayloadBytes() {
        return assembled;
    }
}

package io.kingbus.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Turns bytes into {@link Packet}s: 3-byte little-endian length, 1-byte sequence id, payload. Physical packets of
 * 0xFFFFFF bytes are continued by the next one (whose sequence id must follow), so a 20 MiB binlog event arrives as
 * one {@link Packet} of 20 MiB. The payload is bounded by {@code maxPayload}: the bound is checked against each
 * header before its bytes are awaited or anything is allocated, and exceeding it fails the channel with a
 * {@link ProtocolException} (wrapped in Netty's DecoderException).
 *
 * <p>Memory: with a {@linkplain #PacketDecoder(int, ToLongFunction) size hint} that knows the payload's length from
 * its first physical packet (a binlog event's header carries its size: {@link #BINLOG_EVENT_SIZE}), a continued
 * payload is copied straight into an array of that size, so a payload of n bytes needs n bytes of heap. Otherwise,
 * or when the hint turns out wrong, it is kept as its physical chunks until the last one arrives, then copied once
 * into the final array: about 2n bytes, briefly.
 */
public final class PacketDecoder extends ByteToMessageDecoder {
    /** MySQL's largest max_allowed_packet (1 GiB) plus room for a packet header byte or two. */
    public static final int DEFAULT_MAX_PAYLOAD = (1 << 30) + 1024;

    /**
     * The size of a payload that is an event of a binlog dump (OK byte 0x00, then the event, whose 19-byte header has
     * its length at offset 9), or -1. Only a hint: a payload that is something else is still decoded exactly.
     */
    public static final ToLongFunction<ByteBuf> BINLOG_EVENT_SIZE = first -> {
        int at = first.readerIndex();
        if (first.readableBytes() < 1 + 19 || first.getByte(at) != 0) {
            return -1;
        }
        return 1 + first.getUnsignedIntLE(at + 1 + 9);
    };

    private final int maxPayload;
    private final ToLongFunction<ByteBuf> sizeHint;
    private List<byte[]> chunks;
    /** The continued payload being copied into an array of its hinted size (instead of {@link #chunks}). */
    private byte[] hinted;
    private long assembled;
    private int firstSequenceId;
    private int expectedSequenceId;

    public PacketDecoder() {
        this(DEFAULT_MAX_PAYLOAD);
    }

    public PacketDecoder(int maxPayload) {
        this(maxPayload, first -> -1);
    }

    /**
     * @param sizeHint given the first physical packet's payload of a continued payload (not to be consumed), the
     *                 whole payload's length, or -1 when it cannot tell
     */
    public PacketDecoder(int maxPayload, ToLongFunction<ByteBuf> sizeHint) {
        if (maxPayload < 0) {
            throw new IllegalArgumentException("maxPayload " + maxPayload);
        }
        this.maxPayload = maxPayload;
        this.sizeHint = sizeHint;
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
            if ((chunks != null || hinted != null) && sequenceId != expectedSequenceId) {
                throw new ProtocolException("packets out of order inside a continued payload: expected sequence id "
                        + expectedSequenceId + ", got " + sequenceId);
            }
            if (in.readableBytes() < Packet.HEADER_LENGTH + length) {
                return; // wait for the rest of this physical packet
            }
            in.skipBytes(Packet.HEADER_LENGTH);
            boolean continued = length == Packet.MAX_PHYSICAL_PAYLOAD;
            if (continued && chunks == null && hinted == null) {
                firstSequenceId = sequenceId;
                long hint = sizeHint.applyAsLong(in.slice(in.readerIndex(), length));
                if (hint > length && hint <= maxPayload) {
                    hinted = new byte[(int) hint];
                } else {
                    chunks = new ArrayList<>();
                }
            }
            if (hinted != null && assembled + length > hinted.length) {
                // the hint was short: carry on in chunks
                chunks = new ArrayList<>(List.of(Arrays.copyOf(hinted, (int) assembled)));
                hinted = null;
            }
            if (hinted != null) {
                in.readBytes(hinted, (int) assembled, length);
                assembled += length;
                if (continued) {
                    expectedSequenceId = (sequenceId + 1) & 0xff;
                    continue;
                }
                byte[] all = assembled == hinted.length ? hinted : Arrays.copyOf(hinted, (int) assembled);
                out.add(new Packet(firstSequenceId, all));
                hinted = null;
                assembled = 0;
                continue;
            }
            byte[] part = new byte[length];
            in.readBytes(part);
            if (continued) {
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

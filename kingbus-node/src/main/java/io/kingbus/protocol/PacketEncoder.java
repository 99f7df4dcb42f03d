package io.kingbus.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;

import java.util.List;

/**
 * Writes {@link Packet}s: splits payloads of 0xFFFFFF bytes or more into physical packets with consecutive sequence
 * ids, adding the empty trailing packet when the length is an exact multiple of 0xFFFFFF. Large payloads are not
 * copied (the buffers wrap the payload array), so the caller must not change it after writing.
 */
@ChannelHandler.Sharable
public final class PacketEncoder extends MessageToMessageEncoder<Packet> {
    /** Payloads up to this size are copied next to their header into one buffer. */
    private static final int COPY_THRESHOLD = 8192;

    public static final PacketEncoder INSTANCE = new PacketEncoder();

    @Override
    protected void encode(ChannelHandlerContext ctx, Packet packet, List<Object> out) {
        byte[] p = packet.payload();
        if (p.length < COPY_THRESHOLD) {
            ByteBuf b = ctx.alloc().buffer(Packet.HEADER_LENGTH + p.length);
            b.writeMediumLE(p.length).writeByte(packet.sequenceId()).writeBytes(p);
            out.add(b);
            return;
        }
        int seq = packet.sequenceId();
        int off = 0;
        while (true) {
            int n = Math.min(Packet.MAX_PHYSICAL_PAYLOAD, p.length - off);
            ByteBuf header = ctx.alloc().buffer(Packet.HEADER_LENGTH);
            header.writeMediumLE(n).writeByte(seq);
            out.add(header);
            if (n > 0) {
                out.add(Unpooled.wrappedBuffer(p, off, n));
            }
            off += n;
            seq = (seq + 1) & 0xff;
            if (n < Packet.MAX_PHYSICAL_PAYLOAD) {
                return;
            }
        }
    }

    /** The wire bytes of one packet (headers included), for tests and non-Netty callers. */
    public static byte[] toBytes(Packet packet) {
        byte[] p = packet.payload();
        int physical = Packet.physicalPackets(p.length);
        byte[] out = new byte[p.length + physical * Packet.HEADER_LENGTH];
        int seq = packet.sequenceId();
        int off = 0;
        int at = 0;
        for (int i = 0; i < physical; i++) {
            int n = Math.min(Packet.MAX_PHYSICAL_PAYLOAD, p.length - off);
            out[at] = (byte) n;
            out[at + 1] = (byte) (n >>> 8);
            out[at + 2] = (byte) (n >>> 16);
            out[at + 3] = (byte) seq;
            System.arraycopy(p, off, out, at + Packet.HEADER_LENGTH, n);
            at += Packet.HEADER_LENGTH + n;
            off += n;
            seq = (seq + 1) & 0xff;
        }
        return out;
    }
}

package io.kingbus.server;

import io.kingbus.protocol.Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

/**
 * Writes dump-stream packets straight to a channel as ByteBufs (so Netty's write-buffer accounting, and with it
 * backpressure, sees their real size): one status byte (0x00 for an event) and the event's bytes, split into
 * physical packets of at most 0xFFFFFF bytes with consecutive sequence ids (an empty trailing packet when the payload
 * is an exact multiple). Small packets are gathered into one buffer of up to {@link #BATCH} bytes per channel write
 * (the dump runs off the event loop, where every write is a task), written and flushed when full; large events are
 * wrapped, not copied. Call {@link #flushBatch} before flushing the channel. Not thread-safe: one per dump session.
 */
final class Framing {
    private static final int COPY_THRESHOLD = 16 * 1024;
    static final int BATCH = 64 * 1024;

    private int sequence;
    private ByteBuf batch;

    Framing(int firstSequenceId) {
        this.sequence = firstSequenceId & 0xff;
    }

    int sequence() {
        return sequence;
    }

    /** Queues (without flushing) the packet {@code status} + {@code body}; returns its size on the wire. */
    long write(Channel ch, int status, byte[] body) {
        long payload = 1L + body.length;
        if (payload < COPY_THRESHOLD) {
            int size = Packet.HEADER_LENGTH + (int) payload;
            ByteBuf b = batchWithRoom(ch, size);
            b.writeMediumLE((int) payload).writeByte(sequence).writeByte(status).writeBytes(body);
            sequence = (sequence + 1) & 0xff;
            if (b.readableBytes() >= BATCH) {
                flushBatch(ch);
            }
            return size;
        }
        flushBatch(ch);
        ByteBufAllocator alloc = ch.alloc();
        long written = 0;
        long offset = -1; // -1: the status byte comes first
        while (true) {
            long left = payload - (offset + 1);
            int n = (int) Math.min(Packet.MAX_PHYSICAL_PAYLOAD, left);
            ByteBuf header = alloc.buffer(Packet.HEADER_LENGTH + 1);
            header.writeMediumLE(n).writeByte(sequence);
            int fromBody = n;
            if (offset < 0 && n > 0) {
                header.writeByte(status);
                fromBody = n - 1;
                offset = 0;
            }
            ch.write(header, ch.voidPromise());
            if (fromBody > 0) {
                ch.write(Unpooled.wrappedBuffer(body, (int) offset, fromBody), ch.voidPromise());
                offset += fromBody;
            }
            written += Packet.HEADER_LENGTH + n;
            sequence = (sequence + 1) & 0xff;
            if (n < Packet.MAX_PHYSICAL_PAYLOAD) {
                return written;
            }
        }
    }

    /** Queues a whole payload (an ERR or EOF packet) as one packet; returns its size on the wire. */
    long writeRaw(Channel ch, byte[] payload) {
        int size = Packet.HEADER_LENGTH + payload.length;
        ByteBuf b = batchWithRoom(ch, size);
        b.writeMediumLE(payload.length).writeByte(sequence).writeBytes(payload);
        sequence = (sequence + 1) & 0xff;
        return size;
    }

    /**
     * Hands the gathered small packets to the channel and flushes them (with whatever was written before), so the
     * event loop sends while the dump goes on reading: a write from outside the loop is a task either way, and a
     * flush per batch keeps the channel's own buffer short, so the dump seldom has to stop and be woken again.
     */
    void flushBatch(Channel ch) {
        ByteBuf b = batch;
        batch = null;
        if (b != null) {
            if (b.isReadable()) {
                ch.writeAndFlush(b, ch.voidPromise());
            } else {
                b.release();
            }
        }
    }

    /** Drops gathered packets that will never be written (the channel is gone). */
    void discard() {
        if (batch != null) {
            batch.release();
            batch = null;
        }
    }

    private ByteBuf batchWithRoom(Channel ch, int size) {
        if (batch != null && batch.writableBytes() < size) {
            flushBatch(ch);
        }
        if (batch == null) {
            batch = ch.alloc().ioBuffer(Math.max(BATCH, size));
        }
        return batch;
    }
}

package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.protocol.Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultFileRegion;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.ReferenceCounted;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes dump-stream packets straight to a channel as ByteBufs (so Netty's write-buffer accounting, and with it
 * backpressure, sees their real size): one status byte (0x00 for an event) and the event's bytes, split into
 * physical packets of at most 0xFFFFFF bytes with consecutive sequence ids (an empty trailing packet when the payload
 * is an exact multiple).
 *
 * <p>Small packets are copied into one pooled buffer (one memcpy from the buffer the store's bytes were read into:
 * cheaper than a slice object and an iovec per event of a few hundred bytes); events of {@link #SLICE_THRESHOLD} bytes
 * or more are not copied: their packet headers go into that buffer and their bodies follow as retained slices of the
 * caller's buffer, all in order in one composite buffer. What is gathered is written and flushed as one channel write
 * once it holds {@link #BATCH} bytes (the dump runs off the event loop, where every write is a task). Call
 * {@link #flushBatch} before flushing the channel. Events too large to be read into memory go from their file
 * ({@link #writeFromFile}). Not thread-safe: one per dump session.
 */
final class Framing {
    /** Events from this size on are sent as slices of the read buffer instead of copied. */
    static final int SLICE_THRESHOLD = 4 * 1024;
    static final int BATCH = 64 * 1024;
    /** Components per composite before it is written anyway (each slice adds one, plus one for the headers). */
    private static final int MAX_COMPONENTS = 64;

    /** Files open for events being sent from them, over all sessions (what the regions queued hold). */
    private static final AtomicInteger OPEN_FILES = new AtomicInteger();

    private int sequence;
    /** Small packets and the headers of sliced ones, not yet in {@link #out}. */
    private ByteBuf batch;
    /** Earlier parts of the current write when it has slices (else null: the batch is written alone). */
    private CompositeByteBuf out;

    Framing(int firstSequenceId) {
        this.sequence = firstSequenceId & 0xff;
    }

    /** Files held open now by events queued from their file, over all dump sessions. */
    static int openFiles() {
        return OPEN_FILES.get();
    }

    int sequence() {
        return sequence;
    }

    /** Queues (without flushing) the packet {@code status} + {@code body}; returns its size on the wire. */
    long write(Channel ch, int status, byte[] body) {
        ByteBuf b = Unpooled.wrappedBuffer(body);
        try {
            return write(ch, status, b, 0, body.length, false);
        } finally {
            b.release();
        }
    }

    /**
     * Queues the packet {@code status} + {@code src[index, index + length)} (an event); with {@code stripChecksum}
     * the event goes without its last 4 bytes (its CRC32) and with its header's length reduced to match. Large bodies
     * are retained slices of {@code src}, so the caller must not change those bytes afterwards (it may release its
     * own reference). Returns the size on the wire.
     */
    long write(Channel ch, int status, ByteBuf src, int index, int length, boolean stripChecksum) {
        int eventLength = stripChecksum && length >= BinlogEvent.HEADER_LENGTH + 4 ? length - 4 : length;
        boolean patch = eventLength != length;
        long payload = 1L + eventLength;
        if (payload < SLICE_THRESHOLD) {
            int size = Packet.HEADER_LENGTH + (int) payload;
            ByteBuf b = batchWithRoom(ch, size);
            b.writeIntLE((int) payload | sequence << 24).writeByte(status); // 3-byte length, sequence id
            if (patch) {
                b.writeBytes(src, index, BinlogEvent.LENGTH_OFFSET).writeIntLE(eventLength)
                        .writeBytes(src, index + BinlogEvent.LOG_POS_OFFSET, eventLength - BinlogEvent.LOG_POS_OFFSET);
            } else {
                b.writeBytes(src, index, length);
            }
            sequence = (sequence + 1) & 0xff;
            if (b.readableBytes() >= BATCH) {
                flushBatch(ch);
            }
            return size;
        }
        ByteBuf body = src;
        int from = index;
        if (patch) {
            // a checksum-unaware client and a large event: the one case sent from a rewritten copy
            body = ch.alloc().buffer(eventLength);
            body.writeBytes(src, index, BinlogEvent.LENGTH_OFFSET).writeIntLE(eventLength)
                    .writeBytes(src, index + BinlogEvent.LOG_POS_OFFSET, eventLength - BinlogEvent.LOG_POS_OFFSET);
            from = 0;
        }
        try {
            long written = 0;
            long offset = -1; // -1: the status byte comes first
            while (true) {
                long left = payload - (offset + 1);
                int n = (int) Math.min(Packet.MAX_PHYSICAL_PAYLOAD, left);
                ByteBuf header = batchWithRoom(ch, Packet.HEADER_LENGTH + 1);
                header.writeMediumLE(n).writeByte(sequence);
                int fromBody = n;
                if (offset < 0 && n > 0) {
                    header.writeByte(status);
                    fromBody = n - 1;
                    offset = 0;
                }
                if (fromBody > 0) {
                    append(ch, body.retainedSlice(from + (int) offset, fromBody));
                    offset += fromBody;
                }
                written += Packet.HEADER_LENGTH + n;
                sequence = (sequence + 1) & 0xff;
                if (n < Packet.MAX_PHYSICAL_PAYLOAD) {
                    return written;
                }
            }
        } finally {
            if (body != src) {
                body.release();
            }
        }
    }

    /** Opens a new channel on the file a large event is sent from; the event's regions close it when all are sent. */
    interface FileOpener {
        FileChannel open() throws IOException;
    }

    /**
     * Queues the packet {@code status} + {@code head} + the file's bytes {@code [filePosition, filePosition +
     * fileLength)} (an event too large to be read into memory for each client): the packet headers, the status byte
     * and {@code head} go as small buffers, the file's bytes as {@link DefaultFileRegion}s (sendfile), one per physical
     * packet, split at 0xFFFFFF bytes as {@link #write} splits. The file is opened once for the event, before anything
     * is queued (a file that cannot be opened leaves no partial packet before the ERR), and its regions share the
     * channel: the last one released closes it, so a client stalled on a 1 GiB event holds one descriptor, not 64.
     * The channel's size estimator must count regions (the server's does), or writability would not see them. Returns
     * the size on the wire.
     */
    long writeFromFile(Channel ch, int status, byte[] head, FileOpener opener, long filePosition, long fileLength)
            throws IOException {
        SharedFile shared = fileLength > 0 ? new SharedFile(opener.open()) : null;
        try {
            long payload = 1L + head.length + fileLength;
            long done = 0; // payload bytes queued
            long written = 0;
            while (true) {
                int n = (int) Math.min(Packet.MAX_PHYSICAL_PAYLOAD, payload - done);
                long packetEnd = done + n;
                ByteBuf b = batchWithRoom(ch, Packet.HEADER_LENGTH + 1 + head.length);
                b.writeMediumLE(n).writeByte(sequence);
                if (done == 0 && n > 0) {
                    b.writeByte(status);
                    done = 1;
                }
                if (done < 1 + head.length && done < packetEnd) {
                    int from = (int) (done - 1);
                    int k = (int) Math.min(head.length - from, packetEnd - done);
                    b.writeBytes(head, from, k);
                    done += k;
                }
                if (packetEnd > done) {
                    long from = filePosition + done - 1 - head.length;
                    long k = packetEnd - done;
                    flushBatch(ch); // what precedes the region, in order
                    ch.write(new SharedFileRegion(shared, from, k), ch.voidPromise());
                    done += k;
                }
                written += Packet.HEADER_LENGTH + n;
                sequence = (sequence + 1) & 0xff;
                if (n < Packet.MAX_PHYSICAL_PAYLOAD) {
                    return written;
                }
            }
        } finally {
            if (shared != null) {
                shared.release(); // the queued regions hold their own references
            }
        }
    }

    /** One open file shared by the regions of one event; closed when the last reference goes. */
    private static final class SharedFile extends AbstractReferenceCounted {
        final FileChannel file;

        SharedFile(FileChannel file) {
            this.file = file;
            OPEN_FILES.incrementAndGet();
        }

        @Override
        protected void deallocate() {
            OPEN_FILES.decrementAndGet();
            try {
                file.close();
            } catch (IOException e) {
                // a read-only channel: nothing was lost
            }
        }

        @Override
        public ReferenceCounted touch(Object hint) {
            return this;
        }
    }

    /** A region of a {@link SharedFile}: holds a reference to it instead of owning (and closing) the channel. */
    private static final class SharedFileRegion extends DefaultFileRegion {
        private final SharedFile shared;

        SharedFileRegion(SharedFile shared, long position, long count) {
            super(shared.file, position, count);
            this.shared = shared;
            shared.retain();
        }

        @Override
        protected void deallocate() {
            shared.release();
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
     * Hands what is gathered to the channel and flushes it (with whatever was written before), so the event loop
     * sends while the dump goes on reading: a write from outside the loop is a task either way, and a flush per batch
     * keeps the channel's own buffer short, so the dump seldom has to stop and be woken again.
     */
    void flushBatch(Channel ch) {
        CompositeByteBuf o = out;
        out = null;
        ByteBuf b = batch;
        batch = null;
        if (o != null) {
            if (b != null) {
                if (b.isReadable()) {
                    o.addComponent(true, b.retainedSlice());
                }
                b.release(); // the slices in o keep what they need of it
            }
            ch.writeAndFlush(o, ch.voidPromise());
        } else if (b != null) {
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
        if (out != null) {
            out.release();
            out = null;
        }
    }

    /**
     * Adds a body slice after what is gathered. The headers gathered so far join the composite as a slice of the
     * batch buffer, which goes on taking the next headers: one pooled buffer for the headers of many large events,
     * so what the composite holds is what Netty's write accounting counts.
     */
    private void append(Channel ch, ByteBuf slice) {
        if (out == null) {
            out = ch.alloc().compositeDirectBuffer(MAX_COMPONENTS + 2);
        }
        if (batch != null && batch.isReadable()) {
            out.addComponent(true, batch.retainedSlice());
            batch.readerIndex(batch.writerIndex());
        }
        out.addComponent(true, slice);
        if (out.readableBytes() >= BATCH || out.numComponents() >= MAX_COMPONENTS) {
            flushBatch(ch);
        }
    }

    private ByteBuf batchWithRoom(Channel ch, int size) {
        if (batch != null && batch.writableBytes() < size) {
            flushBatch(ch); // with the parts before it, in order
        }
        if (batch == null) {
            batch = ch.alloc().ioBuffer(Math.max(BATCH, size));
        }
        return batch;
    }
}

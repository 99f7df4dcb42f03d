package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.Bytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packets as MySQL frames them, whatever path an event takes: copied (small), sliced out of the read buffer (large),
 * split at 0xFFFFFF with an empty trailing packet, and rewritten without its CRC32; in order, with consecutive
 * sequence ids, and the read buffer's bytes released once written.
 */
class FramingTest {

    /** A fake event of {@code length} bytes whose header's length field says so; the rest random. */
    private static byte[] event(Random r, int length) {
        byte[] b = new byte[length];
        r.nextBytes(b);
        Bytes.putU32(b, BinlogEvent.LENGTH_OFFSET, length);
        return b;
    }

    /** Physical packets of the channel's output: {sequence, payload}. */
    private static List<Object[]> packets(EmbeddedChannel ch) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        Object out;
        while ((out = ch.readOutbound()) != null) {
            if (out instanceof FileRegion region) {
                try (WritableByteChannel to = Channels.newChannel(all)) {
                    while (region.transferred() < region.count()) {
                        region.transferTo(to, region.transferred());
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                region.release();
                continue;
            }
            ByteBuf buf = (ByteBuf) out;
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            buf.release();
            all.writeBytes(b);
        }
        byte[] wire = all.toByteArray();
        List<Object[]> packets = new ArrayList<>();
        int o = 0;
        while (o < wire.length) {
            int len = (wire[o] & 0xff) | (wire[o + 1] & 0xff) << 8 | (wire[o + 2] & 0xff) << 16;
            packets.add(new Object[] {wire[o + 3] & 0xff, Arrays.copyOfRange(wire, o + 4, o + 4 + len)});
            o += 4 + len;
        }
        assertThat(o).isEqualTo(wire.length);
        return packets;
    }

    @Test
    void framesSmallLargeSplitAndStrippedEventsInOrder() {
        Random r = new Random(5);
        int[] sizes = {19, 200, Framing.SLICE_THRESHOLD - 2, Framing.SLICE_THRESHOLD - 1, 70_000, 31, 0xFFFFFF - 1,
                0xFFFFFF + 5000, 100, 40_000};
        for (boolean strip : new boolean[] {false, true}) {
            EmbeddedChannel ch = new EmbeddedChannel();
            ch.config().setAllocator(PooledByteBufAllocator.DEFAULT);
            Framing framing = new Framing(1);
            // the events back to back in one pooled buffer, as the dump reads them
            ByteBuf read = PooledByteBufAllocator.DEFAULT.directBuffer();
            List<byte[]> events = new ArrayList<>();
            List<Integer> offsets = new ArrayList<>();
            for (int size : sizes) {
                byte[] e = event(r, size);
                events.add(e);
                offsets.add(read.writerIndex());
                read.writeBytes(e);
            }
            long wire = 0;
            for (int i = 0; i < events.size(); i++) {
                wire += framing.write(ch, 0, read, offsets.get(i), events.get(i).length, strip);
            }
            read.release(); // queued slices keep what they need
            framing.flushBatch(ch);
            ch.flush();
            assertFramed(packets(ch), events, strip, 1, wire, framing);
            assertThat(read.refCnt()).as("the read buffer is released once written").isZero();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void framesEventsSentFromTheirFileAsTheCopiedOnesAreFramed() throws IOException {
        Random r = new Random(7);
        int[] sizes = {200_000, 0xFFFFFF - 1, 0xFFFFFF, 0xFFFFFF + 5000, 130_000};
        Path file = Files.createTempFile("kb-framing", ".bin");
        try {
            List<byte[]> events = new ArrayList<>();
            List<Long> offsets = new ArrayList<>();
            try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
                long at = 4;
                w.position(at);
                for (int size : sizes) {
                    byte[] e = event(r, size);
                    events.add(e);
                    offsets.add(at);
                    w.write(java.nio.ByteBuffer.wrap(e));
                    at += size;
                }
            }
            for (boolean strip : new boolean[] {false, true}) {
                EmbeddedChannel ch = new EmbeddedChannel();
                ch.config().setAllocator(PooledByteBufAllocator.DEFAULT);
                Framing framing = new Framing(250); // sequence ids wrap
                long wire = 0;
                List<FileChannel> opened = new ArrayList<>();
                for (int i = 0; i < events.size(); i++) {
                    byte[] e = events.get(i);
                    byte[] head = Arrays.copyOf(e, BinlogEvent.HEADER_LENGTH);
                    long bodyEnd = offsets.get(i) + e.length;
                    if (strip) {
                        Bytes.putU32(head, BinlogEvent.LENGTH_OFFSET, e.length - 4);
                        bodyEnd -= 4;
                    }
                    long from = offsets.get(i) + head.length;
                    wire += framing.writeFromFile(ch, 0, head, () -> {
                        FileChannel fc = FileChannel.open(file, StandardOpenOption.READ);
                        opened.add(fc);
                        return fc;
                    }, from, bodyEnd - from);
                }
                framing.flushBatch(ch);
                ch.flush();
                assertFramed(packets(ch), events, strip, 250, wire, framing);
                for (FileChannel fc : opened) {
                    assertThat(fc.isOpen()).as("a region closes its file once sent and released").isFalse();
                }
                // events of 2 physical packets with file bytes (0xFFFFFF, 0xFFFFFF + 5000) still open their file once
                assertThat(opened).as("one open file per event, shared by its regions").hasSize(events.size());
                assertThat(Framing.openFiles()).as("files held by queued regions").isZero();
                ch.finishAndReleaseAll();
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** A 40 MiB event (3 physical packets) from a file: one open file while queued, closed once all are sent. */
    @Test
    void anEventOfSeveralPacketsHoldsOneFileUntilItsLastPacketIsSent() throws IOException {
        Path file = Files.createTempFile("kb-framing", ".bin");
        try {
            int size = 40 << 20;
            try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
                w.write(java.nio.ByteBuffer.allocate(1), 4L + size - 1);
            }
            EmbeddedChannel ch = new EmbeddedChannel();
            ch.config().setAllocator(PooledByteBufAllocator.DEFAULT);
            Framing framing = new Framing(1);
            List<FileChannel> opened = new ArrayList<>();
            int before = Framing.openFiles();
            byte[] head = new byte[BinlogEvent.HEADER_LENGTH];
            framing.writeFromFile(ch, 0, head, () -> {
                FileChannel fc = FileChannel.open(file, StandardOpenOption.READ);
                opened.add(fc);
                return fc;
            }, 4 + head.length, size - head.length);
            framing.flushBatch(ch); // queued, not yet flushed: the regions hold the file
            assertThat(opened).as("files opened for one event of 3 packets").hasSize(1);
            assertThat(Framing.openFiles() - before).isEqualTo(1);
            assertThat(opened.get(0).isOpen()).isTrue();
            ch.flush();
            List<Object[]> packets = packets(ch);
            assertThat(packets).hasSize(3);
            assertThat(opened.get(0).isOpen()).as("closed once the last region is sent").isFalse();
            assertThat(Framing.openFiles()).isEqualTo(before);
            ch.finishAndReleaseAll();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** A file that cannot be opened queues nothing of the event: the ERR that follows is read as an ERR. */
    @Test
    void aFileThatCannotBeOpenedQueuesNothing() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Framing framing = new Framing(3);
        byte[] head = new byte[BinlogEvent.HEADER_LENGTH];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> framing.writeFromFile(ch, 0, head, () -> {
            throw new java.io.IOException("Too many open files");
        }, 100, 20 << 20)).isInstanceOf(java.io.IOException.class);
        framing.flushBatch(ch);
        ch.flush();
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(framing.sequence()).isEqualTo(3);
        ch.finishAndReleaseAll();
    }

    private static void assertFramed(List<Object[]> packets, List<byte[]> events, boolean strip, int firstSequence,
                                     long wire, Framing framing) {
        {
            int seq = firstSequence;
            int p = 0;
            long seen = 0;
            for (byte[] e : events) {
                byte[] want = e;
                if (strip && e.length >= BinlogEvent.HEADER_LENGTH + 4) {
                    want = Arrays.copyOf(e, e.length - 4);
                    Bytes.putU32(want, BinlogEvent.LENGTH_OFFSET, want.length);
                }
                ByteArrayOutputStream payload = new ByteArrayOutputStream();
                while (true) {
                    Object[] packet = packets.get(p++);
                    assertThat(packet[0]).as("sequence id").isEqualTo(seq);
                    seq = (seq + 1) & 0xff;
                    byte[] body = (byte[]) packet[1];
                    payload.writeBytes(body);
                    seen += 4 + body.length;
                    if (body.length < 0xFFFFFF) {
                        break;
                    }
                }
                byte[] got = payload.toByteArray();
                assertThat(got[0]).as("OK marker").isZero();
                assertThat(Arrays.copyOfRange(got, 1, got.length)).as("event of %d bytes, strip %s", e.length, strip)
                        .isEqualTo(want);
            }
            assertThat(p).isEqualTo(packets.size());
            assertThat(seen).isEqualTo(wire);
            assertThat(framing.sequence()).isEqualTo(seq);
        }
    }
}

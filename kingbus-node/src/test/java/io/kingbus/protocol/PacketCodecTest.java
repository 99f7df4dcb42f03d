package io.kingbus.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PacketCodecTest {
    private static final int MAX = Packet.MAX_PHYSICAL_PAYLOAD;

    @Test
    void smallPacketRoundTripsWithItsSequenceId() {
        byte[] payload = {3, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1'};
        byte[] wire = encode(new Packet(7, payload));
        assertThat(wire).startsWith(9, 0, 0, 7);
        assertThat(decodeAll(wire, 1 << 20, 3)).containsExactly(new Packet(7, payload));
    }

    @Test
    void emptyPayloadIsOneHeaderOnly() {
        byte[] wire = encode(new Packet(0, new byte[0]));
        assertThat(wire).containsExactly(0, 0, 0, 0);
        assertThat(decodeAll(wire, 100, 1)).containsExactly(new Packet(0, new byte[0]));
    }

    @Test
    void fortyMebibytePayloadIsSplitAndReassembled() {
        byte[] payload = new byte[40 << 20];
        new Random(42).nextBytes(payload);
        Packet packet = new Packet(250, payload);
        byte[] wire = encode(packet);

        // 0xFFFFFF + 0xFFFFFF + the rest, with sequence ids 250, 251, 252
        List<int[]> headers = physicalHeaders(wire);
        assertThat(headers).hasSize(3);
        assertThat(headers.get(0)).containsExactly(MAX, 250);
        assertThat(headers.get(1)).containsExactly(MAX, 251);
        assertThat(headers.get(2)).containsExactly(payload.length - 2 * MAX, 252);
        assertThat(wire).isEqualTo(PacketEncoder.toBytes(packet));

        List<Packet> decoded = decodeAll(wire, PacketDecoder.DEFAULT_MAX_PAYLOAD, 1 << 16);
        assertThat(decoded).hasSize(1);
        assertThat(decoded.get(0).sequenceId()).isEqualTo(250);
        assertThat(decoded.get(0).payload()).isEqualTo(payload);
        assertThat(decoded.get(0).nextSequenceId()).isEqualTo(253 & 0xff);
    }

    @Test
    void aBinlogEventOverOnePacketIsCopiedOnceIntoAnArrayOfTheSizeItsHeaderGives() {
        byte[] payload = eventPayload(40 << 20, 40 << 20);
        ByteBuf wire = Unpooled.wrappedBuffer(encode(new Packet(1, payload)));
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();

        EmbeddedChannel hinted = new EmbeddedChannel(new PacketDecoder(PacketDecoder.DEFAULT_MAX_PAYLOAD,
                PacketDecoder.BINLOG_EVENT_SIZE));
        long before = mx.getThreadAllocatedBytes(id);
        hinted.writeInbound(wire.retainedDuplicate());
        long withHint = mx.getThreadAllocatedBytes(id) - before;
        Packet decoded = hinted.readInbound();
        assertThat(decoded.payload()).isEqualTo(payload);
        assertThat(decoded.sequenceId()).isEqualTo(1);
        hinted.finishAndReleaseAll();

        EmbeddedChannel plain = new EmbeddedChannel(new PacketDecoder(PacketDecoder.DEFAULT_MAX_PAYLOAD));
        before = mx.getThreadAllocatedBytes(id);
        plain.writeInbound(wire);
        long withoutHint = mx.getThreadAllocatedBytes(id) - before;
        assertThat(((Packet) plain.readInbound()).payload()).isEqualTo(payload);
        plain.finishAndReleaseAll();

        assertThat(withHint).as("bytes allocated with the hint").isLessThan(payload.length + (1L << 20));
        assertThat(withoutHint).as("bytes allocated without it").isGreaterThan(2L * payload.length - (1L << 20));
    }

    @Test
    void aWrongSizeHintStillDecodesThePayloadExactly() {
        // the header claims less than the payload (the array is outgrown), or more (it is cut to size)
        for (int claimed : new int[] {MAX + 5, 50 << 20, (1 << 30) + 4096}) {
            byte[] payload = eventPayload(2 * MAX + 77, claimed);
            List<Packet> decoded = decodeAll(encode(new Packet(3, payload)), PacketDecoder.DEFAULT_MAX_PAYLOAD,
                    1 << 16, PacketDecoder.BINLOG_EVENT_SIZE);
            assertThat(decoded).as("event header claiming %d bytes", claimed).hasSize(1);
            assertThat(decoded.get(0).payload()).isEqualTo(payload);
            assertThat(decoded.get(0).nextSequenceId()).isEqualTo(6);
        }
        // not an event at all (a row starting with an empty string, say): decoded as without a hint
        byte[] row = eventPayload(MAX + 1000, 0);
        row[0] = 1;
        assertThat(decodeAll(encode(new Packet(0, row)), PacketDecoder.DEFAULT_MAX_PAYLOAD, 1 << 20,
                PacketDecoder.BINLOG_EVENT_SIZE).get(0).payload()).isEqualTo(row);
    }

    @Test
    void sequenceIdsWrapInsideASplitPayload() {
        byte[] payload = new byte[MAX + 10];
        Packet packet = new Packet(255, payload);
        List<int[]> headers = physicalHeaders(encode(packet));
        assertThat(headers.get(0)).containsExactly(MAX, 255);
        assertThat(headers.get(1)).containsExactly(10, 0);
        assertThat(packet.nextSequenceId()).isEqualTo(1);
    }

    @Test
    void exactMultipleOfTheMaximumGetsAnEmptyTrailingPacket() {
        for (int multiple = 1; multiple <= 2; multiple++) {
            byte[] payload = new byte[multiple * MAX];
            payload[payload.length - 1] = 9;
            byte[] wire = encode(new Packet(1, payload));
            List<int[]> headers = physicalHeaders(wire);
            assertThat(headers).hasSize(multiple + 1);
            assertThat(headers.get(multiple)).containsExactly(0, 1 + multiple);
            assertThat(wire).hasSize(payload.length + 4 * (multiple + 1));
            List<Packet> decoded = decodeAll(wire, PacketDecoder.DEFAULT_MAX_PAYLOAD, 1 << 20);
            assertThat(decoded).hasSize(1);
            assertThat(decoded.get(0).payload()).isEqualTo(payload);
            assertThat(decoded.get(0).nextSequenceId()).isEqualTo(2 + multiple);
        }
    }

    @Test
    void severalPacketsInOneBufferAndSplitAtEveryByte() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<Packet> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] p = new byte[i * 7];
            new Random(i).nextBytes(p);
            expected.add(new Packet(i, p));
            all.writeBytes(encode(new Packet(i, p)));
        }
        assertThat(decodeAll(all.toByteArray(), 1000, 1)).isEqualTo(expected);
        assertThat(decodeAll(all.toByteArray(), 1000, all.size())).isEqualTo(expected);
    }

    @Test
    void payloadOverTheLimitFailsBeforeItsBytesArrive() {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder(1000));
        // Only the header of a 0xFFFFFF-byte packet: the decoder must refuse at once, not buffer 16 MiB first.
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff,
                (byte) 0xff, 0})))
                .isInstanceOf(DecoderException.class)
                .hasCauseInstanceOf(ProtocolException.class)
                .hasMessageContaining("exceeds the limit of 1000 bytes");
    }

    @Test
    void continuedPayloadOverTheLimitFails() {
        byte[] payload = new byte[MAX + 100];
        byte[] wire = encode(new Packet(0, payload));
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder(MAX + 50));
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(wire)))
                .hasCauseInstanceOf(ProtocolException.class)
                .hasMessageContaining("exceeds the limit");
    }

    @Test
    void outOfOrderContinuationFails() {
        byte[] wire = encode(new Packet(3, new byte[MAX + 5]));
        wire[MAX + 4 + 3] = 9; // the second physical packet should be sequence 4
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder());
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(wire)))
                .hasCauseInstanceOf(ProtocolException.class)
                .hasMessageContaining("expected sequence id 4, got 9");
    }

    @Test
    void sequenceTrackerChecksAndAdvancesPerCommand() {
        PacketSequence s = new PacketSequence();
        assertThat(s.send(new byte[3]).sequenceId()).isZero();
        s.received(new Packet(1, new byte[5]));
        s.received(new Packet(2, new byte[MAX]));
        assertThat(s.next()).isEqualTo(4); // a payload of exactly MAX bytes took two physical packets
        assertThatThrownBy(() -> s.received(new Packet(7, new byte[1])))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining("expected sequence id 4, got 7");
        s.reset();
        assertThat(s.send(new byte[1]).sequenceId()).isZero();
    }

    // ------------------------------------------------------------------ helpers

    static byte[] encode(Packet p) {
        EmbeddedChannel ch = new EmbeddedChannel(PacketEncoder.INSTANCE);
        ch.writeOutbound(p);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            out.writeBytes(bytes);
        }
        ch.finishAndReleaseAll();
        return out.toByteArray();
    }

    /** An OK byte and a binlog event of {@code length - 1} bytes whose header claims {@code claimed} bytes. */
    private static byte[] eventPayload(int length, int claimed) {
        byte[] p = new byte[length];
        new Random(length).nextBytes(p);
        p[0] = 0;
        long size = claimed - 1L;
        for (int i = 0; i < 4; i++) {
            p[1 + 9 + i] = (byte) (size >>> (8 * i));
        }
        return p;
    }

    /** Feeds the bytes in slices of {@code slice} bytes. */
    static List<Packet> decodeAll(byte[] wire, int maxPayload, int slice) {
        return decodeAll(wire, maxPayload, slice, first -> -1);
    }

    static List<Packet> decodeAll(byte[] wire, int maxPayload, int slice,
                                  java.util.function.ToLongFunction<ByteBuf> sizeHint) {
        EmbeddedChannel ch = new EmbeddedChannel(new PacketDecoder(maxPayload, sizeHint));
        for (int off = 0; off < wire.length; off += slice) {
            ch.writeInbound(Unpooled.copiedBuffer(wire, off, Math.min(slice, wire.length - off)));
        }
        List<Packet> out = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            out.add((Packet) o);
        }
        ch.finishAndReleaseAll();
        return out;
    }

    /** {length, sequence id} of every physical packet. */
    static List<int[]> physicalHeaders(byte[] wire) {
        List<int[]> out = new ArrayList<>();
        int at = 0;
        while (at < wire.length) {
            int len = (wire[at] & 0xff) | (wire[at + 1] & 0xff) << 8 | (wire[at + 2] & 0xff) << 16;
            out.add(new int[] {len, wire[at + 3] & 0xff});
            at += 4 + len;
        }
        assertThat(at).isEqualTo(wire.length);
        return out;
    }
}

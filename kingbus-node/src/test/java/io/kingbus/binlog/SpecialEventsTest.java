package io.kingbus.binlog;

import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpecialEventsTest {

    @Test
    void fakeRotateRoundTrips() {
        for (ChecksumType c : ChecksumType.values()) {
            BinlogEvent e = RotateEvent.fake(9, "binlog.000042", 4, c);
            assertThat(e.type()).isEqualTo(EventType.ROTATE);
            assertThat(e.isArtificial()).isTrue();
            assertThat(e.logPos()).isZero();
            assertThat(e.timestamp()).isZero();
            assertThat(e.serverId()).isEqualTo(9);
            assertThat(e.checksumMatches(c)).isTrue();
            RotateEvent r = RotateEvent.decode(BinlogEvent.of(e.bytes()), c);
            assertThat(r.nextFile()).isEqualTo("binlog.000042");
            assertThat(r.position()).isEqualTo(4);
            assertThat(r.info()).isEqualTo("binlog.000042;pos=4");
            assertThat(EventInfo.of(e, c, null)).isEqualTo("binlog.000042;pos=4");
        }
        RotateEvent far = RotateEvent.decode(RotateEvent.fake(1, "b.1", 5_000_000_000L, ChecksumType.CRC32),
                ChecksumType.CRC32);
        assertThat(far.position()).isEqualTo(5_000_000_000L);
    }

    @Test
    void heartbeatV1RoundTrips() {
        for (ChecksumType c : ChecksumType.values()) {
            BinlogEvent e = HeartbeatEvent.buildV1(3, "binlog.000007", 0xffff_fff0L, c);
            assertThat(e.type()).isEqualTo(EventType.HEARTBEAT);
            assertThat(e.flags()).as("MySQL sends heartbeats without flags").isZero();
            assertThat(e.checksumMatches(c)).isTrue();
            HeartbeatEvent h = HeartbeatEvent.decode(BinlogEvent.of(e.bytes()), c);
            assertThat(h.file()).isEqualTo("binlog.000007");
            assertThat(h.position()).isEqualTo(0xffff_fff0L);
        }
    }

    @Test
    void heartbeatV2RoundTripsPositionsPast4GiB() {
        for (ChecksumType c : ChecksumType.values()) {
            for (long pos : new long[] {4, 250, 70_000, 5_000_000_000L}) {
                BinlogEvent e = HeartbeatEvent.buildV2(3, "binlog.000007", pos, c);
                assertThat(e.type()).isEqualTo(EventType.HEARTBEAT_V2);
                assertThat(e.checksumMatches(c)).isTrue();
                HeartbeatEvent h = HeartbeatEvent.decode(BinlogEvent.of(e.bytes()), c);
                assertThat(h).isEqualTo(new HeartbeatEvent("binlog.000007", pos));
            }
        }
    }

    @Test
    void previousGtidsRoundTripAndPrintLikeMySql() {
        GtidSet set = GtidSet.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,"
                + "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3");
        BinlogEvent e = PreviousGtidsEvent.build(1, 0, 191, set, ChecksumType.CRC32);
        PreviousGtidsEvent p = PreviousGtidsEvent.decode(e, ChecksumType.CRC32);
        assertThat(p.gtids()).isEqualTo(set);
        assertThat(p.info()).isEqualTo("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,\n"
                + "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-3");
        assertThat(PreviousGtidsEvent.decode(
                PreviousGtidsEvent.build(1, 0, 0, GtidSet.empty(), ChecksumType.OFF), ChecksumType.OFF).info())
                .isEmpty();
    }

    @Test
    void formatDescriptionDecodesBothChecksumSettings() {
        for (ChecksumType c : ChecksumType.values()) {
            BinlogEvent e = TestEvents.fde("8.0.15", c, 124);
            FormatDescription fd = FormatDescription.decode(e);
            assertThat(fd.checksum()).isEqualTo(c);
            assertThat(FormatDescription.checksumOf(e)).isEqualTo(c);
            assertThat(fd.serverVersion()).isEqualTo("8.0.15");
            assertThat(fd.binlogVersion()).isEqualTo(4);
            assertThat(fd.headerLength()).isEqualTo(19);
            assertThat(fd.postHeaderLength(EventType.QUERY)).isEqualTo(13);
            assertThat(fd.postHeaderLength(EventType.TABLE_MAP)).isEqualTo(8);
            assertThat(fd.postHeaderLength(EventType.HEARTBEAT_V2)).isZero();
            assertThat(fd.info()).isEqualTo("Server ver: 8.0.15, Binlog ver: 4");
            assertThat(fd.isMySql80OrLater()).isTrue();
            // the FDE's own trailer is always a CRC32, whatever the algorithm it names for the others
            assertThat(e.checksumMatches(ChecksumType.CRC32)).isTrue();
        }
        assertThat(FormatDescription.decode(TestEvents.fde("5.7.22-log", ChecksumType.CRC32, 123))
                .isMySql80OrLater()).isFalse();
    }

    @Test
    void transactionPayloadHeaderDecodes() {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (long[] f : new long[][] {{2, 0}, {1, 10}, {3, 1234}}) {
            byte[] v = PackedInts.encode(f[1]);
            PackedInts.write(b, f[0]);
            PackedInts.write(b, v.length);
            b.writeBytes(v);
        }
        PackedInts.write(b, 0);
        int headerEnd = b.size();
        b.writeBytes(new byte[10]);
        BinlogEvent e = BinlogEvent.build(EventType.TRANSACTION_PAYLOAD, 1, 0, 0, 0, b.toByteArray(),
                ChecksumType.CRC32);
        TransactionPayloadEvent p = TransactionPayloadEvent.decode(e, ChecksumType.CRC32);
        assertThat(p.payloadSize()).isEqualTo(10);
        assertThat(p.uncompressedSize()).isEqualTo(1234);
        assertThat(p.payloadOffset()).isEqualTo(BinlogEvent.HEADER_LENGTH + headerEnd);
        assertThat(p.info()).isEqualTo("compression='ZSTD', decompressed_size=1234 bytes");
    }
}

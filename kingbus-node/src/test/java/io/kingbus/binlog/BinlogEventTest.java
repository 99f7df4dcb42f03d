package io.kingbus.binlog;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BinlogEventTest {

    @Test
    void buildSetsEveryHeaderField() {
        byte[] body = {1, 2, 3};
        BinlogEvent e = BinlogEvent.build(EventType.XID, 0xfffffffeL, 0xfffffff0L, 0xfffffffdL, 0xabcd, body,
                ChecksumType.OFF);
        assertThat(e.type()).isEqualTo(EventType.XID);
        assertThat(e.typeName()).isEqualTo("Xid");
        assertThat(e.serverId()).isEqualTo(0xfffffffeL);
        assertThat(e.timestamp()).isEqualTo(0xfffffff0L);
        assertThat(e.logPos()).isEqualTo(0xfffffffdL);
        assertThat(e.flags()).isEqualTo(0xabcd);
        assertThat(e.length()).isEqualTo(19 + 3);
        assertThat(Bytes.u32(e.bytes(), BinlogEvent.LENGTH_OFFSET)).isEqualTo(22);
        assertThat(e.body(ChecksumType.OFF).bytes(3)).containsExactly(1, 2, 3);
        assertThat(BinlogEvent.of(e.bytes().clone()).bytes()).isEqualTo(e.bytes());
    }

    @Test
    void crc32IsAppendedAndVerified() {
        byte[] body = {9, 8, 7, 6};
        BinlogEvent e = BinlogEvent.build(EventType.QUERY, 1, 2, 3, 0, body, ChecksumType.CRC32);
        assertThat(e.length()).isEqualTo(19 + 4 + 4);
        long crc = BinlogEvent.crc32(e.bytes(), 0, e.bytes().length - 4);
        assertThat(Bytes.u32(e.bytes(), e.bytes().length - 4)).isEqualTo(crc);
        assertThat(e.checksumMatches(ChecksumType.CRC32)).isTrue();
        assertThat(e.body(ChecksumType.CRC32).remaining()).isEqualTo(4);
        e.verifyChecksum(ChecksumType.CRC32);
    }

    @Test
    void checksumMismatchIsDetectedInHeaderBodyAndTrailer() {
        BinlogEvent good = BinlogEvent.build(EventType.QUERY, 1, 2, 3, 0, new byte[100], ChecksumType.CRC32);
        for (int i : new int[] {0, BinlogEvent.SERVER_ID_OFFSET, BinlogEvent.LOG_POS_OFFSET, 19, 60, 118, 122}) {
            byte[] b = good.bytes().clone();
            b[i] ^= 0x10;
            BinlogEvent bad = BinlogEvent.of(b);
            assertThat(bad.checksumMatches(ChecksumType.CRC32)).as("flip at %d", i).isFalse();
            assertThatThrownBy(() -> bad.verifyChecksum(ChecksumType.CRC32))
                    .isInstanceOf(BinlogFormatException.class).hasMessageContaining("checksum mismatch");
            assertThat(bad.checksumMatches(ChecksumType.OFF)).isTrue();
        }
    }

    @Test
    void formatDescriptionChecksumIgnoresTheInUseFlag() {
        BinlogEvent fde = TestEvents.fde("8.0.15", ChecksumType.CRC32, 124);
        byte[] inUse = fde.bytes().clone();
        inUse[BinlogEvent.FLAGS_OFFSET] |= BinlogEvent.FLAG_BINLOG_IN_USE;
        assertThat(BinlogEvent.of(inUse).checksumMatches(ChecksumType.CRC32)).isTrue();
        inUse[40] ^= 1;
        assertThat(BinlogEvent.of(inUse).checksumMatches(ChecksumType.CRC32)).isFalse();
    }

    @Test
    void withLogPosAndFlagsRewritesACopyWithAFreshChecksum() {
        BinlogEvent e = TestEvents.xid(5, 1000, ChecksumType.CRC32);
        BinlogEvent moved = e.withLogPosAndFlags(0xffff_fff0L, BinlogEvent.FLAG_ARTIFICIAL, ChecksumType.CRC32);
        assertThat(moved.logPos()).isEqualTo(0xffff_fff0L);
        assertThat(moved.isArtificial()).isTrue();
        assertThat(moved.checksumMatches(ChecksumType.CRC32)).isTrue();
        assertThat(e.logPos()).isEqualTo(1000);
        assertThat(XidEvent.decode(moved, ChecksumType.CRC32).xid()).isEqualTo(5);
    }

    @Test
    void eventBodiesLargerThan16MiB() {
        int size = 17 * 1024 * 1024 + 3;
        BinlogEvent e = TestEvents.writeRows(108, size, true, 0xfff0_0000L, ChecksumType.CRC32);
        assertThat(e.length()).isEqualTo(19 + 12 + size + 4L);
        assertThat(e.logPos()).isEqualTo(0xfff0_0000L);
        assertThat(e.checksumMatches(ChecksumType.CRC32)).isTrue();
        BinlogEvent again = BinlogEvent.of(e.bytes());
        RowsEventHeader h = RowsEventHeader.decode(again, ChecksumType.CRC32, null);
        assertThat(h.tableId()).isEqualTo(108);
        assertThat(h.columnCount()).isEqualTo(3);
        assertThat(h.info()).isEqualTo("table_id: 108 flags: STMT_END_F");
    }

    @Test
    void headerLengthsAreUnsigned32Bit() {
        byte[] b = TestEvents.xid(1, 100, ChecksumType.OFF).bytes().clone();
        Bytes.putU32(b, BinlogEvent.LENGTH_OFFSET, 0xffff_fff0L);
        assertThatThrownBy(() -> BinlogEvent.of(b))
                .isInstanceOf(BinlogFormatException.class)
                .hasMessageContaining("4294967280");
        assertThat(Bytes.u32(b, BinlogEvent.LENGTH_OFFSET)).isEqualTo(4_294_967_280L);
        assertThatThrownBy(() -> BinlogEvent.of(new byte[10])).isInstanceOf(BinlogFormatException.class);
    }

    @Test
    void bodyOfAnEventTooShortForItsChecksum() {
        BinlogEvent e = BinlogEvent.build(EventType.STOP, 1, 0, 0, 0, new byte[2], ChecksumType.OFF);
        assertThatThrownBy(() -> e.body(ChecksumType.CRC32)).isInstanceOf(BinlogFormatException.class);
        assertThat(e.checksumMatches(ChecksumType.CRC32)).isFalse();
    }

    @Test
    void eventTypeNamesAreMySqls() {
        assertThat(EventType.name(EventType.FORMAT_DESCRIPTION)).isEqualTo("Format_desc");
        assertThat(EventType.name(EventType.PREVIOUS_GTIDS)).isEqualTo("Previous_gtids");
        assertThat(EventType.name(EventType.WRITE_ROWS)).isEqualTo("Write_rows");
        assertThat(EventType.name(EventType.UPDATE_ROWS)).isEqualTo("Update_rows");
        assertThat(EventType.name(EventType.DELETE_ROWS)).isEqualTo("Delete_rows");
        assertThat(EventType.name(200)).isEqualTo("Unknown");
        assertThat(EventType.name(-1)).isEqualTo("Unknown");
        assertThat(Arrays.asList(EventType.isHeartbeat(27), EventType.isHeartbeat(41), EventType.isGtid(34)))
                .containsOnly(true);
    }
}

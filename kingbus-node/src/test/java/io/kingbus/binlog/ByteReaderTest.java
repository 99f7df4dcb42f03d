package io.kingbus.binlog;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ByteReaderTest {

    @Test
    void packedIntsRoundTripAtEveryBoundary() {
        long[] values = {0, 1, 250, 251, 252, 0xffff, 0x10000, 0xffffff, 0x1000000, 0xffff_ffffL, 1L << 40,
                Long.MAX_VALUE};
        int[] lengths = {1, 1, 1, 3, 3, 3, 4, 4, 9, 9, 9, 9};
        for (int i = 0; i < values.length; i++) {
            byte[] enc = PackedInts.encode(values[i]);
            assertThat(enc).as("encoding of %d", values[i]).hasSize(lengths[i]);
            ByteReader r = new ByteReader(enc, 0, enc.length);
            assertThat(r.packedInt()).isEqualTo(values[i]);
            assertThat(r.remaining()).isZero();
        }
        assertThat(new ByteReader(new byte[] {(byte) 0xfb}, 0, 1).packedInt()).isEqualTo(-1);
    }

    @Test
    void everyReadIsBoundsChecked() {
        byte[] b = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        ByteReader r = new ByteReader(b, 2, 5); // 3 bytes visible
        assertThatThrownBy(r::u32).isInstanceOf(BinlogFormatException.class);
        assertThat(r.u16()).isEqualTo(3 | 4 << 8);
        assertThatThrownBy(r::u16).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> r.bytes(2)).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> r.bytes(-1)).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> r.skip(-5)).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> r.fixedString(50)).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> r.uint(8)).isInstanceOf(BinlogFormatException.class);
        assertThat(r.u8()).isEqualTo(5);
        assertThatThrownBy(r::u8).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> new ByteReader(b, 5, 11)).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> new ByteReader(b, 6, 5)).isInstanceOf(BinlogFormatException.class);
    }

    @Test
    void hostilePackedLengthsThrowFormatExceptions() {
        byte[][] hostile = {
            {(byte) 0xfe, -1, -1, -1, -1, -1, -1, -1, -1, 0},   // 2^64-1: negative as a long
            {(byte) 0xfe, 0, 0, 0, (byte) 0x80, 0, 0, 0, 0, 0}, // 2^31: past int
            {(byte) 0xfe, -1, -1, -1, 0x7f, 0, 0, 0, 0, 0},     // 2^31-1: too long for what is left
            {(byte) 0xfd, -1, -1, -1, 0},                       // 16M
            {(byte) 0xfc, 10, 0, 1, 2},                         // 10 bytes, 2 left
            {(byte) 0xfb},                                      // NULL is no length
            {(byte) 0xff, 0},                                   // no such prefix
            {(byte) 0xfe, 1, 2},                                // the integer itself is cut off
        };
        for (byte[] h : hostile) {
            ByteReader r = new ByteReader(h, 0, h.length);
            assertThatThrownBy(() -> r.packedLength("field")).isInstanceOf(BinlogFormatException.class);
        }
    }

    @Test
    void hostileEventBodiesNeverEscapeAsIndexErrors() {
        ChecksumType c = ChecksumType.CRC32;
        // TABLE_MAP: column count 2^31-1
        ByteArrayOutputStream tm = new ByteArrayOutputStream();
        tm.writeBytes(new byte[] {108, 0, 0, 0, 0, 0, 1, 0, 1, 'd', 0, 1, 't', 0});
        tm.writeBytes(new byte[] {(byte) 0xfe, -1, -1, -1, 0x7f, 0, 0, 0, 0});
        BinlogEvent tableMap = BinlogEvent.build(EventType.TABLE_MAP, 1, 0, 0, 0, tm.toByteArray(), c);
        assertThatThrownBy(() -> TableMapEvent.decode(tableMap, c, null)).isInstanceOf(BinlogFormatException.class);
        // TABLE_MAP: database name longer than the event
        BinlogEvent tm2 = BinlogEvent.build(EventType.TABLE_MAP, 1, 0, 0, 0,
                new byte[] {108, 0, 0, 0, 0, 0, 1, 0, (byte) 200, 'd', 0}, c);
        assertThatThrownBy(() -> TableMapEvent.decode(tm2, c, null)).isInstanceOf(BinlogFormatException.class);
        // ROWS v2: huge column count
        BinlogEvent rows = BinlogEvent.build(EventType.WRITE_ROWS, 1, 0, 0, 0,
                new byte[] {108, 0, 0, 0, 0, 0, 1, 0, 2, 0, (byte) 0xfd, -1, -1, -1}, c);
        assertThatThrownBy(() -> RowsEventHeader.decode(rows, c, null)).isInstanceOf(BinlogFormatException.class);
        // ROWS v2: extra-data length past the end
        BinlogEvent rows2 = BinlogEvent.build(EventType.UPDATE_ROWS, 1, 0, 0, 0,
                new byte[] {108, 0, 0, 0, 0, 0, 1, 0, -1, -1, 1}, c);
        assertThatThrownBy(() -> RowsEventHeader.decode(rows2, c, null)).isInstanceOf(BinlogFormatException.class);
        // QUERY: database length past the end, status length past the end
        BinlogEvent q = BinlogEvent.build(EventType.QUERY, 1, 0, 0, 0,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, (byte) 250, 0, 0, 0, 0, 'x'}, c);
        assertThatThrownBy(() -> QueryEvent.decode(q, c, null)).isInstanceOf(BinlogFormatException.class);
        BinlogEvent q2 = BinlogEvent.build(EventType.QUERY, 1, 0, 0, 0,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 2, 2}, c);
        assertThatThrownBy(() -> QueryEvent.decode(q2, c, null)).isInstanceOf(BinlogFormatException.class);
        // QUERY: truncated status variables
        BinlogEvent q3 = BinlogEvent.build(EventType.QUERY, 1, 0, 0, 0,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 5, 5, 0, 'x'}, c);
        assertThatThrownBy(() -> QueryEvent.decode(q3, c, null)).isInstanceOf(BinlogFormatException.class);
        // HEARTBEAT v2: field length 2^40
        BinlogEvent hb = BinlogEvent.build(EventType.HEARTBEAT_V2, 1, 0, 0, 0,
                new byte[] {1, (byte) 0xfe, 0, 0, 0, 0, 1, 0, 0, 0, 'x'}, c);
        assertThatThrownBy(() -> HeartbeatEvent.decode(hb, c)).isInstanceOf(BinlogFormatException.class);
        // TRANSACTION_PAYLOAD: field length past the end
        BinlogEvent tp = BinlogEvent.build(EventType.TRANSACTION_PAYLOAD, 1, 0, 0, 0, new byte[] {1, 100, 1}, c);
        assertThatThrownBy(() -> TransactionPayloadEvent.decode(tp, c)).isInstanceOf(BinlogFormatException.class);
        // GTID, XID, ROTATE, PREVIOUS_GTIDS: cut short
        BinlogEvent g = BinlogEvent.build(EventType.GTID, 1, 0, 0, 0, new byte[] {1, 2, 3}, c);
        assertThatThrownBy(() -> GtidEvent.decode(g, c)).isInstanceOf(BinlogFormatException.class);
        BinlogEvent x = BinlogEvent.build(EventType.XID, 1, 0, 0, 0, new byte[] {1, 2, 3}, c);
        assertThatThrownBy(() -> XidEvent.decode(x, c)).isInstanceOf(BinlogFormatException.class);
        BinlogEvent rot = BinlogEvent.build(EventType.ROTATE, 1, 0, 0, 0, new byte[] {4, 0, 0}, c);
        assertThatThrownBy(() -> RotateEvent.decode(rot, c)).isInstanceOf(BinlogFormatException.class);
        BinlogEvent pg = BinlogEvent.build(EventType.PREVIOUS_GTIDS, 1, 0, 0, 0,
                new byte[] {-1, -1, -1, -1, 0, 0, 0, 0, 1, 2, 3}, c);
        assertThatThrownBy(() -> PreviousGtidsEvent.decode(pg, c)).isInstanceOf(BinlogFormatException.class);
        // FORMAT_DESCRIPTION: too short
        BinlogEvent fde = BinlogEvent.build(EventType.FORMAT_DESCRIPTION, 1, 0, 0, 0, new byte[] {4, 0}, c);
        assertThatThrownBy(() -> FormatDescription.decode(fde)).isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> FormatDescription.checksumOf(fde)).isInstanceOf(BinlogFormatException.class);
    }

    @Test
    void tableMapWithATruncatedOptionalMetadataTrailerStillDecodes() {
        BinlogEvent full = TestEvents.tableMap(108, "shop", "t", 0, ChecksumType.OFF);
        TableMapEvent tm = TableMapEvent.decode(full, ChecksumType.OFF, null);
        assertThat(tm.optionalMetadata()).containsOnlyKeys(1, 4);
        byte[] body = full.body(ChecksumType.OFF).bytes((int) full.length() - 19);
        byte[] cut = java.util.Arrays.copyOf(body, body.length - 3);
        TableMapEvent partial = TableMapEvent.decode(
                BinlogEvent.build(EventType.TABLE_MAP, 1, 0, 0, 0, cut, ChecksumType.OFF), ChecksumType.OFF, null);
        assertThat(partial.table()).isEqualTo("t");
        assertThat(partial.columnCount()).isEqualTo(3);
        assertThat(partial.optionalMetadata()).containsOnlyKeys(1);
    }

    @Test
    void gtidEventDecodesEveryField() {
        UUID sid = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
        GtidEvent g = GtidEvent.decode(TestEvents.gtid(sid, 23, 0, ChecksumType.CRC32), ChecksumType.CRC32);
        assertThat(g.sid()).isEqualTo(sid);
        assertThat(g.gno()).isEqualTo(23);
        assertThat(g.lastCommitted()).isEqualTo(22);
        assertThat(g.sequenceNumber()).isEqualTo(23);
        assertThat(g.immediateCommitTimestamp()).isEqualTo(1_700_000_000_123_456L);
        assertThat(g.originalCommitTimestamp()).isEqualTo(1_700_000_000_123_456L);
        assertThat(g.transactionLength()).isEqualTo(300);
        assertThat(g.immediateServerVersion()).isEqualTo(80015);
        assertThat(g.info()).isEqualTo("SET @@SESSION.GTID_NEXT= '3e11fa47-71ca-11e1-9e33-c80aa9429562:23'");
        GtidEvent anon = GtidEvent.decode(TestEvents.anonymousGtid(0, ChecksumType.OFF), ChecksumType.OFF);
        assertThat(anon.gtid()).isNull();
        assertThat(anon.info()).isEqualTo("SET @@SESSION.GTID_NEXT= 'ANONYMOUS'");
        assertThat(anon.immediateCommitTimestamp()).isEqualTo(-1);
    }

    @Test
    void queryEventInfoIsMySqls() {
        ChecksumType c = ChecksumType.CRC32;
        assertThat(QueryEvent.decode(TestEvents.query("", "BEGIN", 0, c), c, null).info()).isEqualTo("BEGIN");
        QueryEvent ddl = QueryEvent.decode(TestEvents.query("shop", "DROP TABLE t", 77, 0, c), c, null);
        assertThat(ddl.ddlXid()).isEqualTo(77);
        assertThat(ddl.info()).isEqualTo("use `shop`; DROP TABLE t /* xid=77 */");
        assertThat(QueryEvent.decode(TestEvents.query("a`b", "DROP TABLE t", 0, c), c, null).info())
                .isEqualTo("use `a``b`; DROP TABLE t");
        assertThat(XidEvent.decode(TestEvents.xid(-1L, 0, c), c).info())
                .isEqualTo("COMMIT /* xid=18446744073709551615 */");
    }
}

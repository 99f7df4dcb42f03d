package io.kingbus.binlog;

/**
 * The header of a WRITE/UPDATE/DELETE_ROWS event (v0, v1, v2, and 8.0's partial update): the table id,
 * flags, the v2 extra data, the column count and the columns-present bitmaps. Row images are not decoded.
 */
public record RowsEventHeader(int type, long tableId, int flags, byte[] extraData, int columnCount,
                              byte[] columnsBefore, byte[] columnsAfter) {

    public static final int STMT_END_F = 0x1;

    public static RowsEventHeader decode(BinlogEvent event, ChecksumType checksum, FormatDescription fd) {
        int type = event.type();
        if (!EventType.isRowsEvent(type)) {
            throw new BinlogFormatException("expected a rows event, got " + event.typeName());
        }
        ByteReader r = event.body(checksum);
        int defaultPostHeader = isV2(type) ? 10 : 8;
        int postHeader = fd == null ? defaultPostHeader : fd.postHeaderLength(type);
        long tableId = postHeader == 6 ? r.u32() : r.uint(6);
        int flags = r.u16();
        byte[] extra = new byte[0];
        if (isV2(type)) {
            int extraLength = r.u16();
            if (extraLength < 2) {
                throw new BinlogFormatException("rows event extra-data length " + extraLength + " < 2");
            }
            extra = r.bytes(extraLength - 2);
        }
        int columns = r.packedLength("column count");
        byte[] before = r.bytes((columns + 7) / 8);
        byte[] after = isUpdate(type) ? r.bytes((columns + 7) / 8) : before;
        return new RowsEventHeader(type, tableId, flags, extra, columns, before, after);
    }

    private static boolean isV2(int type) {
        return type >= EventType.WRITE_ROWS && type <= EventType.DELETE_ROWS || type == EventType.PARTIAL_UPDATE_ROWS;
    }

    private static boolean isUpdate(int type) {
        return type == EventType.UPDATE_ROWS || type == EventType.UPDATE_ROWS_V1
                || type == EventType.PRE_GA_UPDATE_ROWS || type == EventType.PARTIAL_UPDATE_ROWS;
    }

    public boolean isStatementEnd() {
        return (flags & STMT_END_F) != 0;
    }

    /** "table_id: 108 flags: STMT_END_F", as SHOW BINLOG EVENTS prints it. */
    public String info() {
        return "table_id: " + tableId + (isStatementEnd() ? " flags: STMT_END_F" : "");
    }
}

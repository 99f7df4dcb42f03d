package io.kingbus.binlog;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TABLE_MAP_EVENT: binds a table id to a table and its column types for the row events that follow.
 * MySQL 8.0 appends optional metadata (type-length-value fields) after the null bitmap; those are kept
 * as raw bytes by field type, and unknown or truncated trailers are tolerated.
 */
public record TableMapEvent(long tableId, int flags, String database, String table, int columnCount,
                            byte[] columnTypes, byte[] columnMetadata, byte[] nullBitmap,
                            Map<Integer, byte[]> optionalMetadata) {

    public static TableMapEvent decode(BinlogEvent event, ChecksumType checksum, FormatDescription fd) {
        ByteReader r = event.body(checksum);
        int postHeader = fd == null ? 8 : fd.postHeaderLength(EventType.TABLE_MAP);
        long tableId = postHeader == 6 ? r.u32() : r.uint(6);
        int flags = r.u16();
        String db = r.string(r.u8());
        r.skip(1);
        String table = r.string(r.u8());
        r.skip(1);
        int columnCount = r.packedLength("column count");
        byte[] types = r.bytes(columnCount);
        byte[] metadata = r.bytes(r.packedLength("column metadata"));
        byte[] nullBitmap = r.bytes((columnCount + 7) / 8);
        Map<Integer, byte[]> optional = new LinkedHashMap<>();
        try {
            while (r.remaining() > 0) {
                int fieldType = r.u8();
                optional.put(fieldType, r.bytes(r.packedLength("optional metadata")));
            }
        } catch (BinlogFormatException truncatedTrailer) {
            // Optional metadata is advisory: a trailer we cannot read does not make the event unusable.
        }
        return new TableMapEvent(tableId, flags, db, table, columnCount, types, metadata, nullBitmap,
                Collections.unmodifiableMap(optional));
    }

    /** "table_id: 108 (db.tbl)", as SHOW BINLOG EVENTS prints it. */
    public String info() {
        return "table_id: " + tableId + " (" + database + "." + table + ")";
    }
}

package io.kingbus.binlog;

import io.kingbus.gtid.GtidSet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/** Builds synthetic binlog events and files shaped like MySQL 5.7/8.0 writes them. */
public final class TestEvents {
    public static final long SERVER_ID = 7;
    public static final long TS = 1_700_000_000L;

    private TestEvents() {
    }

    /** Post-header lengths as a MySQL 8.0 server declares them (index = type - 1). */
    public static byte[] postHeaderLengths() {
        byte[] p = new byte[EventType.HEARTBEAT_V2];
        int[][] known = {
            {EventType.START_V3, 56}, {EventType.QUERY, 13}, {EventType.ROTATE, 8}, {EventType.LOAD, 18},
            {EventType.CREATE_FILE, 4}, {EventType.APPEND_BLOCK, 4}, {EventType.EXEC_LOAD, 4},
            {EventType.DELETE_FILE, 4}, {EventType.NEW_LOAD, 18}, {EventType.FORMAT_DESCRIPTION, 98},
            {EventType.BEGIN_LOAD_QUERY, 4}, {EventType.EXECUTE_LOAD_QUERY, 26}, {EventType.TABLE_MAP, 8},
            {EventType.WRITE_ROWS_V1, 8}, {EventType.UPDATE_ROWS_V1, 8}, {EventType.DELETE_ROWS_V1, 8},
            {EventType.INCIDENT, 2}, {EventType.WRITE_ROWS, 10}, {EventType.UPDATE_ROWS, 10},
            {EventType.DELETE_ROWS, 10}, {EventType.GTID, 42}, {EventType.ANONYMOUS_GTID, 42},
            {EventType.TRANSACTION_CONTEXT, 18}, {EventType.VIEW_CHANGE, 52}, {EventType.PARTIAL_UPDATE_ROWS, 10},
            {EventType.TRANSACTION_PAYLOAD, 40},
        };
        for (int[] k : known) {
            p[k[0] - 1] = (byte) k[1];
        }
        return p;
    }

    /**
     * A FORMAT_DESCRIPTION event as a checksum-aware server writes it: the algorithm byte, then a 4-byte
     * CRC32 over the event even when the algorithm is OFF (MySQL always fills that room).
     */
    public static BinlogEvent fde(String serverVersion, ChecksumType alg, long logPos) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        le(b, 4, 2);
        byte[] v = new byte[50];
        byte[] vs = serverVersion.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(vs, 0, v, 0, vs.length);
        b.writeBytes(v);
        le(b, TS, 4);
        b.write(19);
        b.writeBytes(postHeaderLengths());
        b.write(alg.code());
        return BinlogEvent.build(EventType.FORMAT_DESCRIPTION, SERVER_ID, TS, logPos, 0, b.toByteArray(),
                ChecksumType.CRC32);
    }

    public static BinlogEvent previousGtids(GtidSet set, long logPos, ChecksumType c) {
        return PreviousGtidsEvent.build(SERVER_ID, TS, logPos, set, c);
    }

    /** A MySQL 8.0-shaped GTID event (with commit timestamps, transaction length and server version). */
    public static BinlogEvent gtid(UUID sid, long gno, long logPos, ChecksumType c) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(1);
        be(b, sid.getMostSignificantBits());
        be(b, sid.getLeastSignificantBits());
        le(b, gno, 8);
        b.write(2);
        le(b, gno - 1, 8);
        le(b, gno, 8);
        le(b, 1_700_000_000_123_456L, 7);
        PackedInts.write(b, 300);
        le(b, 80015, 4);
        return BinlogEvent.build(EventType.GTID, SERVER_ID, TS, logPos, 0, b.toByteArray(), c);
    }

    /** A MySQL 5.7-shaped anonymous GTID event (logical clock only). */
    public static BinlogEvent anonymousGtid(long logPos, ChecksumType c) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(1);
        b.writeBytes(new byte[16 + 8]);
        b.write(2);
        le(b, 0, 8);
        le(b, 1, 8);
        return BinlogEvent.build(EventType.ANONYMOUS_GTID, SERVER_ID, TS, logPos, 0, b.toByteArray(), c);
    }

    public static BinlogEvent query(String db, String sql, long logPos, ChecksumType c) {
        return query(db, sql, -1, logPos, c);
    }

    /** A QUERY event; {@code ddlXid >= 0} adds 8.0's Q_DDL_LOGGED_WITH_XID status variable. */
    public static BinlogEvent query(String db, String sql, long ddlXid, long logPos, ChecksumType c) {
        ByteArrayOutputStream status = new ByteArrayOutputStream();
        status.write(0); // Q_FLAGS2
        le(status, 0, 4);
        status.write(1); // Q_SQL_MODE
        le(status, 0x4000_0000L, 8);
        status.write(6); // Q_CATALOG_NZ
        status.write(3);
        status.writeBytes("std".getBytes(StandardCharsets.US_ASCII));
        status.write(4); // Q_CHARSET
        le(status, 33, 2);
        le(status, 33, 2);
        le(status, 255, 2);
        if (ddlXid >= 0) {
            status.write(17);
            le(status, ddlXid, 8);
        }
        byte[] dbBytes = db.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        le(b, 42, 4);
        le(b, 0, 4);
        b.write(dbBytes.length);
        le(b, 0, 2);
        le(b, status.size(), 2);
        b.writeBytes(status.toByteArray());
        b.writeBytes(dbBytes);
        b.write(0);
        b.writeBytes(sql.getBytes(StandardCharsets.UTF_8));
        return BinlogEvent.build(EventType.QUERY, SERVER_ID, TS, logPos, 0, b.toByteArray(), c);
    }

    public static BinlogEvent xid(long xid, long logPos, ChecksumType c) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        le(b, xid, 8);
        return BinlogEvent.build(EventType.XID, SERVER_ID, TS, logPos, 0, b.toByteArray(), c);
    }

    /** A TABLE_MAP for (id INT, doc JSON, data LONGBLOB) with 8.0 optional metadata (signedness, column names). */
    public static BinlogEvent tableMap(long tableId, String db, String table, long logPos, ChecksumType c) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        le(b, tableId, 6);
        le(b, 1, 2);
        b.write(db.length());
        b.writeBytes(db.getBytes(StandardCharsets.UTF_8));
        b.write(0);
        b.write(table.length());
        b.writeBytes(table.getBytes(StandardCharsets.UTF_8));
        b.write(0);
        PackedInts.write(b, 3);
        b.write(3);    // LONG
        b.write(245);  // JSON
        b.write(252);  // BLOB
        PackedInts.write(b, 2);
        b.write(4);    // JSON length bytes
        b.write(4);    // LONGBLOB length bytes
        b.write(0b110); // nullable: doc, data
        b.write(1);    // SIGNEDNESS
        PackedInts.write(b, 1);
        b.write(0);
        b.write(4);    // COLUMN_NAME
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        for (String n : List.of("id", "doc", "data")) {
            PackedInts.write(names, n.length());
            names.writeBytes(n.getBytes(StandardCharsets.UTF_8));
        }
        PackedInts.write(b, names.size());
        b.writeBytes(names.toByteArray());
        return BinlogEvent.build(EventType.TABLE_MAP, SERVER_ID, TS, logPos, 0, b.toByteArray(), c);
    }

    /** A WRITE_ROWS (v2) event with an opaque row image of {@code rowBytes} bytes. */
    public static BinlogEvent writeRows(long tableId, int rowBytes, boolean stmtEnd, long logPos, ChecksumType c) {
        byte[] body = new byte[6 + 2 + 2 + 1 + 1 + rowBytes];
        Bytes.putU32(body, 0, tableId);
        Bytes.putU16(body, 4, (int) (tableId >>> 32));
        Bytes.putU16(body, 6, stmtEnd ? RowsEventHeader.STMT_END_F : 0);
        Bytes.putU16(body, 8, 2);
        body[10] = 3;
        body[11] = 0b111;
        for (int i = 12; i < body.length; i++) {
            body[i] = (byte) ('x' + i % 3);
        }
        return BinlogEvent.build(EventType.WRITE_ROWS, SERVER_ID, TS, logPos, 0, body, c);
    }

    public static BinlogEvent rotate(String next, long logPos, ChecksumType c) {
        byte[] name = next.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[8 + name.length];
        Bytes.putU64(body, 0, 4);
        System.arraycopy(name, 0, body, 8, name.length);
        return BinlogEvent.build(EventType.ROTATE, SERVER_ID, TS, logPos, 0, body, c);
    }

    /** Lays events out as a binlog file would: fixes each event's log_pos to its end offset. */
    public static byte[] file(List<Builder> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(BinlogFileReader.MAGIC);
        for (Builder e : events) {
            BinlogEvent probe = e.at(0);
            long end = out.size() + probe.length();
            out.writeBytes(e.at(end).bytes());
        }
        return out.toByteArray();
    }

    /** An event whose log_pos is filled in once its place in the file is known. */
    @FunctionalInterface
    public interface Builder {
        BinlogEvent at(long logPos);
    }

    /** A small well-formed 8.0-style file: FDE, PREVIOUS_GTIDS, a DDL, a row transaction, a ROTATE. */
    public static List<Builder> sampleFile(UUID sid, ChecksumType c) {
        GtidSet prev = GtidSet.parse(sid + ":1-3");
        return List.of(
                p -> fde("8.0.15", c, p),
                p -> previousGtids(prev, p, c),
                p -> gtid(sid, 4, p, c),
                p -> query("shop", "CREATE TABLE t (id INT PRIMARY KEY, doc JSON, data LONGBLOB)", 12, p, c),
                p -> gtid(sid, 5, p, c),
                p -> query("", "BEGIN", p, c),
                p -> tableMap(108, "shop", "t", p, c),
                p -> writeRows(108, 40, true, p, c),
                p -> xid(21, p, c),
                p -> rotate("binlog.000002", p, c));
    }

    public static Path writeFile(Path dir, String name, byte[] content) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    static void le(ByteArrayOutputStream b, long v, int n) {
        for (int i = 0; i < n; i++) {
            b.write((int) (v >>> (8 * i)) & 0xff);
        }
    }

    static void be(ByteArrayOutputStream b, long v) {
        for (int i = 7; i >= 0; i--) {
            b.write((int) (v >>> (8 * i)) & 0xff);
        }
    }
}

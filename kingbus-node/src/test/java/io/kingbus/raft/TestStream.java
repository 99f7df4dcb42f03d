package io.kingbus.raft;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.GtidSet;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A simulated primary's dump stream with correct positions, and the bytes each binlog file must then hold.
 * Each step returns a {@link Batch}: the file its first event belongs to, and the events.
 */
final class TestStream {
    static final long TABLE_ID = 108;

    record Batch(String file, List<byte[]> events) {
    }

    private final UUID uuid;
    private final ChecksumType checksum = ChecksumType.CRC32;
    private final Map<String, ByteArrayOutputStream> files = new LinkedHashMap<>();
    private final GtidSet executed = GtidSet.empty();
    private int fileNumber = 1;
    private String current;
    private long gno = 1;
    private long xid = 1000;

    TestStream(UUID uuid) {
        this.uuid = uuid;
    }

    static String fileName(int n) {
        return String.format("mysql-bin.%06d", n);
    }

    /** The fake rotate, FORMAT_DESCRIPTION and PREVIOUS_GTIDS of the first file. */
    Batch start() {
        current = fileName(fileNumber);
        List<byte[]> out = new ArrayList<>();
        out.add(RotateEvent.fake(TestEvents.SERVER_ID, current, 4, checksum).bytes());
        openFile(out);
        return new Batch(current, out);
    }

    /** GTID, BEGIN, TABLE_MAP, WRITE_ROWS × rows, XID. */
    Batch transaction(int rows, int rowBytes) {
        String file = current;
        List<byte[]> out = new ArrayList<>();
        long g = gno++;
        add(out, p -> TestEvents.gtid(uuid, g, p, checksum));
        add(out, p -> TestEvents.query("", "BEGIN", p, checksum));
        add(out, p -> TestEvents.tableMap(TABLE_ID, "shop", "t", p, checksum));
        for (int i = 0; i < rows; i++) {
            boolean last = i == rows - 1;
            add(out, p -> TestEvents.writeRows(TABLE_ID, rowBytes, last, p, checksum));
        }
        long x = xid++;
        add(out, p -> TestEvents.xid(x, p, checksum));
        executed.add(new io.kingbus.gtid.Gtid(uuid, g));
        return new Batch(file, out);
    }

    /** The ROTATE ending the current file, then the next file's FORMAT_DESCRIPTION and PREVIOUS_GTIDS. */
    Batch rotate() {
        String file = current;
        List<byte[]> out = new ArrayList<>();
        String next = fileName(fileNumber + 1);
        add(out, p -> TestEvents.rotate(next, p, checksum));
        fileNumber++;
        current = next;
        openFile(out);
        return new Batch(file, out);
    }

    /** Several steps in one batch (as a syncer batches them). */
    static Batch concat(List<Batch> batches) {
        List<byte[]> all = new ArrayList<>();
        for (Batch b : batches) {
            all.addAll(b.events());
        }
        return new Batch(batches.get(0).file(), all);
    }

    private void openFile(List<byte[]> out) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.writeBytes(BinlogFileReader.MAGIC);
        files.put(current, f);
        GtidSet prev = executed.copy();
        add(out, p -> TestEvents.fde("8.0.15", checksum, p));
        add(out, p -> TestEvents.previousGtids(prev, p, checksum));
    }

    private void add(List<byte[]> out, TestEvents.Builder b) {
        ByteArrayOutputStream f = files.get(current);
        long pos = f.size();
        long length = b.at(0).length();
        BinlogEvent e = b.at(pos + length);
        f.writeBytes(e.bytes());
        out.add(e.bytes());
    }

    String currentFile() {
        return current;
    }

    /** What every store must hold: file name → bytes. */
    Map<String, byte[]> expectedFiles() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        files.forEach((k, v) -> out.put(k, v.toByteArray()));
        return out;
    }
}

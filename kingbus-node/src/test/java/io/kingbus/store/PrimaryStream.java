package io.kingbus.store;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * A simulated MySQL primary: produces the events of its dump stream with correct log_pos values and keeps the
 * bytes every binlog file must hold (magic + events) and the executed GTID set, so tests can compare a store
 * byte for byte.
 *
 * <p>Each method returns the events the primary sends for that step. {@link #events()} is the whole stream so far
 * (the initial fake rotate included), each event tagged with the file it belongs to, for batching.
 */
public final class PrimaryStream {
    static final String DB = "shop";
    static final long TABLE_ID = 108;

    /** One event of the stream: the file it belongs to, where it starts there (-1: artificial), its transaction. */
    record StreamEvent(String file, long position, byte[] bytes, Gtid gtid, boolean completes) {
        long end() {
            return position + bytes.length;
        }
    }

    /** A complete unit as stored: a transaction (gtid non-null) or a standalone event (FDE, PREVIOUS_GTIDS, ROTATE). */
    record Unit(String file, long start, long end, Gtid gtid) {
    }

    private final UUID uuid;
    private final ChecksumType checksum;
    private final String base;
    private final Map<String, ByteArrayOutputStream> files = new LinkedHashMap<>();
    private final Map<String, GtidSet> previous = new LinkedHashMap<>();
    private final List<StreamEvent> events = new ArrayList<>();
    private final List<Unit> units = new ArrayList<>();
    private final GtidSet executed;
    private final Map<UUID, Long> nextGno = new LinkedHashMap<>();
    private int fileNumber;
    private String current;
    private long xid = 1000;
    private Gtid openGtid;
    private long openStart;

    public PrimaryStream(UUID uuid, ChecksumType checksum) {
        this(uuid, checksum, "mysql-bin", 1, GtidSet.empty());
    }

    /** A primary whose first file in the stream is {@code base.firstNumber}, having executed {@code before} already. */
    PrimaryStream(UUID uuid, ChecksumType checksum, String base, int firstNumber, GtidSet before) {
        this.uuid = uuid;
        this.checksum = checksum;
        this.base = base;
        this.fileNumber = firstNumber;
        this.executed = before.copy();
        for (UUID sid : before.sids()) {
            nextGno.put(sid, before.lastGno(sid) + 1);
        }
    }

    UUID uuid() {
        return uuid;
    }

    ChecksumType checksum() {
        return checksum;
    }

    static String fileName(String base, int number) {
        return String.format("%s.%06d", base, number);
    }

    // ------------------------------------------------------------------ stream steps

    /** The start of the dump: fake rotate to the first file, its FORMAT_DESCRIPTION and PREVIOUS_GTIDS. */
    public List<byte[]> start() {
        if (current != null) {
            throw new IllegalStateException("already started");
        }
        current = fileName(base, fileNumber);
        int mark = events.size();
        events.add(new StreamEvent(current, -1, RotateEvent.fake(TestEvents.SERVER_ID, current, 4, checksum).bytes(),
                null, true));
        openFile();
        return bytesFrom(mark);
    }

    /** GTID, BEGIN, TABLE_MAP, WRITE_ROWS × rows, XID. */
    public List<byte[]> transaction(int rows, int rowBytes) {
        return transactionAs(uuid, rows, rowBytes);
    }

    /** A transaction with another source's GTID (replicated through this primary). */
    List<byte[]> transactionAs(UUID sid, int rows, int rowBytes) {
        int mark = events.size();
        Gtid g = beginTrx(sid);
        add(p -> TestEvents.query("", "BEGIN", p, checksum));
        add(p -> TestEvents.tableMap(TABLE_ID, DB, "t", p, checksum));
        for (int i = 0; i < rows; i++) {
            boolean last = i == rows - 1;
            add(p -> TestEvents.writeRows(TABLE_ID, rowBytes, last, p, checksum));
        }
        long x = xid++;
        add(p -> TestEvents.xid(x, p, checksum));
        endTrx(g);
        return bytesFrom(mark);
    }

    /** GTID + one DDL query (8.0 style, logged with an xid). */
    List<byte[]> ddl(String sql) {
        int mark = events.size();
        Gtid g = beginTrx(uuid);
        long x = xid++;
        add(p -> TestEvents.query(DB, sql, x, p, checksum));
        endTrx(g);
        return bytesFrom(mark);
    }

    /** The real ROTATE ending the current file, then the FORMAT_DESCRIPTION and PREVIOUS_GTIDS of the next one. */
    List<byte[]> rotate() {
        int mark = events.size();
        String next = fileName(base, fileNumber + 1);
        long start = position();
        add(p -> TestEvents.rotate(next, p, checksum));
        units.add(new Unit(current, start, position(), null));
        fileNumber++;
        current = next;
        openFile();
        return bytesFrom(mark);
    }

    /** A random step, deterministic given the Random: mostly small transactions, some DDL, few rotations. */
    List<byte[]> randomStep(Random r) {
        int k = r.nextInt(100);
        if (k < 3) {
            return rotate();
        }
        if (k < 10) {
            return ddl("ALTER TABLE t COMMENT 'c" + r.nextInt(1000) + "'");
        }
        return transaction(1 + r.nextInt(4), 1 + r.nextInt(r.nextInt(10) == 0 ? 20_000 : 600));
    }

    private void openFile() {
        files.put(current, new ByteArrayOutputStream());
        files.get(current).writeBytes(BinlogFileReader.MAGIC);
        previous.put(current, executed.copy());
        GtidSet prev = executed.copy();
        long s1 = position();
        add(p -> TestEvents.fde("8.0.15", checksum, p));
        units.add(new Unit(current, s1, position(), null));
        long s2 = position();
        add(p -> TestEvents.previousGtids(prev, p, checksum));
        units.add(new Unit(current, s2, position(), null));
    }

    private Gtid beginTrx(UUID sid) {
        if (current == null) {
            throw new IllegalStateException("start() first");
        }
        long gno = nextGno.getOrDefault(sid, 1L);
        nextGno.put(sid, gno + 1);
        Gtid g = new Gtid(sid, gno);
        openGtid = g;
        openStart = position();
        add(p -> TestEvents.gtid(sid, gno, p, checksum));
        return g;
    }

    private void endTrx(Gtid g) {
        executed.add(g);
        StreamEvent last = events.remove(events.size() - 1);
        events.add(new StreamEvent(last.file(), last.position(), last.bytes(), g, true));
        units.add(new Unit(current, openStart, position(), g));
        openGtid = null;
    }

    private void add(TestEvents.Builder b) {
        long pos = position();
        long length = b.at(0).length();
        BinlogEvent e = b.at(pos + length);
        files.get(current).writeBytes(e.bytes());
        events.add(new StreamEvent(current, pos, e.bytes(), openGtid, openGtid == null));
    }

    private List<byte[]> bytesFrom(int mark) {
        List<byte[]> out = new ArrayList<>();
        for (StreamEvent e : events.subList(mark, events.size())) {
            out.add(e.bytes());
        }
        return out;
    }

    // ------------------------------------------------------------------ expectations

    /** The file the next event goes to. */
    public String currentFile() {
        return current;
    }

    /** The end of the current file. */
    long position() {
        return files.get(current).size();
    }

    List<String> fileNames() {
        return new ArrayList<>(files.keySet());
    }

    byte[] expectedFile(String name) {
        return files.get(name).toByteArray();
    }

    GtidSet previousGtids(String name) {
        return previous.get(name).copy();
    }

    GtidSet executed() {
        return executed.copy();
    }

    /** The whole stream so far, the initial fake rotate included. */
    List<StreamEvent> events() {
        return List.copyOf(events);
    }

    int eventCount() {
        return events.size();
    }

    /** The events from index {@code mark} of {@link #events()} on. */
    List<StreamEvent> eventsFrom(int mark) {
        return List.copyOf(events.subList(mark, events.size()));
    }

    long fileLength(String name) {
        return files.get(name).size();
    }

    /** Every complete unit so far (standalone events and transactions), in stream order. */
    List<Unit> units() {
        return List.copyOf(units);
    }

    List<Unit> transactions() {
        return units.stream().filter(u -> u.gtid() != null).toList();
    }

    List<Unit> transactionsIn(String file) {
        return units.stream().filter(u -> u.gtid() != null && u.file().equals(file)).toList();
    }

    // ------------------------------------------------------------------ dumps

    /**
     * What the primary sends to a replica (or syncer) with {@code have}, as MySQL's COM_BINLOG_DUMP_GTID does:
     * from the latest file whose PREVIOUS_GTIDS ⊆ have, a fake rotate, FORMAT_DESCRIPTION and PREVIOUS_GTIDS,
     * then every event except those of transactions {@code have} contains (ROTATE, FDE, PREVIOUS_GTIDS of later
     * files included). Only complete transactions are sent.
     */
    List<StreamEvent> dumpFrom(GtidSet have) {
        String startFile = null;
        for (String f : files.keySet()) {
            if (have.containsAll(previous.get(f))) {
                startFile = f;
            }
        }
        if (startFile == null) {
            startFile = files.keySet().iterator().next();
        }
        List<StreamEvent> out = new ArrayList<>();
        out.add(new StreamEvent(startFile, -1,
                RotateEvent.fake(TestEvents.SERVER_ID, startFile, 4, checksum).bytes(), null, true));
        boolean started = false;
        for (StreamEvent e : events) {
            if (e.position() < 0) {
                continue;
            }
            started |= e.file().equals(startFile);
            if (!started || (e.gtid() != null && have.contains(e.gtid())) || (e.gtid() != null && !isComplete(e))) {
                continue;
            }
            out.add(e);
        }
        return out;
    }

    /** What COM_BINLOG_DUMP from file:pos sends: fake rotate, a format-only FDE (log_pos 0) past 4, then events. */
    List<StreamEvent> dumpFrom(String file, long pos) {
        List<StreamEvent> out = new ArrayList<>();
        out.add(new StreamEvent(file, -1, RotateEvent.fake(TestEvents.SERVER_ID, file, pos, checksum).bytes(), null,
                true));
        boolean started = false;
        for (StreamEvent e : events) {
            if (e.position() < 0) {
                continue;
            }
            if (!started && e.file().equals(file) && e.position() == 4 && pos > 4) {
                BinlogEvent fde = BinlogEvent.of(e.bytes()).withLogPosAndFlags(0, 0, ChecksumType.CRC32);
                out.add(new StreamEvent(file, -1, fde.bytes(), null, true));
            }
            started |= e.file().equals(file) && e.position() >= pos;
            if (started) {
                out.add(e);
            }
        }
        return out;
    }

    private boolean isComplete(StreamEvent e) {
        return executed.contains(e.gtid());
    }

    // ------------------------------------------------------------------ batching

    /** A batch for {@link BinlogStore#append(String, List, long)}: the file of its first event, and the events. */
    record Batch(String file, List<byte[]> events) {
    }

    /** Splits stream events into batches of the given sizes (cycled), each naming the file of its first event. */
    static List<Batch> batches(List<StreamEvent> events, int... sizes) {
        List<Batch> out = new ArrayList<>();
        int i = 0;
        int k = 0;
        while (i < events.size()) {
            int n = Math.min(sizes[k++ % sizes.length], events.size() - i);
            List<byte[]> b = new ArrayList<>();
            for (StreamEvent e : events.subList(i, i + n)) {
                b.add(e.bytes());
            }
            out.add(new Batch(events.get(i).file(), b));
            i += n;
        }
        return out;
    }

    /** Random batch sizes 1..max, seeded. */
    static List<Batch> randomBatches(List<StreamEvent> events, Random r, int max) {
        List<Batch> out = new ArrayList<>();
        int i = 0;
        while (i < events.size()) {
            int n = Math.min(1 + r.nextInt(max), events.size() - i);
            List<byte[]> b = new ArrayList<>();
            for (StreamEvent e : events.subList(i, i + n)) {
                b.add(e.bytes());
            }
            out.add(new Batch(events.get(i).file(), b));
            i += n;
        }
        return out;
    }
}

package io.kingbus.store;

import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.ConfigOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * The RocksDB index beside the binlog files. Keys (big-endian, so they sort in file/position order):
 * <ul>
 *   <li>{@code F seq} → file metadata</li>
 *   <li>{@code R seq start} → a run of the file's transactions in order, the first starting at {@code start}: each
 *       one's start, end and GTID (file:pos lookups, the GTID skip of a dump, recovery and purge). One record per
 *       append batch and file (at most {@value #MAX_RUN} transactions), not one key per transaction: a node's index
 *       writes were two RocksDB keys per transaction before (format 1), a tenth of a warm 3-node cluster's CPU.</li>
 *   <li>{@code M name} → executed set, purged set, recovery tag</li>
 * </ul>
 * A GTID is found as MySQL finds it, by the files' PREVIOUS_GTIDS and then the file's runs ({@link #find}); nothing
 * on a hot path asks for one. An index of format 1 ({@code T seq pos} per transaction, {@code G sid gno} per GTID) is
 * converted when it is opened.
 */
final class StoreIndex implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StoreIndex.class);
    private static final byte FILE = 'F';
    private static final byte RUN = 'R';
    private static final byte META = 'M';
    private static final byte TRX_V1 = 'T';
    private static final byte GTID_V1 = 'G';
    private static final byte RUN_FORMAT = 1;
    /** Transactions per run record at most: bounds what a lookup decodes (recovery re-indexes whole files). */
    static final int MAX_RUN = 4096;
    private static final byte[] EXECUTED = metaKey("executed");
    private static final byte[] PURGED = metaKey("purged");
    private static final byte[] TAG = metaKey("recovery-tag");

    static {
        RocksDB.loadLibrary();
    }

    private final RocksDB db;
    private final Options options;
    private final WriteOptions syncWrite;
    private final WriteOptions plainWrite;

    /** A location in the files: sequence, start and end position. */
    record Location(int sequence, long start, long end) {
    }

    /** A transaction record: where it ends, and its GTID (null for anonymous). */
    record TrxRecord(long start, long end, Gtid gtid) {
    }

    StoreIndex(Path dir) {
        options = options().setCreateIfMissing(true).setKeepLogFileNum(3).setMaxTotalWalSize(64L << 20);
        syncWrite = new WriteOptions().setSync(true);
        plainWrite = new WriteOptions();
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            close();
            throw new StoreException("cannot open the index at " + dir + ": " + e.getMessage(), e);
        }
        try {
            convertFormat1();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * RocksDB's defaults, except that memtable inserts start from where the last key of the same kind (first byte)
     * went: keys of a kind arrive in ascending order, and without the hint every insert searches the skip list from
     * its top (measured: half of the index's write CPU when it wrote two keys per transaction). Only settable by
     * name in RocksJava.
     */
    private static Options options() {
        Properties hinted = new Properties();
        hinted.setProperty("memtable_insert_with_hint_prefix_extractor", "rocksdb.FixedPrefix.1");
        try (ConfigOptions config = new ConfigOptions();
             DBOptions db = new DBOptions();
             ColumnFamilyOptions cf = ColumnFamilyOptions.getColumnFamilyOptionsFromProps(config, hinted)) {
            if (cf == null) {
                throw new StoreException("RocksDB does not know memtable_insert_with_hint_prefix_extractor");
            }
            return new Options(db, cf);
        }
    }

    /**
     * Rewrites an index of format 1 (a {@code T} key per transaction, a {@code G} key per GTID) as runs, in batches;
     * the old keys go in the last one. A conversion cut short by a crash starts again from the old keys.
     */
    private void convertFormat1() {
        if (!hasKeyOfKind(TRX_V1) && !hasKeyOfKind(GTID_V1)) {
            return;
        }
        long transactions = 0;
        Batch b = new Batch();
        b.deleteKind(RUN);
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {TRX_V1}); it.isValid() && it.key()[0] == TRX_V1; it.next()) {
                ByteBuffer k = ByteBuffer.wrap(it.key());
                k.get();
                int sequence = k.getInt();
                TrxRecord t = decodeTrxFormat1(k.getLong(), it.value());
                b.putTransaction(sequence, t.start(), t.end(), t.gtid());
                if (++transactions % (16 * MAX_RUN) == 0) {
                    write(b, false);
                    b.clear();
                }
            }
        }
        b.deleteKind(TRX_V1);
        b.deleteKind(GTID_V1);
        write(b, true);
        log.info("index converted from one key per transaction and per GTID (format 1) to runs: {} transactions",
                transactions);
    }

    private boolean hasKeyOfKind(byte kind) {
        try (RocksIterator it = db.newIterator()) {
            it.seek(new byte[] {kind});
            return it.isValid() && it.key()[0] == kind;
        }
    }

    private static TrxRecord decodeTrxFormat1(long start, byte[] value) {
        ByteBuffer v = ByteBuffer.wrap(value);
        long end = v.getLong();
        Gtid gtid = v.get() == 1 ? new Gtid(new UUID(v.getLong(), v.getLong()), v.getLong()) : null;
        return new TrxRecord(start, end, gtid);
    }

    /**
     * Collects the index changes of one append batch, already in RocksDB's WriteBatch wire form (sequence,
     * count, then tagged records of varint-prefixed keys and values), so that {@link #write} hands the whole
     * batch over in one JNI call. Transactions are gathered into a run and become one record when the batch is
     * written, the file changes or the run is full.
     */
    final class Batch implements AutoCloseable {
        private static final int HEADER = 12; // fixed64 sequence, fixed32 count (little-endian)
        private static final byte TYPE_DELETION = 0x0;
        private static final byte TYPE_VALUE = 0x1;
        private static final byte TYPE_RANGE_DELETION = 0xF;
        private byte[] buf = new byte[16 << 10];
        private int length = HEADER;
        private int count;
        private final Run run = new Run();

        boolean empty() {
            return count == 0 && run.count == 0;
        }

        /** Forgets what was collected; the batch can be filled again. */
        void clear() {
            length = HEADER;
            count = 0;
            run.reset();
        }

        /** The wire form (sequence 0; RocksDB assigns it on write), the pending run included. */
        byte[] data() {
            flushRun();
            byte[] out = java.util.Arrays.copyOf(buf, length);
            java.util.Arrays.fill(out, 0, 8, (byte) 0);
            out[8] = (byte) count;
            out[9] = (byte) (count >>> 8);
            out[10] = (byte) (count >>> 16);
            out[11] = (byte) (count >>> 24);
            return out;
        }

        void putFile(BinlogFileInfo info) {
            put(fileKey(info.sequence()), encodeFile(info));
        }

        void deleteFile(int sequence) {
            delete(fileKey(sequence));
        }

        /** A complete transaction of file {@code sequence}; transactions of a file come in position order. */
        void putTransaction(int sequence, long start, long end, Gtid gtid) {
            if (end < start) {
                throw new IllegalArgumentException("transaction ends at " + end + " before its start " + start);
            }
            if (run.count > 0 && (run.sequence != sequence || start < run.lastEnd || run.count == MAX_RUN)) {
                flushRun();
            }
            run.add(sequence, start, end, gtid);
        }

        /** Every transaction record of a file (its file is gone, or is re-indexed from its start). */
        void deleteTransactionsOf(int sequence) {
            flushRun(); // a run of that file collected before goes first, so that the deletion covers it
            record(TYPE_RANGE_DELETION);
            bytes(runKey(sequence, 0));
            bytes(runKey(sequence + 1, 0));
        }

        void putExecuted(GtidSet set) {
            put(EXECUTED, set.encode());
        }

        void putPurged(GtidSet set) {
            put(PURGED, set.encode());
        }

        void putTag(long tag) {
            put(TAG, ByteBuffer.allocate(8).putLong(tag).array());
        }

        private void deleteKind(byte kind) {
            record(TYPE_RANGE_DELETION);
            bytes(new byte[] {kind});
            bytes(new byte[] {(byte) (kind + 1)});
        }

        private void flushRun() {
            if (run.count == 0) {
                return;
            }
            record(TYPE_VALUE);
            varint(13);
            u8(RUN).i32(run.sequence).i64(run.firstStart);
            int sids = run.sidCount;
            varint(1 + varintLength(sids) + 16 * sids + varintLength(run.count) + run.length);
            u8(RUN_FORMAT);
            varint(sids);
            for (int i = 0; i < sids; i++) {
                i64(run.msb[i]).i64(run.lsb[i]);
            }
            varint(run.count);
            ensure(run.length);
            System.arraycopy(run.buf, 0, buf, length, run.length);
            length += run.length;
            run.reset();
        }

        private void put(byte[] k, byte[] v) {
            record(TYPE_VALUE);
            bytes(k);
            bytes(v);
        }

        private void delete(byte[] k) {
            record(TYPE_DELETION);
            bytes(k);
        }

        private void record(byte type) {
            count++;
            u8(type);
        }

        private void bytes(byte[] b) {
            varint(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, length, b.length);
            length += b.length;
        }

        private void varint(int v) {
            ensure(5);
            length = putVarint(buf, length, v & 0xFFFFFFFFL);
        }

        private Batch u8(byte b) {
            ensure(1);
            buf[length++] = b;
            return this;
        }

        private Batch i32(int v) {
            ensure(4);
            for (int shift = 24; shift >= 0; shift -= 8) {
                buf[length++] = (byte) (v >>> shift);
            }
            return this;
        }

        private Batch i64(long v) {
            ensure(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[length++] = (byte) (v >>> shift);
            }
            return this;
        }

        private void ensure(int n) {
            if (length + n > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, length + n));
            }
        }

        @Override
        public void close() {
            // nothing native is held until write
        }
    }

    /**
     * A run being collected: per transaction the gap from the previous one's end (0 for back-to-back ones), its
     * length, its source id's place in the run's table (0: anonymous) and its gno, as unsigned varints.
     */
    private static final class Run {
        int sequence;
        long firstStart;
        long lastEnd;
        int count;
        long[] msb = new long[2];
        long[] lsb = new long[2];
        int sidCount;
        byte[] buf = new byte[8 << 10];
        int length;

        void reset() {
            count = 0;
            sidCount = 0;
            length = 0;
        }

        void add(int seq, long start, long end, Gtid gtid) {
            if (count == 0) {
                sequence = seq;
                firstStart = start;
                lastEnd = start;
            }
            if (length + 40 > buf.length) {
                buf = java.util.Arrays.copyOf(buf, buf.length * 2);
            }
            length = putVarint(buf, length, start - lastEnd);
            length = putVarint(buf, length, end - start);
            if (gtid == null) {
                length = putVarint(buf, length, 0);
            } else {
                length = putVarint(buf, length, sidRef(gtid.sid()));
                length = putVarint(buf, length, gtid.gno());
            }
            lastEnd = end;
            count++;
        }

        private int sidRef(UUID sid) {
            long m = sid.getMostSignificantBits();
            long l = sid.getLeastSignificantBits();
            for (int i = 0; i < sidCount; i++) {
                if (msb[i] == m && lsb[i] == l) {
                    return i + 1;
                }
            }
            if (sidCount == msb.length) {
                msb = java.util.Arrays.copyOf(msb, sidCount * 2);
                lsb = java.util.Arrays.copyOf(lsb, sidCount * 2);
            }
            msb[sidCount] = m;
            lsb[sidCount] = l;
            return ++sidCount;
        }
    }

    /** Writes v (treated as unsigned) as a LEB128 varint at {@code at}; returns the position after it. */
    private static int putVarint(byte[] b, int at, long v) {
        while ((v & ~0x7FL) != 0) {
            b[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[at++] = (byte) v;
        return at;
    }

    private static int varintLength(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /** Reads one run record's transactions in order, without an allocation per transaction. */
    private static final class RunCursor {
        private final byte[] v;
        private final int sequence;
        private int at;
        private int left;
        private final UUID[] sids;
        long start;
        long end;
        UUID sid; // null: anonymous
        long gno;

        RunCursor(byte[] key, byte[] value) {
            sequence = ByteBuffer.wrap(key, 1, 4).getInt();
            v = value;
            end = ByteBuffer.wrap(key, 5, 8).getLong(); // the first transaction's gap counts from its start
            if (v.length == 0 || v[0] != RUN_FORMAT) {
                throw unreadable("unknown format " + (v.length == 0 ? "(empty)" : v[0]));
            }
            at = 1;
            int n = (int) varint();
            if (n < 0 || n > (v.length - at) / 16) {
                throw unreadable("source id count " + n);
            }
            sids = new UUID[n];
            ByteBuffer b = ByteBuffer.wrap(v);
            for (int i = 0; i < n; i++) {
                sids[i] = new UUID(b.getLong(at), b.getLong(at + 8));
                at += 16;
            }
            left = (int) varint();
        }

        boolean next() {
            if (left == 0) {
                return false;
            }
            left--;
            start = end + varint();
            end = start + varint();
            int ref = (int) varint();
            if (ref == 0) {
                sid = null;
                gno = 0;
            } else if (ref <= sids.length) {
                sid = sids[ref - 1];
                gno = varint();
            } else {
                throw unreadable("source id " + ref + " of " + sids.length);
            }
            return true;
        }

        TrxRecord record() {
            return new TrxRecord(start, end, sid == null ? null : new Gtid(sid, gno));
        }

        private long varint() {
            long r = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (at >= v.length) {
                    throw unreadable("truncated");
                }
                byte b = v[at++];
                r |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return r;
                }
            }
            throw unreadable("varint too long");
        }

        private StoreException unreadable(String why) {
            return new StoreException("index run record of file #" + sequence + " is unreadable: " + why);
        }
    }

    /** The transactions of a file from a position on (those starting there or later), in order. Close it. */
    private final class Transactions implements AutoCloseable {
        private final Slice bound;
        private final ReadOptions readOptions;
        private final RocksIterator it;
        private final long from;
        private RunCursor run;

        Transactions(int sequence, long from) {
            this.from = from;
            bound = new Slice(runKey(sequence + 1, 0));
            readOptions = new ReadOptions().setIterateUpperBound(bound);
            it = db.newIterator(readOptions);
            it.seekForPrev(runKey(sequence, from)); // the run holding from may start before it
            if (!it.isValid() || !isRunOf(it.key(), sequence)) {
                it.seek(runKey(sequence, from));
            }
        }

        /** Moves to the next transaction; false when there is none. */
        boolean next() {
            while (true) {
                if (run == null) {
                    if (!it.isValid()) {
                        return false;
                    }
                    run = new RunCursor(it.key(), it.value());
                }
                if (run.next()) {
                    if (run.start >= from) {
                        return true;
                    }
                } else {
                    run = null;
                    it.next();
                }
            }
        }

        RunCursor current() {
            return run;
        }

        @Override
        public void close() {
            it.close();
            readOptions.close();
            bound.close();
        }
    }

    private static boolean isRunOf(byte[] key, int sequence) {
        return key.length == 13 && key[0] == RUN && ByteBuffer.wrap(key, 1, 4).getInt() == sequence;
    }

    Batch batch() {
        return new Batch();
    }

    void write(Batch b, boolean sync) {
        if (b.empty()) {
            return;
        }
        try (WriteBatch wb = new WriteBatch(b.data())) {
            db.write(sync ? syncWrite : plainWrite, wb);
        } catch (RocksDBException e) {
            throw new StoreException("index write failed: " + e.getMessage(), e);
        }
    }

    List<BinlogFileInfo> files() {
        List<BinlogFileInfo> out = new ArrayList<>();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(new byte[] {FILE}); it.isValid() && it.key()[0] == FILE; it.next()) {
                out.add(decodeFile(it.key(), it.value()));
            }
        }
        return out;
    }

    GtidSet executed() {
        return readSet(EXECUTED);
    }

    GtidSet purged() {
        return readSet(PURGED);
    }

    long tag() {
        byte[] v = get(TAG);
        return v == null ? -1 : ByteBuffer.wrap(v).getLong();
    }

    /** Where a GTID's transaction is stored in file {@code sequence}, or null: a scan of the file's runs. */
    Location find(int sequence, Gtid gtid) {
        try (Transactions t = new Transactions(sequence, 0)) {
            while (t.next()) {
                RunCursor c = t.current();
                if (c.sid != null && c.gno == gtid.gno() && c.sid.equals(gtid.sid())) {
                    return new Location(sequence, c.start, c.end);
                }
            }
        }
        return null;
    }

    /** The last transaction of a file that starts at or before a position, or null. */
    TrxRecord transactionAtOrBefore(int sequence, long position) {
        try (RocksIterator it = db.newIterator()) {
            it.seekForPrev(runKey(sequence, position));
            if (!it.isValid() || !isRunOf(it.key(), sequence)) {
                return null;
            }
            RunCursor c = new RunCursor(it.key(), it.value());
            TrxRecord last = null;
            while (c.next() && c.start <= position) {
                last = c.record();
            }
            return last;
        }
    }

    /** The transactions of a file from a position on, in order (recovery and purge). */
    List<TrxRecord> transactionsFrom(int sequence, long position) {
        List<TrxRecord> out = new ArrayList<>();
        try (Transactions t = new Transactions(sequence, position)) {
            while (t.next()) {
                out.add(t.current().record());
            }
        }
        return out;
    }

    /**
     * The first run of back-to-back transactions of a file, starting at or after {@code from} and ending by
     * {@code bound}, whose GTIDs {@code have} contains: {@code {start, end, transactions}}. Scans at most {@code limit}
     * transactions the set lacks before it gives up; then (and when a transaction ends past {@code bound}) it returns
     * {@code {p, p, 0}}: no run starts before the transaction start p. {@code {MAX, MAX, 0}}: none in the rest of the
     * file.
     */
    long[] containedRun(int sequence, long from, long bound, GtidSet have, int limit) {
        long start = -1;
        long end = -1;
        long count = 0;
        int lacking = 0;
        try (Transactions t = new Transactions(sequence, from)) {
            while (t.next()) {
                RunCursor c = t.current();
                boolean contained = c.sid != null && c.end <= bound && have.contains(c.sid, c.gno);
                if (start >= 0) {
                    if (!contained || c.start != end) {
                        break;
                    }
                    end = c.end;
                    count++;
                } else if (contained) {
                    start = c.start;
                    end = c.end;
                    count = 1;
                } else if (c.end > bound || ++lacking >= limit) {
                    return new long[] {c.start, c.start, 0};
                }
            }
        }
        return start >= 0 ? new long[] {start, end, count} : new long[] {Long.MAX_VALUE, Long.MAX_VALUE, 0};
    }

    private GtidSet readSet(byte[] key) {
        byte[] v = get(key);
        return v == null ? GtidSet.empty() : GtidSet.decode(v);
    }

    private byte[] get(byte[] key) {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new StoreException("index read failed: " + e.getMessage(), e);
        }
    }

    void flush() {
        try {
            db.flushWal(true);
        } catch (RocksDBException e) {
            throw new StoreException("index sync failed: " + e.getMessage(), e);
        }
    }

    private static byte[] metaKey(String name) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] k = new byte[n.length + 1];
        k[0] = META;
        System.arraycopy(n, 0, k, 1, n.length);
        return k;
    }

    private static byte[] fileKey(int sequence) {
        return ByteBuffer.allocate(5).put(FILE).putInt(sequence).array();
    }

    private static byte[] runKey(int sequence, long position) {
        return ByteBuffer.allocate(13).put(RUN).putInt(sequence).putLong(position).array();
    }

    private static byte[] encodeFile(BinlogFileInfo f) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(1); // format version
            out.writeUTF(f.name());
            out.writeLong(f.endPosition());
            byte[] prev = f.previousGtids().encode();
            out.writeInt(prev.length);
            out.write(prev);
            out.writeUTF(f.firstGtid() == null ? "" : f.firstGtid().toString());
            out.writeUTF(f.lastGtid() == null ? "" : f.lastGtid().toString());
            out.writeLong(f.createdMillis());
            out.writeByte(f.checksumCode());
            out.writeLong(f.transactions());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    private static BinlogFileInfo decodeFile(byte[] key, byte[] value) {
        int sequence = ByteBuffer.wrap(key, 1, 4).getInt();
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            in.readByte();
            String name = in.readUTF();
            long end = in.readLong();
            byte[] prev = new byte[in.readInt()];
            in.readFully(prev);
            String first = in.readUTF();
            String last = in.readUTF();
            long created = in.readLong();
            int checksum = in.readByte();
            long trx = in.readLong();
            return new BinlogFileInfo(sequence, name, end, GtidSet.decode(prev),
                    first.isEmpty() ? null : Gtid.parse(first), last.isEmpty() ? null : Gtid.parse(last),
                    created, checksum, trx);
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreException("index entry for file #" + sequence + " is unreadable: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (db != null) {
            db.close();
        }
        options.close();
        syncWrite.close();
        plainWrite.close();
    }
}

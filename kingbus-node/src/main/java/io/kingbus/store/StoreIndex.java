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
 *   <li>{@code T seq pos} → a transaction starting at pos: its end and GTID (file:pos lookups)</li>
 *   <li>{@code G sid gno} → file seq, start and end of that GTID's transaction</li>
 *   <li>{@code M name} → executed set, purged set, recovery tag</li>
 * </ul>
 */
final class StoreIndex implements AutoCloseable {
    private static final byte FILE = 'F';
    private static final byte TRX = 'T';
    private static final byte GTID = 'G';
    private static final byte META = 'M';
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
            options.close();
            throw new StoreException("cannot open the index at " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * RocksDB's defaults, except that memtable inserts start from where the last key of the same kind (first byte)
     * went: T and G keys arrive in ascending order, and without the hint every insert searches the skip list from
     * its top (measured: half of the index's write CPU). Only settable by name in RocksJava.
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
     * Collects the index changes of one append batch, already in RocksDB's WriteBatch wire form (sequence,
     * count, then tagged records of varint-prefixed keys and values), so that {@link #write} hands the whole
     * batch over in one JNI call instead of one per key: a batch holds two puts per transaction.
     */
    final class Batch implements AutoCloseable {
        private static final int HEADER = 12; // fixed64 sequence, fixed32 count (little-endian)
        private static final byte TYPE_DELETION = 0x0;
        private static final byte TYPE_VALUE = 0x1;
        private static final byte TYPE_RANGE_DELETION = 0xF;
        private byte[] buf = new byte[16 << 10];
        private int length = HEADER;
        private int count;

        boolean empty() {
            return count == 0;
        }

        /** Forgets what was collected; the batch can be filled again. */
        void clear() {
            length = HEADER;
            count = 0;
        }

        /** The wire form (sequence 0; RocksDB assigns it on write). */
        byte[] data() {
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

        void putTransaction(int sequence, long start, long end, Gtid gtid) {
            // T seq pos -> end, GTID flag [, sid, gno]; G sid gno -> seq, start, end (written in place: no garbage)
            record(TYPE_VALUE);
            key(13);
            u8(TRX).i32(sequence).i64(start);
            value(gtid == null ? 9 : 33);
            i64(end);
            if (gtid == null) {
                u8((byte) 0);
                return;
            }
            long msb = gtid.sid().getMostSignificantBits();
            long lsb = gtid.sid().getLeastSignificantBits();
            u8((byte) 1).i64(msb).i64(lsb).i64(gtid.gno());
            record(TYPE_VALUE);
            key(25);
            u8(GTID).i64(msb).i64(lsb).i64(gtid.gno());
            value(20);
            i32(sequence).i64(start).i64(end);
        }

        void deleteTransactionsFrom(int sequence, long fromPosition, List<Gtid> gtids) {
            record(TYPE_RANGE_DELETION);
            bytes(trxKey(sequence, fromPosition));
            bytes(trxKey(sequence + 1, 0));
            for (Gtid g : gtids) {
                delete(gtidKey(g));
            }
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

        private void key(int n) {
            varint(n);
        }

        private void value(int n) {
            varint(n);
        }

        private void bytes(byte[] b) {
            varint(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, length, b.length);
            length += b.length;
        }

        private void varint(int v) {
            ensure(5);
            while ((v & ~0x7f) != 0) {
                buf[length++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[length++] = (byte) v;
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

    Location locate(Gtid gtid) {
        byte[] v = get(gtidKey(gtid));
        if (v == null) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        return new Location(b.getInt(), b.getLong(), b.getLong());
    }

    /** The last transaction of a file that starts at or before a position, or null. */
    TrxRecord transactionAtOrBefore(int sequence, long position) {
        try (ReadOptions ro = new ReadOptions(); RocksIterator it = db.newIterator(ro)) {
            it.seekForPrev(trxKey(sequence, position));
            if (!it.isValid()) {
                return null;
            }
            ByteBuffer k = ByteBuffer.wrap(it.key());
            if (k.get() != TRX || k.getInt() != sequence) {
                return null;
            }
            return decodeTrx(k.getLong(), it.value());
        }
    }

    /** The transactions of a file from a position on, in order (recovery and purge). */
    List<TrxRecord> transactionsFrom(int sequence, long position) {
        List<TrxRecord> out = new ArrayList<>();
        byte[] upper = trxKey(sequence + 1, 0);
        try (Slice bound = new Slice(upper); ReadOptions ro = new ReadOptions().setIterateUpperBound(bound);
             RocksIterator it = db.newIterator(ro)) {
            for (it.seek(trxKey(sequence, position)); it.isValid(); it.next()) {
                ByteBuffer k = ByteBuffer.wrap(it.key());
                k.get();
                k.getInt();
                out.add(decodeTrx(k.getLong(), it.value()));
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
        byte[] upper = trxKey(sequence + 1, 0);
        long start = -1;
        long end = -1;
        long count = 0;
        int lacking = 0;
        try (Slice ub = new Slice(upper); ReadOptions ro = new ReadOptions().setIterateUpperBound(ub);
             RocksIterator it = db.newIterator(ro)) {
            for (it.seek(trxKey(sequence, from)); it.isValid(); it.next()) {
                long s = ByteBuffer.wrap(it.key()).getLong(5);
                ByteBuffer v = ByteBuffer.wrap(it.value());
                long e = v.getLong();
                boolean contained = v.get() == 1 && e <= bound
                        && have.contains(new UUID(v.getLong(), v.getLong()), v.getLong());
                if (start >= 0) {
                    if (!contained || s != end) {
                        break;
                    }
                    end = e;
                    count++;
                } else if (contained) {
                    start = s;
                    end = e;
                    count = 1;
                } else if (e > bound || ++lacking >= limit) {
                    return new long[] {s, s, 0};
                }
            }
        }
        return start >= 0 ? new long[] {start, end, count} : new long[] {Long.MAX_VALUE, Long.MAX_VALUE, 0};
    }

    private static TrxRecord decodeTrx(long start, byte[] value) {
        ByteBuffer v = ByteBuffer.wrap(value);
        long end = v.getLong();
        Gtid gtid = v.get() == 1 ? new Gtid(new UUID(v.getLong(), v.getLong()), v.getLong()) : null;
        return new TrxRecord(start, end, gtid);
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

    private static byte[] trxKey(int sequence, long position) {
        return ByteBuffer.allocate(13).put(TRX).putInt(sequence).putLong(position).array();
    }

    private static byte[] gtidKey(Gtid g) {
        return ByteBuffer.allocate(25).put(GTID).putLong(g.sid().getMostSignificantBits())
                .putLong(g.sid().getLeastSignificantBits()).putLong(g.gno()).array();
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
        db.close();
        options.close();
        syncWrite.close();
        plainWrite.close();
    }
}

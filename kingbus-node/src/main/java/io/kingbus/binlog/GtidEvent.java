package io.kingbus.binlog;

import io.kingbus.gtid.Gtid;

import java.util.UUID;

/**
 * GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT: opens a transaction and names its GTID. The logical-clock
 * fields (5.7+) and the 8.0 commit timestamps, transaction length and server versions are optional
 * trailers and decoded only when present. Fields that an event lacks are -1.
 */
public record GtidEvent(boolean anonymous, int flags, UUID sid, long gno, long lastCommitted, long sequenceNumber,
                        long immediateCommitTimestamp, long originalCommitTimestamp, long transactionLength,
                        long immediateServerVersion, long originalServerVersion) {

    private static final int LOGICAL_TIMESTAMP_TYPECODE = 2;

    public static GtidEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        int flags = r.u8();
        long msb = Long.reverseBytes(r.uint(8));
        long lsb = Long.reverseBytes(r.uint(8));
        long gno = r.u64();
        long lastCommitted = -1;
        long sequenceNumber = -1;
        long immediateTs = -1;
        long originalTs = -1;
        long trxLength = -1;
        long immediateVersion = -1;
        long originalVersion = -1;
        if (r.remaining() >= 17 && r.u8() == LOGICAL_TIMESTAMP_TYPECODE) {
            lastCommitted = r.u64();
            sequenceNumber = r.u64();
            if (r.remaining() >= 7) {
                immediateTs = r.uint(7);
                originalTs = immediateTs;
                if ((immediateTs & (1L << 55)) != 0) {
                    immediateTs &= ~(1L << 55);
                    originalTs = r.uint(7);
                }
                if (r.remaining() >= 1) {
                    trxLength = r.packedInt();
                }
                if (r.remaining() >= 4) {
                    immediateVersion = r.u32();
                    originalVersion = immediateVersion;
                    if ((immediateVersion & (1L << 31)) != 0) {
                        immediateVersion &= ~(1L << 31);
                        originalVersion = r.remaining() >= 4 ? r.u32() : -1;
                    }
                }
            }
        }
        return new GtidEvent(event.type() == EventType.ANONYMOUS_GTID, flags, new UUID(msb, lsb), gno,
                lastCommitted, sequenceNumber, immediateTs, originalTs, trxLength, immediateVersion, originalVersion);
    }

    /** The GTID, or null for an anonymous transaction; a GTID MySQL could not have written throws. */
    public Gtid gtid() {
        if (anonymous) {
            return null;
        }
        try {
            return new Gtid(sid, gno);
        } catch (IllegalArgumentException e) {
            throw new BinlogFormatException("GTID event with impossible GTID " + sid + ":" + gno, e);
        }
    }

    /** "SET @@SESSION.GTID_NEXT= 'uuid:7'", as SHOW BINLOG EVENTS prints it. */
    public String info() {
        return "SET @@SESSION.GTID_NEXT= '" + (anonymous ? "ANONYMOUS" : sid + ":" + gno) + "'";
    }
}

package io.kingbus.binlog;

/**
 * XA_PREPARE_LOG_EVENT: ends the first part of an XA transaction (XA PREPARE, or XA COMMIT … ONE PHASE).
 * Body: one_phase (1 byte), formatID (4), gtrid_length (4), bqual_length (4), then gtrid and bqual bytes.
 */
public record XaPrepareEvent(boolean onePhase, int formatId, byte[] gtrid, byte[] bqual) {

    /** MySQL's XIDDATASIZE: gtrid and bqual are at most 64 bytes each. */
    private static final int MAX_PART = 64;

    public static XaPrepareEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        boolean onePhase = r.u8() != 0;
        int formatId = (int) r.u32();
        long gtridLength = r.u32();
        long bqualLength = r.u32();
        if (gtridLength > MAX_PART || bqualLength > MAX_PART) {
            throw new BinlogFormatException("XA_PREPARE xid parts of " + gtridLength + " and " + bqualLength
                    + " bytes exceed " + MAX_PART);
        }
        return new XaPrepareEvent(onePhase, formatId, r.bytes((int) gtridLength), r.bytes((int) bqualLength));
    }

    /** "XA PREPARE X'6b627861',X'',1" or "XA COMMIT X'…',X'',1 ONE PHASE", as SHOW BINLOG EVENTS prints it. */
    public String info() {
        String xid = "X'" + hex(gtrid) + "',X'" + hex(bqual) + "'," + Long.toUnsignedString(formatId);
        return onePhase ? "XA COMMIT " + xid + " ONE PHASE" : "XA PREPARE " + xid;
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return sb.toString();
    }
}

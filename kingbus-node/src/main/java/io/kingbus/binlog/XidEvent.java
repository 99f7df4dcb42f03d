package io.kingbus.binlog;

/** XID_EVENT: the commit of a transaction on a transactional engine. */
public record XidEvent(long xid) {

    public static XidEvent decode(BinlogEvent event, ChecksumType checksum) {
        return new XidEvent(event.body(checksum).u64());
    }

    public String info() {
        return "COMMIT /* xid=" + Long.toUnsignedString(xid) + " */";
    }
}

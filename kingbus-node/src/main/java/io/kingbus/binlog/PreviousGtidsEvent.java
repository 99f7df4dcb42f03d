package io.kingbus.binlog;

import io.kingbus.gtid.GtidSet;

/** PREVIOUS_GTIDS_LOG_EVENT: the GTIDs executed before this binlog file began. */
public record PreviousGtidsEvent(GtidSet gtids) {

    public static PreviousGtidsEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        try {
            return new PreviousGtidsEvent(GtidSet.decode(r.bytes(r.remaining())));
        } catch (IllegalArgumentException e) {
            throw new BinlogFormatException("bad GTID set in PREVIOUS_GTIDS: " + e.getMessage(), e);
        }
    }

    public static BinlogEvent build(long serverId, long timestamp, long logPos, GtidSet gtids, ChecksumType checksum) {
        return BinlogEvent.build(EventType.PREVIOUS_GTIDS, serverId, timestamp, logPos, 0, gtids.encode(), checksum);
    }

    /** The set as SHOW BINLOG EVENTS prints it: MySQL separates UUIDs with ",\n" there. */
    public String info() {
        return gtids.toString(",\n");
    }
}

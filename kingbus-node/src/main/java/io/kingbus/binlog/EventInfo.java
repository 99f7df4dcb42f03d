package io.kingbus.binlog;

/** The Info column of MySQL's SHOW BINLOG EVENTS for an event (empty for types MySQL prints nothing useful for). */
public final class EventInfo {
    private EventInfo() {
    }

    public static String of(BinlogEvent event, ChecksumType checksum, FormatDescription fd) {
        ChecksumType own = event.checksumIn(checksum);
        return switch (event.type()) {
            case EventType.FORMAT_DESCRIPTION -> FormatDescription.decode(event).info();
            case EventType.ROTATE -> RotateEvent.decode(event, own).info();
            case EventType.PREVIOUS_GTIDS -> PreviousGtidsEvent.decode(event, own).info();
            case EventType.GTID, EventType.ANONYMOUS_GTID -> GtidEvent.decode(event, own).info();
            case EventType.QUERY -> QueryEvent.decode(event, own, fd).info();
            case EventType.XID -> XidEvent.decode(event, own).info();
            case EventType.XA_PREPARE -> XaPrepareEvent.decode(event, own).info();
            case EventType.TABLE_MAP -> TableMapEvent.decode(event, own, fd).info();
            case EventType.ROWS_QUERY -> RowsQueryEvent.decode(event, own).info();
            case EventType.TRANSACTION_PAYLOAD -> TransactionPayloadEvent.decode(event, own).info();
            default -> EventType.isRowsEvent(event.type()) ? RowsEventHeader.decode(event, own, fd).info() : "";
        };
    }
}

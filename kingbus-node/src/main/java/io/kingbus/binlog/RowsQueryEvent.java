package io.kingbus.binlog;

/** ROWS_QUERY_LOG_EVENT: the original statement text (binlog_rows_query_log_events=ON). */
public record RowsQueryEvent(String query) {

    public static RowsQueryEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        r.skip(1); // a length byte truncated to 255; the text runs to the end of the event
        return new RowsQueryEvent(r.restAsString());
    }

    public String info() {
        return "# " + query;
    }
}

package io.kingbus.binlog;

/** An event with the file and the byte offset at which it starts there. */
public record PositionedEvent(String file, long position, BinlogEvent event) {

    public long endPosition() {
        return position + event.length();
    }
}

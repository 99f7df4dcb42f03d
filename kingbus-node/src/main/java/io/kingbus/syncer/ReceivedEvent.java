package io.kingbus.syncer;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;

/**
 * One event of the dump stream, checksum already verified.
 *
 * @param file         the binlog file the event belongs to, from the stream's ROTATE events ("" before the first)
 * @param event        the exact bytes the primary sent
 * @param checksum     the checksum that ends this event (what {@link BinlogEvent#body} needs; a FORMAT_DESCRIPTION
 *                     always carries CRC32)
 * @param ackRequested a semi-sync primary waits for {@link BinlogDumpClient#ack} up to this event's end
 */
public record ReceivedEvent(String file, BinlogEvent event, ChecksumType checksum, boolean ackRequested) {

    public boolean isHeartbeat() {
        return EventType.isHeartbeat(event.type());
    }

    /** The fake ROTATE and other events the primary made up for the stream (not in its binlog files). */
    public boolean isArtificial() {
        return event.isArtificial() || event.logPos() == 0;
    }

    /** The event's end position in {@link #file()} (the header's log_pos). */
    public long endPosition() {
        return event.logPos();
    }
}

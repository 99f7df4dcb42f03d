package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ContainedTransactionFilter;
import io.kingbus.binlog.EventType;
import io.kingbus.gtid.GtidSet;
import io.kingbus.store.BinlogStore;
import io.netty.buffer.ByteBuf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * MySQL's skip_event in a GTID dump, cheap where nothing is skipped: events go through the shared
 * {@link ContainedTransactionFilter} only from a GTID event the replica has up to the next GTID event it lacks;
 * elsewhere only GTID events are looked at (sid and gno read in place), so a replica catching up a backlog it lacks
 * costs no event decoding. The answers are the filter's: a transaction whose GTID the replica lacks is never skipped,
 * and the events between transactions are not skipped either.
 */
final class GtidSkip {
    /** Header, flags byte, sid, gno: the bytes a GTID event has at least. */
    private static final int GTID_PREFIX = BinlogEvent.HEADER_LENGTH + 1 + 16 + 8;

    private final GtidSet have;
    private BinlogEvent formatDescription;
    /** Non-null from a GTID event the replica has until the next GTID event it lacks. */
    private ContainedTransactionFilter filter;

    GtidSkip(GtidSet have) {
        this.have = have;
    }

    /** The replica's set (not to be changed). */
    GtidSet have() {
        return have;
    }

    /**
     * True when {@link #skips(ByteBuf, int, int)} needs the whole event of this type to answer (it decodes it);
     * false when it answers false from the type alone without changing its state.
     */
    boolean wantsBody(int type) {
        return filter != null || type == EventType.GTID || type == EventType.ANONYMOUS_GTID
                || type == EventType.FORMAT_DESCRIPTION;
    }

    /** The FORMAT_DESCRIPTION of the file the next events come from, when it is not among them. */
    void formatDescription(BinlogEvent fde) {
        formatDescription = fde;
        if (filter != null) {
            filter.formatDescription(fde);
        }
    }

    /** True when the event belongs to a transaction the replica has. Call for every event, in order. */
    boolean skips(BinlogEvent event) {
        int type = event.type();
        if (type == EventType.FORMAT_DESCRIPTION) {
            formatDescription = event;
        } else if (type == EventType.ANONYMOUS_GTID || type == EventType.GTID && !mayContain(event)) {
            filter = null;
            return false;
        } else if (type == EventType.GTID && filter == null) {
            filter = new ContainedTransactionFilter(have);
            if (formatDescription != null) {
                filter.formatDescription(formatDescription);
            }
        }
        return filter != null && filter.skips(event);
    }

    /**
     * {@link #skips(BinlogEvent)} for the event {@code buf[at, at + length)}, read in place: an event is copied and
     * decoded only inside a transaction the replica has (and for a FORMAT_DESCRIPTION), so a replica catching up what it
     * lacks costs no object per event.
     */
    boolean skips(ByteBuf buf, int at, int length) {
        int type = buf.getUnsignedByte(at + BinlogEvent.TYPE_OFFSET);
        if (type == EventType.ANONYMOUS_GTID) {
            filter = null;
            return false;
        }
        if (type == EventType.GTID && length >= GTID_PREFIX) {
            int sid = at + BinlogEvent.HEADER_LENGTH + 1;
            if (!have.contains(new UUID(buf.getLong(sid), buf.getLong(sid + 8)), buf.getLongLE(sid + 16))) {
                filter = null;
                return false;
            }
        } else if (filter == null && type != EventType.GTID && type != EventType.FORMAT_DESCRIPTION) {
            return false;
        }
        return skips(DumpSession.event(buf, at, length));
    }

    /**
     * True when an event of this type and {@code length} can be judged without its body ({@link #skipsOpaque}): its
     * role in a transaction follows from its type, and a QUERY that long cannot be BEGIN, COMMIT or ROLLBACK.
     */
    static boolean judgedByType(int type, long length) {
        return length >= BinlogStore.MIN_PARTED_EVENT_BYTES && type != EventType.FORMAT_DESCRIPTION
                && type != EventType.ROTATE && type != EventType.GTID && type != EventType.ANONYMOUS_GTID
                && type != EventType.PREVIOUS_GTIDS && !EventType.isHeartbeat(type);
    }

    /**
     * {@link #skips(ByteBuf, int, int)} for an event not read, of a type and length {@link #judgedByType} accepts:
     * a large row or query event inside a transaction the replica has is skipped without reading it.
     */
    boolean skipsOpaque(int type) {
        return filter != null && filter.skipsOpaque(type);
    }

    /** False when the replica lacks the event's GTID; true when it has it (or the event is too short to tell). */
    private boolean mayContain(BinlogEvent event) {
        byte[] b = event.bytes();
        if (b.length < GTID_PREFIX) {
            return true; // the filter decodes it and says what is wrong
        }
        ByteBuffer buf = ByteBuffer.wrap(b);
        int sid = BinlogEvent.HEADER_LENGTH + 1;
        UUID uuid = new UUID(buf.getLong(sid), buf.getLong(sid + 8));
        long gno = buf.order(ByteOrder.LITTLE_ENDIAN).getLong(sid + 16);
        return have.contains(uuid, gno);
    }
}

package io.kingbus.binlog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * HEARTBEAT_LOG_EVENT (v1: the file name is the body, the position is the header's log_pos) and
 * HEARTBEAT_LOG_EVENT_V2 (type-length-value fields, so positions past 4 GiB fit). Never stored in files.
 */
public record HeartbeatEvent(String file, long position) {

    private static final int V2_END_MARK = 0;
    private static final int V2_FILENAME = 1;
    private static final int V2_POSITION = 2;

    public static HeartbeatEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        if (event.type() == EventType.HEARTBEAT) {
            return new HeartbeatEvent(r.restAsString(), event.logPos());
        }
        if (event.type() != EventType.HEARTBEAT_V2) {
            throw new BinlogFormatException("expected a heartbeat, got " + event.typeName());
        }
        String file = "";
        long position = 0;
        while (r.remaining() > 0) {
            long field = r.packedInt();
            if (field == V2_END_MARK) {
                break;
            }
            int length = r.packedLength("heartbeat field");
            ByteReader value = new ByteReader(r.array(), r.offset(), r.offset() + length);
            if (field == V2_FILENAME) {
                file = value.restAsString();
            } else if (field == V2_POSITION) {
                position = value.packedInt();
            }
            r.skip(length);
        }
        return new HeartbeatEvent(file, position);
    }

    /** A v1 heartbeat; the position must fit 32 bits (callers use v2 beyond that). */
    public static BinlogEvent buildV1(long serverId, String file, long position, ChecksumType checksum) {
        // MySQL sends heartbeats with no flags set.
        return BinlogEvent.build(EventType.HEARTBEAT, serverId, 0, position & 0xffffffffL, 0,
                file.getBytes(StandardCharsets.UTF_8), checksum);
    }

    public static BinlogEvent buildV2(long serverId, String file, long position, ChecksumType checksum) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] name = file.getBytes(StandardCharsets.UTF_8);
        PackedInts.write(body, V2_FILENAME);
        PackedInts.write(body, name.length);
        body.writeBytes(name);
        byte[] pos = PackedInts.encode(position);
        PackedInts.write(body, V2_POSITION);
        PackedInts.write(body, pos.length);
        body.writeBytes(pos);
        PackedInts.write(body, V2_END_MARK);
        return BinlogEvent.build(EventType.HEARTBEAT_V2, serverId, 0, 0, BinlogEvent.FLAG_ARTIFICIAL,
                body.toByteArray(), checksum);
    }
}

package io.kingbus.binlog;

import java.nio.charset.StandardCharsets;

/** ROTATE_EVENT: the next binlog file and the position to continue at. */
public record RotateEvent(long position, String nextFile) {

    public static RotateEvent decode(BinlogEvent event, ChecksumType checksum) {
        ByteReader r = event.body(checksum);
        long position = r.u64();
        return new RotateEvent(position, r.restAsString());
    }

    /** An artificial rotate, as a primary sends first in a dump: log_pos 0, timestamp 0, ARTIFICIAL flag. */
    public static BinlogEvent fake(long serverId, String file, long position, ChecksumType checksum) {
        byte[] name = file.getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[8 + name.length];
        Bytes.putU64(body, 0, position);
        System.arraycopy(name, 0, body, 8, name.length);
        return BinlogEvent.build(EventType.ROTATE, serverId, 0, 0, BinlogEvent.FLAG_ARTIFICIAL, body, checksum);
    }

    /** "mysql-bin.000002;pos=4", as SHOW BINLOG EVENTS prints it. */
    public String info() {
        return nextFile + ";pos=" + position;
    }
}

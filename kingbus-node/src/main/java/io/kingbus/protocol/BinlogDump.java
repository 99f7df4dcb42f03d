package io.kingbus.protocol;

import java.util.Objects;

/**
 * COM_BINLOG_DUMP: stream the binlog from a file and position (4-byte position, so below 4 GiB). A server id of 0
 * or the {@link #NON_BLOCK} flag asks the server to send what it has and end with EOF (mysqlbinlog).
 */
public record BinlogDump(long position, int flags, long serverId, String fileName) {
    /** BINLOG_DUMP_NON_BLOCK: end the stream with an EOF packet at the end of the binlog instead of waiting. */
    public static final int NON_BLOCK = 0x01;
    /**
     * USE_HEARTBEAT_EVENT_V2 (MySQL 8.0.26+): send HEARTBEAT_LOG_EVENT_V2 (type 41). Older servers ignore it.
     * (Old documentation names this bit BINLOG_THROUGH_POSITION for COM_BINLOG_DUMP_GTID; no server uses that.)
     */
    public static final int USE_HEARTBEAT_EVENT_V2 = 0x02;

    public BinlogDump {
        Objects.requireNonNull(fileName, "fileName");
        if (position < 0 || position > 0xffffffffL) {
            throw new IllegalArgumentException("position " + position + " does not fit COM_BINLOG_DUMP's 4 bytes");
        }
        if (serverId < 0 || serverId > 0xffffffffL) {
            throw new IllegalArgumentException("server id " + serverId + " outside 0..2^32-1");
        }
    }

    public byte[] encode() {
        return new PayloadWriter(16 + fileName.length()).u8(Commands.COM_BINLOG_DUMP).u32(position).u16(flags)
                .u32(serverId).string(fileName).toByteArray();
    }

    public static BinlogDump parse(byte[] payload) {
        return Wire.parse("COM_BINLOG_DUMP", payload, r -> {
            Wire.expectHeader(r, Commands.COM_BINLOG_DUMP, "COM_BINLOG_DUMP");
            long pos = r.u32();
            int flags = r.u16();
            long serverId = r.u32();
            String file = r.restAsString();
            int nul = file.indexOf('\0');
            return new BinlogDump(pos, flags, serverId, nul >= 0 ? file.substring(0, nul) : file);
        });
    }

    public boolean nonBlocking() {
        return (flags & NON_BLOCK) != 0 || serverId == 0;
    }
}

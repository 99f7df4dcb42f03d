package io.kingbus.protocol;

import io.kingbus.gtid.GtidSet;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * COM_BINLOG_DUMP_GTID: stream the binlog, skipping every transaction in the replica's GTID set. Layout: flags (2),
 * server id (4), file name length (4) and name, position (8), GTID data size (4) and the set in MySQL's binary
 * encoding ({@link GtidSet#encode()}). MySQL reads the size and the set whatever the flags say, so they are always
 * written here and always read when present; {@link #THROUGH_GTID} is set by default as the protocol documentation
 * describes (MySQL's own replica leaves it clear; servers ignore it).
 */
public record BinlogDumpGtid(int flags, long serverId, String fileName, long position, GtidSet gtids) {
    public static final int NON_BLOCK = BinlogDump.NON_BLOCK;
    public static final int USE_HEARTBEAT_EVENT_V2 = BinlogDump.USE_HEARTBEAT_EVENT_V2;
    /** BINLOG_THROUGH_GTID: the GTID data follows. */
    public static final int THROUGH_GTID = 0x04;

    /** Bound on the GTID data accepted by {@link #parse} (MySQL bounds it by the packet size). */
    public static final int MAX_GTID_DATA = 64 << 20;

    public BinlogDumpGtid {
        fileName = fileName == null ? "" : fileName;
        Objects.requireNonNull(gtids, "gtids");
        if (serverId < 0 || serverId > 0xffffffffL) {
            throw new IllegalArgumentException("server id " + serverId + " outside 0..2^32-1");
        }
        if (position < 0) {
            throw new IllegalArgumentException("negative position " + position);
        }
    }

    /** The usual request: the whole binlog minus {@code gtids}, from the first file (name "", position 4). */
    public static BinlogDumpGtid of(long serverId, GtidSet gtids, int flags) {
        return new BinlogDumpGtid(flags | THROUGH_GTID, serverId, "", 4, gtids);
    }

    public byte[] encode() {
        byte[] name = fileName.getBytes(StandardCharsets.UTF_8);
        byte[] data = gtids.encode();
        return new PayloadWriter(32 + name.length + data.length).u8(Commands.COM_BINLOG_DUMP_GTID).u16(flags)
                .u32(serverId).u32(name.length).bytes(name).u64(position).u32(data.length).bytes(data)
                .toByteArray();
    }

    public static BinlogDumpGtid parse(byte[] payload) {
        return Wire.parse("COM_BINLOG_DUMP_GTID", payload, r -> {
            Wire.expectHeader(r, Commands.COM_BINLOG_DUMP_GTID, "COM_BINLOG_DUMP_GTID");
            int flags = r.u16();
            long serverId = r.u32();
            long nameLength = r.u32();
            if (nameLength > r.remaining()) {
                throw new ProtocolException("file name of " + nameLength + " bytes, " + r.remaining() + " left");
            }
            String name = r.string((int) nameLength);
            int nul = name.indexOf('\0');
            if (nul >= 0) {
                name = name.substring(0, nul); // a 5.7 replica restarting its IO thread sends a name of NUL bytes
            }
            long position = r.u64();
            if (position < 0) {
                throw new ProtocolException("position " + Long.toUnsignedString(position) + " out of range");
            }
            GtidSet gtids = GtidSet.empty();
            if (r.remaining() > 0) {
                long size = r.u32();
                if (size > r.remaining() || size > MAX_GTID_DATA) {
                    throw new ProtocolException("GTID data of " + size + " bytes, " + r.remaining() + " left");
                }
                gtids = GtidSet.decode(r.array(), r.offset(), (int) size);
                r.skip(size);
            }
            return new BinlogDumpGtid(flags, serverId, name, position, gtids);
        });
    }

    public boolean nonBlocking() {
        return (flags & NON_BLOCK) != 0;
    }

    @Override
    public String toString() {
        return "BinlogDumpGtid(flags 0x" + Integer.toHexString(flags) + ", server_id " + serverId
                + (fileName.isEmpty() ? "" : ", " + fileName + ":" + position) + ", gtids " + gtids + ")";
    }
}

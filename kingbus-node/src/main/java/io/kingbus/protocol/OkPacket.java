package io.kingbus.protocol;

/**
 * The OK packet: header 0x00 (or 0xFE where it ends a result set for a client with
 * {@link Capabilities#DEPRECATE_EOF}), affected rows, last insert id, status flags, warnings and an info text.
 */
public record OkPacket(long affectedRows, long lastInsertId, int statusFlags, int warnings, String info) {
    public static final int HEADER = 0x00;
    public static final int EOF_HEADER = 0xfe;

    public OkPacket {
        info = info == null ? "" : info;
    }

    public static OkPacket of(int statusFlags) {
        return new OkPacket(0, 0, statusFlags, 0, "");
    }

    public static boolean isOk(byte[] payload) {
        return payload.length >= 7 && payload[0] == HEADER;
    }

    /** Parses an OK (0x00) or an EOF-style OK (0xFE) as a server speaking 4.1 sends it. */
    public static OkPacket parse(byte[] payload, int capabilities) {
        return Wire.parse("OK", payload, r -> {
            int header = r.u8();
            if (header != HEADER && header != EOF_HEADER) {
                throw new ProtocolException(String.format("an OK packet must start with 0x00 or 0xfe, got 0x%02x",
                        header));
            }
            long affected = r.packedInt();
            long insertId = r.packedInt();
            int status = 0;
            int warnings = 0;
            if (Capabilities.has(capabilities, Capabilities.PROTOCOL_41)) {
                status = r.u16();
                warnings = r.u16();
            }
            String info = "";
            if (r.remaining() > 0) {
                if (Capabilities.has(capabilities, Capabilities.SESSION_TRACK)) {
                    String s = Wire.lenencString(r, "OK info");
                    info = s == null ? "" : s;
                    // session state changes (if any) follow; kingbus does not use them
                } else {
                    info = r.restAsString();
                }
            }
            return new OkPacket(affected, insertId, status, warnings, info);
        });
    }

    public byte[] encode() {
        return encode(HEADER, Capabilities.PROTOCOL_41);
    }

    /** With header 0x00, or 0xFE for the OK that ends a result set under DEPRECATE_EOF. */
    public byte[] encode(int header, int capabilities) {
        PayloadWriter w = new PayloadWriter(16 + info.length()).u8(header).lenenc(affectedRows).lenenc(lastInsertId)
                .u16(statusFlags).u16(warnings);
        if (Capabilities.has(capabilities, Capabilities.SESSION_TRACK)) {
            if (!info.isEmpty()) {
                w.lenencString(info);
            }
        } else {
            w.string(info);
        }
        return w.toByteArray();
    }
}

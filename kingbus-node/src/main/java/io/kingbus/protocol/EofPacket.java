package io.kingbus.protocol;

/** The EOF packet (0xFE, warnings, status flags; shorter than 9 bytes) of result sets and the end of a dump. */
public record EofPacket(int warnings, int statusFlags) {
    public static final int HEADER = 0xfe;

    /** An EOF packet: 0xFE and less than 9 bytes (longer 0xFE packets are rows, OKs or auth switches). */
    public static boolean isEof(byte[] payload) {
        return payload.length > 0 && payload.length < 9 && (payload[0] & 0xff) == HEADER;
    }

    public static EofPacket parse(byte[] payload) {
        return Wire.parse("EOF", payload, r -> {
            Wire.expectHeader(r, HEADER, "an EOF packet");
            if (r.remaining() >= 4) {
                int warnings = r.u16();
                return new EofPacket(warnings, r.u16());
            }
            return new EofPacket(0, 0);
        });
    }

    public byte[] encode() {
        return new PayloadWriter(5).u8(HEADER).u16(warnings).u16(statusFlags).toByteArray();
    }
}

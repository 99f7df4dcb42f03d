package io.kingbus.protocol;

import java.util.Objects;

/** The ERR packet: 0xFF, error code, '#' and a 5-character SQL state (protocol 4.1), message. */
public record ErrPacket(int errorCode, String sqlState, String message) {
    public static final int HEADER = 0xff;

    public ErrPacket {
        sqlState = sqlState == null ? ErrorCodes.STATE_GENERAL : sqlState;
        Objects.requireNonNull(message, "message");
        if (sqlState.length() != 5) {
            throw new IllegalArgumentException("SQL state must have 5 characters: '" + sqlState + "'");
        }
    }

    public static boolean isErr(byte[] payload) {
        return payload.length > 0 && (payload[0] & 0xff) == HEADER;
    }

    /** Parses with or without the SQL state (a server may omit it before capabilities are settled). */
    public static ErrPacket parse(byte[] payload) {
        return Wire.parse("ERR", payload, r -> {
            Wire.expectHeader(r, HEADER, "an ERR packet");
            int code = r.u16();
            String state = ErrorCodes.STATE_GENERAL;
            if (r.remaining() >= 6 && r.array()[r.offset()] == '#') {
                r.skip(1);
                state = r.string(5);
                if (state.length() != 5) {
                    state = ErrorCodes.STATE_GENERAL; // non-ASCII junk
                }
            }
            return new ErrPacket(code, state, r.restAsString());
        });
    }

    public byte[] encode() {
        return new PayloadWriter(16 + message.length()).u8(HEADER).u16(errorCode).u8('#').string(sqlState)
                .string(message).toByteArray();
    }

    /** "ERROR 1045 (28000): Access denied ...", as the mysql client prints it. */
    @Override
    public String toString() {
        return "ERROR " + errorCode + " (" + sqlState + "): " + message;
    }
}

package io.kingbus.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * 0x01 during authentication: extra data from the server's auth plugin, e.g. caching_sha2_password's fast-auth
 * result (0x03 / 0x04) or its RSA public key in PEM form.
 */
public record AuthMoreData(byte[] data) {
    public static final int HEADER = 0x01;

    public AuthMoreData {
        Objects.requireNonNull(data, "data");
    }

    public static AuthMoreData parse(byte[] payload) {
        return Wire.parse("auth more data", payload, r -> {
            Wire.expectHeader(r, HEADER, "an auth-more-data packet");
            return new AuthMoreData(Wire.rest(r));
        });
    }

    public byte[] encode() {
        return new PayloadWriter(data.length + 1).u8(HEADER).bytes(data).toByteArray();
    }

    /** True when the data is exactly the one status byte {@code b}. */
    public boolean is(int b) {
        return data.length == 1 && (data[0] & 0xff) == b;
    }

    public String asString() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthMoreData a && Arrays.equals(a.data, data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthMoreData(" + data.length + " bytes)";
    }
}

package io.kingbus.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * 0xFE during authentication: the server asks the client to authenticate again with another plugin and a new
 * nonce. MySQL sends the 20-byte nonce followed by a NUL; {@link #nonce()} drops that NUL.
 */
public record AuthSwitchRequest(String pluginName, byte[] pluginData) {
    public static final int HEADER = 0xfe;

    public AuthSwitchRequest {
        Objects.requireNonNull(pluginName, "pluginName");
        pluginData = pluginData == null ? new byte[0] : pluginData;
    }

    public static AuthSwitchRequest parse(byte[] payload) {
        return Wire.parse("auth switch request", payload, r -> {
            Wire.expectHeader(r, HEADER, "an auth switch request");
            if (r.remaining() == 0) {
                throw new ProtocolException("old-style auth switch (to the pre-4.1 password scheme) is not supported");
            }
            String plugin = Wire.nulOrRestString(r);
            return new AuthSwitchRequest(plugin, Wire.rest(r));
        });
    }

    public byte[] encode() {
        return new PayloadWriter(pluginName.length() + pluginData.length + 2).u8(HEADER).nulString(pluginName)
                .bytes(pluginData).toByteArray();
    }

    /** The plugin data without MySQL's trailing NUL. */
    public byte[] nonce() {
        int n = pluginData.length;
        return n > 0 && pluginData[n - 1] == 0 ? Arrays.copyOf(pluginData, n - 1) : pluginData.clone();
    }

    /** A switch request carrying a nonce the way MySQL sends it (nonce + NUL). */
    public static AuthSwitchRequest withNonce(String pluginName, byte[] nonce) {
        byte[] data = Arrays.copyOf(nonce, nonce.length + 1);
        return new AuthSwitchRequest(pluginName, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthSwitchRequest a && a.pluginName.equals(pluginName)
                && Arrays.equals(a.pluginData, pluginData);
    }

    @Override
    public int hashCode() {
        return 31 * pluginName.hashCode() + Arrays.hashCode(pluginData);
    }

    @Override
    public String toString() {
        return "AuthSwitchRequest(" + pluginName + ", " + pluginData.length + " bytes)";
    }
}

package io.kingbus.protocol;

import io.kingbus.binlog.ByteReader;

import java.util.Arrays;
import java.util.Objects;

/**
 * The server's initial handshake (protocol version 10): server version, connection id, the auth plugin data
 * (the 20-byte nonce, sent in two parts), capabilities, collation, status and the default auth plugin.
 */
public record HandshakeV10(String serverVersion, long connectionId, byte[] authPluginData, int capabilities,
                           int characterSet, int statusFlags, String authPluginName) {
    public static final int PROTOCOL_VERSION = 10;

    public HandshakeV10 {
        Objects.requireNonNull(serverVersion, "serverVersion");
        Objects.requireNonNull(authPluginData, "authPluginData");
        if (authPluginData.length < 8) {
            throw new IllegalArgumentException("auth plugin data must have at least 8 bytes");
        }
        authPluginName = authPluginName == null ? "" : authPluginName;
    }

    public static HandshakeV10 parse(byte[] payload) {
        return Wire.parse("initial handshake", payload, r -> {
            int version = r.u8();
            if (version == 0xff) {
                throw new ProtocolException("the server answered with an error packet, not a handshake");
            }
            if (version != PROTOCOL_VERSION) {
                throw new ProtocolException("unsupported handshake protocol version " + version);
            }
            String serverVersion = Wire.nulString(r, "server version");
            long connectionId = r.u32();
            byte[] part1 = r.bytes(8);
            r.skip(1); // filler
            int caps = r.u16();
            int charset = 0;
            int status = 0;
            byte[] data = part1;
            String plugin = "";
            if (r.remaining() > 0) {
                charset = r.u8();
                status = r.u16();
                caps |= r.u16() << 16;
                int dataLength = r.u8();
                r.skip(10); // reserved
                if (Capabilities.has(caps, Capabilities.SECURE_CONNECTION)) {
                    int part2Length = Math.min(Math.max(13, dataLength - 8), r.remaining());
                    byte[] part2 = r.bytes(part2Length);
                    int used = part2.length;
                    if (used > 0 && part2[used - 1] == 0) {
                        used--; // part 2 is NUL-terminated
                    }
                    data = Arrays.copyOf(part1, 8 + used);
                    System.arraycopy(part2, 0, data, 8, used);
                }
                if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH)) {
                    plugin = Wire.nulOrRestString(r);
                }
            }
            return new HandshakeV10(serverVersion, connectionId, data, caps, charset, status, plugin);
        });
    }

    /** The payload as a server sends it; the auth plugin data should be 20 bytes (8 + 12, plus MySQL's NUL). */
    public byte[] encode() {
        PayloadWriter w = new PayloadWriter(128);
        w.u8(PROTOCOL_VERSION).nulString(serverVersion).u32(connectionId);
        w.bytes(authPluginData, 0, 8).u8(0);
        w.u16(capabilities & 0xffff).u8(characterSet).u16(statusFlags).u16(capabilities >>> 16);
        w.u8(Capabilities.has(capabilities, Capabilities.PLUGIN_AUTH) ? authPluginData.length + 1 : 0);
        w.zeros(10);
        if (Capabilities.has(capabilities, Capabilities.SECURE_CONNECTION)) {
            w.bytes(authPluginData, 8, authPluginData.length - 8);
            w.zeros(Math.max(1, 13 - (authPluginData.length - 8)));
        }
        if (Capabilities.has(capabilities, Capabilities.PLUGIN_AUTH)) {
            w.nulString(authPluginName);
        }
        return w.toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeV10 h && h.serverVersion.equals(serverVersion) && h.connectionId == connectionId
                && Arrays.equals(h.authPluginData, authPluginData) && h.capabilities == capabilities
                && h.characterSet == characterSet && h.statusFlags == statusFlags
                && h.authPluginName.equals(authPluginName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(serverVersion, connectionId, Arrays.hashCode(authPluginData), capabilities);
    }

    @Override
    public String toString() {
        return "HandshakeV10(" + serverVersion + ", connection " + connectionId + ", caps 0x"
                + Integer.toHexString(capabilities) + ", " + authPluginName + ")";
    }
}

package io.kingbus.protocol;

import io.kingbus.binlog.ByteReader;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The client's answer to the handshake (protocol 4.1). With {@link Capabilities#SSL} the client first sends only
 * the fixed 32-byte prefix ({@link #encodeSslRequest}), switches to TLS, then sends the whole response.
 * {@code authResponse} is the scramble of the plugin named by {@code authPluginName}.
 */
public record HandshakeResponse41(int capabilities, int maxPacketSize, int characterSet, String user,
                                  byte[] authResponse, String database, String authPluginName,
                                  Map<String, String> connectAttributes) {
    /** Length of the fixed part, which is also the whole SSL request. */
    public static final int FIXED_LENGTH = 32;

    public HandshakeResponse41 {
        Objects.requireNonNull(user, "user");
        authResponse = authResponse == null ? new byte[0] : authResponse;
        connectAttributes = connectAttributes == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(connectAttributes));
    }

    /** True for the 32-byte SSL request that precedes a TLS handshake. */
    public static boolean isSslRequest(byte[] payload) {
        return payload.length == FIXED_LENGTH && payload.length >= 4
                && ((payload[1] & 0xff) << 8 & Capabilities.SSL) != 0;
    }

    /** The SSL request: capabilities (with {@link Capabilities#SSL}), max packet size, collation, 23 zero bytes. */
    public static byte[] encodeSslRequest(int capabilities, int maxPacketSize, int characterSet) {
        return new PayloadWriter(FIXED_LENGTH).u32(capabilities | Capabilities.SSL).u32(maxPacketSize)
                .u8(characterSet).zeros(23).toByteArray();
    }

    /** Capabilities of an SSL request. */
    public static int parseSslRequest(byte[] payload) {
        return Wire.parse("SSL request", payload, r -> {
            if (payload.length != FIXED_LENGTH) {
                throw new ProtocolException("an SSL request has " + FIXED_LENGTH + " bytes, not " + payload.length);
            }
            return (int) r.u32();
        });
    }

    public byte[] encode() {
        PayloadWriter w = new PayloadWriter(128 + authResponse.length);
        w.u32(capabilities).u32(maxPacketSize).u8(characterSet).zeros(23);
        w.nulString(user);
        if (Capabilities.has(capabilities, Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
            w.lenencBytes(authResponse);
        } else if (Capabilities.has(capabilities, Capabilities.SECURE_CONNECTION)) {
            if (authResponse.length > 255) {
                throw new IllegalArgumentException("auth response of " + authResponse.length
                        + " bytes needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA");
            }
            w.u8(authResponse.length).bytes(authResponse);
        } else {
            w.bytes(authResponse).u8(0);
        }
        if (Capabilities.has(capabilities, Capabilities.CONNECT_WITH_DB)) {
            w.nulString(database == null ? "" : database);
        }
        if (Capabilities.has(capabilities, Capabilities.PLUGIN_AUTH)) {
            w.nulString(authPluginName == null ? "" : authPluginName);
        }
        if (Capabilities.has(capabilities, Capabilities.CONNECT_ATTRS)) {
            PayloadWriter attrs = new PayloadWriter();
            connectAttributes.forEach((k, v) -> attrs.lenencString(k).lenencString(v));
            w.lenencBytes(attrs.toByteArray());
        }
        return w.toByteArray();
    }

    /** Parses a full response (not an SSL request). Trailing optional fields a client left out are tolerated. */
    public static HandshakeResponse41 parse(byte[] payload) {
        return Wire.parse("handshake response", payload, r -> {
            int caps = (int) r.u32();
            if (!Capabilities.has(caps, Capabilities.PROTOCOL_41)) {
                throw new ProtocolException("client does not speak protocol 4.1 (capabilities 0x"
                        + Integer.toHexString(caps) + ")");
            }
            int maxPacket = (int) r.u32();
            int charset = r.u8();
            r.skip(23);
            if (r.remaining() == 0) {
                throw new ProtocolException("an SSL request where a handshake response was expected");
            }
            String user = Wire.nulString(r, "user name");
            byte[] auth;
            if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
                auth = Wire.lenencBytes(r, "auth response");
                if (auth == null) {
                    throw new ProtocolException("NULL auth response");
                }
            } else if (Capabilities.has(caps, Capabilities.SECURE_CONNECTION)) {
                auth = r.bytes(r.u8());
            } else {
                auth = Wire.nulBytes(r, "auth response");
            }
            String db = null;
            if (Capabilities.has(caps, Capabilities.CONNECT_WITH_DB) && r.remaining() > 0) {
                db = Wire.nulOrRestString(r);
            }
            String plugin = null;
            if (Capabilities.has(caps, Capabilities.PLUGIN_AUTH) && r.remaining() > 0) {
                plugin = Wire.nulOrRestString(r);
            }
            Map<String, String> attrs = new LinkedHashMap<>();
            if (Capabilities.has(caps, Capabilities.CONNECT_ATTRS) && r.remaining() > 0) {
                byte[] all = Wire.lenencBytes(r, "connection attributes");
                if (all != null) {
                    ByteReader a = new ByteReader(all, 0, all.length);
                    while (a.remaining() > 0) {
                        String k = Wire.lenencString(a, "attribute name");
                        String v = Wire.lenencString(a, "attribute value");
                        attrs.put(k, v);
                    }
                }
            }
            return new HandshakeResponse41(caps, maxPacket, charset, user, auth, db, plugin, attrs);
        });
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeResponse41 h && h.capabilities == capabilities
                && h.maxPacketSize == maxPacketSize && h.characterSet == characterSet && h.user.equals(user)
                && Arrays.equals(h.authResponse, authResponse) && Objects.equals(h.database, database)
                && Objects.equals(h.authPluginName, authPluginName) && h.connectAttributes.equals(connectAttributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(capabilities, user, Arrays.hashCode(authResponse), database, authPluginName);
    }

    @Override
    public String toString() {
        return "HandshakeResponse41(user " + user + ", caps 0x" + Integer.toHexString(capabilities) + ", "
                + authPluginName + ", " + authResponse.length + "-byte auth response)";
    }
}

package io.kingbus.protocol;

import io.kingbus.binlog.BinlogFormatException;
import io.kingbus.binlog.ByteReader;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Reading helpers on top of the binlog codec's {@link ByteReader} (which already bounds every read and every
 * length prefix): NUL-terminated and length-encoded strings, and {@link #parse} which turns any codec error into a
 * {@link ProtocolException} naming the packet.
 */
public final class Wire {
    private Wire() {
    }

    /**
     * Runs a parser over a whole payload; truncated or malformed input (a bad GTID set included) becomes a
     * ProtocolException.
     */
    public static <T> T parse(String what, byte[] payload, Function<ByteReader, T> parser) {
        if (payload == null) {
            throw new ProtocolException("no " + what + " packet");
        }
        try {
            return parser.apply(new ByteReader(payload, 0, payload.length));
        } catch (ProtocolException e) {
            throw new ProtocolException("malformed " + what + " packet: " + e.getMessage(), e);
        } catch (BinlogFormatException | IllegalArgumentException e) {
            throw new ProtocolException("malformed " + what + " packet (" + payload.length + " bytes): "
                    + e.getMessage(), e);
        }
    }

    /** Checks the packet's first byte. */
    public static void expectHeader(ByteReader r, int header, String what) {
        int b = r.u8();
        if (b != header) {
            throw new ProtocolException(String.format("%s must start with 0x%02x, got 0x%02x", what, header, b));
        }
    }

    /** Bytes up to the next NUL (consumed); throws when there is no NUL. */
    public static byte[] nulBytes(ByteReader r, String what) {
        int end = indexOfNul(r);
        if (end < 0) {
            throw new ProtocolException(what + " is not NUL-terminated");
        }
        byte[] b = r.bytes(end - r.offset());
        r.skip(1);
        return b;
    }

    public static String nulString(ByteReader r, String what) {
        return new String(nulBytes(r, what), StandardCharsets.UTF_8);
    }

    /** Up to the next NUL, or to the end when there is none (for fields some peers leave unterminated). */
    public static String nulOrRestString(ByteReader r) {
        int end = indexOfNul(r);
        if (end < 0) {
            return r.restAsString();
        }
        String s = r.string(end - r.offset());
        r.skip(1);
        return s;
    }

    /** A length-encoded string; NULL (0xFB) is returned as null. */
    public static String lenencString(ByteReader r, String what) {
        byte[] b = lenencBytes(r, what);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** Length-encoded bytes; NULL (0xFB) is returned as null. The length is checked against what is left. */
    public static byte[] lenencBytes(ByteReader r, String what) {
        long n = r.packedInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > r.remaining()) {
            throw new ProtocolException("truncated " + what + ": length " + Long.toUnsignedString(n) + ", "
                    + r.remaining() + " bytes left");
        }
        return r.bytes((int) n);
    }

    public static byte[] rest(ByteReader r) {
        return r.bytes(r.remaining());
    }

    private static int indexOfNul(ByteReader r) {
        byte[] a = r.array();
        int limit = r.offset() + r.remaining();
        for (int i = r.offset(); i < limit; i++) {
            if (a[i] == 0) {
                return i;
            }
        }
        return -1;
    }
}

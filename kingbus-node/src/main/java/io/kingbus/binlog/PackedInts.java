package io.kingbus.binlog;

import java.io.ByteArrayOutputStream;

/** Writes MySQL's length-encoded (packed) integers; {@link ByteReader#packedInt()} reads them. */
public final class PackedInts {
    private PackedInts() {
    }

    public static byte[] encode(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(9);
        write(out, v);
        return out.toByteArray();
    }

    public static void write(ByteArrayOutputStream out, long v) {
        if (v >= 0 && v < 0xfb) {
            out.write((int) v);
        } else if (v >= 0 && v < (1 << 16)) {
            out.write(0xfc);
            writeLe(out, v, 2);
        } else if (v >= 0 && v < (1 << 24)) {
            out.write(0xfd);
            writeLe(out, v, 3);
        } else {
            out.write(0xfe);
            writeLe(out, v, 8);
        }
    }

    private static void writeLe(ByteArrayOutputStream out, long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }
}

package io.kingbus.binlog;

import java.nio.charset.StandardCharsets;

/**
 * A little-endian cursor over a byte range, as the binlog format needs. Every read checks its bounds and
 * throws {@link BinlogFormatException} instead of an index error, so hostile bytes never escape as a crash.
 */
public final class ByteReader {
    private final byte[] bytes;
    private final int limit;
    private int offset;

    public ByteReader(byte[] bytes, int offset, int limit) {
        if (offset < 0 || limit > bytes.length || offset > limit) {
            throw new BinlogFormatException("bad range " + offset + ".." + limit + " of " + bytes.length + " bytes");
        }
        this.bytes = bytes;
        this.offset = offset;
        this.limit = limit;
    }

    public int offset() {
        return offset;
    }

    public int remaining() {
        return limit - offset;
    }

    public byte[] array() {
        return bytes;
    }

    private void need(long n, String what) {
        if (n < 0 || n > limit - offset) {
            throw new BinlogFormatException("truncated " + what + ": need " + n + " bytes, " + (limit - offset) + " left");
        }
    }

    public void skip(long n) {
        need(n, "field");
        offset += (int) n;
    }

    public int u8() {
        need(1, "u8");
        return bytes[offset++] & 0xff;
    }

    public int u16() {
        need(2, "u16");
        int v = (bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8;
        offset += 2;
        return v;
    }

    public int u24() {
        need(3, "u24");
        int v = (bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8 | (bytes[offset + 2] & 0xff) << 16;
        offset += 3;
        return v;
    }

    public long u32() {
        need(4, "u32");
        long v = Bytes.u32(bytes, offset);
        offset += 4;
        return v;
    }

    /** An unsigned little-endian integer of n (≤ 8) bytes; 8-byte values above 2^63-1 come back negative. */
    public long uint(int n) {
        need(n, "integer");
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (bytes[offset + i] & 0xff);
        }
        offset += n;
        return v;
    }

    public long u64() {
        return uint(8);
    }

    /** MySQL's length-encoded integer (packed integer). Returns -1 for the NULL marker 0xfb. */
    public long packedInt() {
        int first = u8();
        if (first < 0xfb) {
            return first;
        }
        switch (first) {
            case 0xfb:
                return -1;
            case 0xfc:
                return uint(2);
            case 0xfd:
                return uint(3);
            case 0xfe:
                return uint(8);
            default:
                throw new BinlogFormatException("bad packed integer prefix 0xff");
        }
    }

    /** A length that must fit what is left; guards against hostile length prefixes. */
    public int packedLength(String what) {
        long n = packedInt();
        need(n, what);
        return (int) n;
    }

    public byte[] bytes(int n) {
        need(n, "bytes");
        byte[] out = new byte[n];
        System.arraycopy(bytes, offset, out, 0, n);
        offset += n;
        return out;
    }

    public String string(int n) {
        need(n, "string");
        String s = new String(bytes, offset, n, StandardCharsets.UTF_8);
        offset += n;
        return s;
    }

    /** A string padded with NUL bytes to a fixed width (e.g. the server version in FORMAT_DESCRIPTION). */
    public String fixedString(int width) {
        need(width, "string");
        int end = offset;
        while (end < offset + width && bytes[end] != 0) {
            end++;
        }
        String s = new String(bytes, offset, end - offset, StandardCharsets.UTF_8);
        offset += width;
        return s;
    }

    public String restAsString() {
        return string(remaining());
    }
}

package io.kingbus.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Builds a packet payload: little-endian integers, length-encoded integers and strings, NUL-terminated strings. */
public final class PayloadWriter {
    private byte[] buf;
    private int size;

    public PayloadWriter() {
        this(64);
    }

    public PayloadWriter(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    private void ensure(int more) {
        if (size + more > buf.length) {
            long want = Math.max((long) buf.length * 2, (long) size + more);
            if (want > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("payload too large");
            }
            buf = Arrays.copyOf(buf, (int) want);
        }
    }

    public PayloadWriter u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    public PayloadWriter u16(int v) {
        return uint(v, 2);
    }

    public PayloadWriter u24(int v) {
        return uint(v, 3);
    }

    public PayloadWriter u32(long v) {
        return uint(v, 4);
    }

    public PayloadWriter u64(long v) {
        return uint(v, 8);
    }

    private PayloadWriter uint(long v, int n) {
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[size++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** MySQL's length-encoded integer (the same encoding as the binlog's packed integers). */
    public PayloadWriter lenenc(long v) {
        if (v >= 0 && v < 0xfb) {
            return u8((int) v);
        } else if (v >= 0 && v < (1 << 16)) {
            return u8(0xfc).uint(v, 2);
        } else if (v >= 0 && v < (1 << 24)) {
            return u8(0xfd).uint(v, 3);
        }
        return u8(0xfe).uint(v, 8);
    }

    public PayloadWriter bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public PayloadWriter bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    public PayloadWriter zeros(int n) {
        ensure(n);
        size += n; // the array is zero-filled beyond size
        return this;
    }

    public PayloadWriter string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public PayloadWriter nulString(String s) {
        return string(s).u8(0);
    }

    /** A length-encoded string; null is written as the NULL marker 0xFB. */
    public PayloadWriter lenencString(String s) {
        if (s == null) {
            return u8(0xfb);
        }
        return lenencBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public PayloadWriter lenencBytes(byte[] b) {
        return lenenc(b.length).bytes(b);
    }

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}

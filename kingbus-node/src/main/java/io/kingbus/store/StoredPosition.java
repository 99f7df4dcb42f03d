package io.kingbus.store;

/** A file and a byte offset in it. */
public record StoredPosition(String file, long position) {
    @Override
    public String toString() {
        return file + ":" + position;
    }
}

package io.kingbus.store;

/** Stored bytes fail their checksum or framing: reported with file and position, never served. */
public class StoreCorruptionException extends StoreException {
    public StoreCorruptionException(String message, Throwable cause) {
        super(message, cause);
    }
}

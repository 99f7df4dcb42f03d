package io.kingbus.store;

/** The store cannot do what was asked; the message says why with file names, positions and GTIDs. */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}

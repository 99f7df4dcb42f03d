package io.kingbus.store;

/**
 * An appended event does not continue the stored stream (a gap, or a stream that does not start with a
 * rotate). The store is unchanged by the refused event; everything before it in the batch was appended.
 * Deterministic: every replica of the store refuses the same event the same way.
 */
public class StoreConflictException extends StoreException {
    public StoreConflictException(String message) {
        super(message);
    }
}

package io.kingbus.store;

/** The requested start lies in binlog the store has purged (MySQL's error 1236 case). */
public class PurgedException extends StoreException {
    public PurgedException(String message) {
        super(message);
    }
}

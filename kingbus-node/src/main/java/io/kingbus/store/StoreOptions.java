package io.kingbus.store;

import java.time.Duration;

/**
 * How the store writes and what it keeps.
 *
 * @param fsync          fsync binlog data and the index at the end of every append batch (power-loss
 *                       safety; a kill -9 loses nothing acknowledged either way)
 * @param retainBytes    purge the oldest whole files while the store is larger than this (0: no limit)
 * @param retainDuration purge whole files older than this (null: no limit)
 */
public record StoreOptions(boolean fsync, long retainBytes, Duration retainDuration) {

    public static StoreOptions defaults() {
        return new StoreOptions(true, 0, null);
    }

    public StoreOptions withFsync(boolean value) {
        return new StoreOptions(value, retainBytes, retainDuration);
    }

    public StoreOptions withRetention(long bytes, Duration age) {
        return new StoreOptions(fsync, bytes, age);
    }
}

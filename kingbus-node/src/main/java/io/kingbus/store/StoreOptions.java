package io.kingbus.store;

import java.time.Duration;

/**
 * How the store writes and what it keeps.
 *
 * @param fsync          fsync binlog data and the index at the end of every append batch (power-loss
 *                       safety; a kill -9 loses nothing acknowledged either way)
 * @param retainBytes    purge the oldest whole files while the store is larger than this (0: no limit)
 * @param retainDuration purge whole files older than this (null: no limit)
 * @param replayed       the caller keeps every batch durably elsewhere (a raft log) until {@link BinlogStore#sync()}
 *                       and re-applies batches from {@link BinlogStore#recoveryTag()} after a crash: with fsync off,
 *                       the index then skips RocksDB's write-ahead log between syncs, so a crash (kill -9 included)
 *                       may lose the index back to the last sync, and the caller's replay restores it
 */
public record StoreOptions(boolean fsync, long retainBytes, Duration retainDuration, boolean replayed) {

    public StoreOptions(boolean fsync, long retainBytes, Duration retainDuration) {
        this(fsync, retainBytes, retainDuration, false);
    }

    public static StoreOptions defaults() {
        return new StoreOptions(true, 0, null, false);
    }

    public StoreOptions withFsync(boolean value) {
        return new StoreOptions(value, retainBytes, retainDuration, replayed);
    }

    public StoreOptions withRetention(long bytes, Duration age) {
        return new StoreOptions(fsync, bytes, age, replayed);
    }

    public StoreOptions withReplayed(boolean value) {
        return new StoreOptions(fsync, retainBytes, retainDuration, value);
    }
}

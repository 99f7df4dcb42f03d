package io.kingbus.syncer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Keeps the syncer from filling the node's disk. MySQL waits on a full disk until space is freed and then goes on
 * as if nothing had happened; the syncer does the same, a little earlier: it stops taking events from the primary
 * while less than a reserve is usable where the node writes (binlog store and raft log), because the raft log
 * cannot fail a write without taking the node down. Followers have nothing to write while the leader waits.
 */
public final class DiskGuard {
    /**
     * The reserve when none is given: 512 MiB (room for a few of the largest raft entries and RocksDB's compactions),
     * or a tenth of a smaller volume; system property {@code kingbus.syncer.min-free-bytes} sets it.
     */
    private static final long DEFAULT_RESERVE_BYTES = 512L << 20;

    private final LongSupplier usableBytes;
    private final long reserveBytes;
    private final String where;

    public DiskGuard(LongSupplier usableBytes, long reserveBytes, String where) {
        this.usableBytes = usableBytes;
        this.reserveBytes = reserveBytes;
        this.where = where;
    }

    /** Never short of space (tests that are not about it). */
    public static DiskGuard unlimited() {
        return new DiskGuard(() -> Long.MAX_VALUE, 0, "nowhere");
    }

    /** The least usable space of the file systems holding {@code dirs} (each must exist), with the default reserve. */
    public static DiskGuard of(Path... dirs) {
        List<FileStore> stores = new ArrayList<>();
        List<String> names = new ArrayList<>();
        long smallest = Long.MAX_VALUE;
        for (Path d : dirs) {
            try {
                FileStore fs = Files.getFileStore(d);
                if (!stores.contains(fs)) {
                    stores.add(fs);
                    names.add(d.toString());
                    smallest = Math.min(smallest, fs.getTotalSpace());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find the file system of " + d, e);
            }
        }
        Long configured = Long.getLong("kingbus.syncer.min-free-bytes");
        long reserveBytes = configured != null ? configured : Math.min(DEFAULT_RESERVE_BYTES, smallest / 10);
        return new DiskGuard(() -> {
            long least = Long.MAX_VALUE;
            for (FileStore fs : stores) {
                try {
                    least = Math.min(least, fs.getUsableSpace());
                } catch (IOException e) {
                    return 0; // cannot tell: wait rather than risk a failed raft log write
                }
            }
            return least;
        }, reserveBytes, String.join(" and ", names));
    }

    /**
     * Null while the reserve stays usable after writing {@code batchBytes} twice (raft log and binlog file: a batch may
     * be one event of up to 1 GiB), else why the syncer waits (for its status and log).
     */
    String shortage(long batchBytes) {
        long usable = usableBytes.getAsLong();
        long needed = reserveBytes + 2 * batchBytes;
        if (usable >= needed) {
            return null;
        }
        return "disk space low: " + mib(usable) + " usable under " + where + ", the syncer keeps " + mib(reserveBytes)
                + " free" + (batchBytes > 0 ? " after writing " + mib(batchBytes) + " to the raft log and the binlog" : "")
                + "; it waits until space is freed (purge binlog files with a smaller reserve-data-size, or grow the "
                + "volume)";
    }

    /**
     * Whether the syncer may go on after a wait for a batch of {@code batchBytes}: a quarter of the reserve more than
     * {@link #shortage} asks, so that it does not refetch the same batch again and again at the edge.
     */
    boolean roomFor(long batchBytes) {
        return usableBytes.getAsLong() >= reserveBytes + reserveBytes / 4 + 2 * batchBytes;
    }

    long usableBytes() {
        return usableBytes.getAsLong();
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }
}

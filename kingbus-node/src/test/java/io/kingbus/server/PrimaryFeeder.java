package io.kingbus.server;

import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.store.BinlogStore;
import io.kingbus.testkit.MySqlServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Feeds a store from a real primary's binlog files as its dump stream would deliver them (a fake ROTATE announcing
 * each new file, then its events, in batches), up to what {@code SHOW MASTER STATUS} says is complete. Call
 * {@link #sync()} after each workload; it appends only what is new, so a connected replica sees the store grow.
 */
final class PrimaryFeeder {
    private static final int BATCH_EVENTS = 50;
    private static final long BATCH_BYTES = 1 << 20;

    private final MySqlServer primary;
    private final BinlogStore store;
    private final Map<String, Long> fed = new LinkedHashMap<>();
    private long tag = 1;
    private volatile boolean dropRotates;

    PrimaryFeeder(MySqlServer primary, BinlogStore store) {
        this.primary = primary;
        this.store = store;
    }

    /**
     * Leaves out the primary's real ROTATE events, as a store resumed by GTID on another primary file can lack them:
     * each new file is then only announced by a fake ROTATE.
     */
    void dropRotates(boolean drop) {
        dropRotates = drop;
    }

    /** Appends everything the primary has completed since the last call; returns the events appended. */
    synchronized int sync() {
        Map<String, Object> status = primary.query("SHOW MASTER STATUS").get(0);
        String statusFile = String.valueOf(status.get("File"));
        long statusPos = ((Number) status.get("Position")).longValue();
        int appended = 0;
        for (Path f : primary.binlogFiles()) {
            String name = f.getFileName().toString();
            long limit;
            try {
                limit = name.equals(statusFile) ? statusPos : Files.size(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            appended += feedFile(f, name, limit);
            if (name.equals(statusFile)) {
                break;
            }
        }
        return appended;
    }

    private int feedFile(Path path, String name, long limit) {
        Long from = fed.get(name);
        if (from != null && from >= limit) {
            return 0;
        }
        List<byte[]> batch = new ArrayList<>();
        long batchBytes = 0;
        int count = 0;
        if (from == null) {
            batch.add(RotateEvent.fake(primary.serverId(), name, 4, ChecksumType.CRC32).bytes());
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            BinlogFileReader r = BinlogFileReader.over(ch, name, limit, from == null ? 4 : from);
            for (PositionedEvent e; (e = r.next()) != null; ) {
                if (dropRotates && e.event().type() == io.kingbus.binlog.EventType.ROTATE) {
                    fed.put(name, e.endPosition());
                    continue;
                }
                batch.add(e.event().bytes());
                batchBytes += e.event().length();
                count++;
                fed.put(name, e.endPosition());
                if (batch.size() >= BATCH_EVENTS || batchBytes >= BATCH_BYTES) {
                    store.append(name, batch, tag++);
                    batch = new ArrayList<>();
                    batchBytes = 0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!batch.isEmpty()) {
            store.append(name, batch, tag++);
        }
        fed.putIfAbsent(name, 4L);
        return count;
    }
}

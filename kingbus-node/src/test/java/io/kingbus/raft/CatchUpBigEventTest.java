package io.kingbus.raft;

import io.javalin.Javalin;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.raft.TestStream.Batch;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A catch-up copy of a file holding a big event: neither the serving peer nor the copying node holds it whole. */
class CatchUpBigEventTest {
    private static final int BIG_ROW = 40 << 20;
    private static final int PART = 4 << 20;

    @TempDir
    Path tmp;

    /** Appends a batch as raft applies it: events from MIN_PARTED_EVENT_BYTES on in parts. */
    private static void append(BinlogStore store, Batch b) {
        List<byte[]> small = new java.util.ArrayList<>();
        for (byte[] e : b.events()) {
            if (e.length < BinlogStore.MIN_PARTED_EVENT_BYTES) {
                small.add(e);
                continue;
            }
            store.append(b.file(), small, 1);
            small.clear();
            byte[] header = Arrays.copyOf(e, BinlogEvent.HEADER_LENGTH);
            for (int off = 0; off < e.length; off += PART) {
                store.appendPart(null, header, off, ByteBuffer.wrap(e, off, Math.min(PART, e.length - off)), 1);
            }
        }
        store.append(null, small, 1);
    }

    /** Heap bytes allocated by the threads alive at the end (HotSpot's per-thread counters; new threads in full). */
    private static Map<Long, Long> allocations() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] ids = mx.getAllThreadIds();
        long[] bytes = mx.getThreadAllocatedBytes(ids);
        Map<Long, Long> out = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            out.put(ids[i], bytes[i]);
        }
        return out;
    }

    private static long allocatedSince(Map<Long, Long> before) {
        long total = 0;
        for (Map.Entry<Long, Long> e : allocations().entrySet()) {
            if (e.getValue() >= 0) {
                total += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        return total;
    }

    @Test
    void aCopyStreamsBigEventsOnBothSides() throws Exception {
        TestStream s = new TestStream(UUID.randomUUID());
        List<Batch> steps = List.of(s.start(), s.transaction(2, 100), s.transaction(1, BIG_ROW), s.transaction(1, 50),
                s.rotate(), s.transaction(1, 300 << 10), s.transaction(1, 10));
        StoreOptions options = StoreOptions.defaults().withFsync(false);
        Javalin http = null;
        try (BinlogStore source = BinlogStore.open(tmp.resolve("source"), options);
             BinlogStore copy = BinlogStore.open(tmp.resolve("copy"), options)) {
            append(source, steps.get(0));
            append(source, steps.get(1));
            http = Javalin.create(c -> c.showJavalinBanner = false);
            CatchUpRoutes.register(http, source, null);
            http.start("127.0.0.1", 0);
            String url = "http://127.0.0.1:" + http.port();
            // The copy gets the first small transaction: the classes of both sides load (megabytes of heap) before
            // the measured copy, which copies the tail of the first file and the next file.
            new CatchUpClient(copy).copyFrom(url, 7);
            assertThat(copy.executedGtids()).isEqualTo(source.executedGtids());
            for (Batch b : steps.subList(2, steps.size())) {
                append(source, b);
            }

            Map<Long, Long> before = allocations();
            CatchUpClient.Result r = new CatchUpClient(copy).copyFrom(url, 7);
            long allocated = allocatedSince(before);
            System.out.printf("copy with a %d MiB event: %d bytes allocated on the heap, both sides%n", BIG_ROW >> 20,
                    allocated);

            assertThat(r.files()).isEqualTo(2);
            assertThat(copy.executedGtids()).isEqualTo(source.executedGtids());
            assertThat(copy.files()).extracting(f -> f.name() + ":" + f.endPosition() + ":" + f.transactions())
                    .isEqualTo(source.files().stream()
                            .map(f -> f.name() + ":" + f.endPosition() + ":" + f.transactions()).toList());
            for (Map.Entry<String, byte[]> f : s.expectedFiles().entrySet()) {
                assertThat(Files.readAllBytes(tmp.resolve("copy").resolve("binlog").resolve(f.getKey())))
                        .as(f.getKey()).isEqualTo(f.getValue());
            }
            assertThat(allocated).as("heap allocated by both sides of the copy").isLessThan(BIG_ROW / 2);
        } finally {
            if (http != null) {
                http.stop();
            }
        }
    }
}

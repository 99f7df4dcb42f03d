package io.kingbus.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Common ground of the multi-process tests: a temp dir kept when a test fails (the node logs are in
 * {@code <dir>/<node>/node.log}), the cluster killed after each test, and batching helpers.
 */
abstract class ClusterTestBase {
    static final Duration LEADER = Duration.ofSeconds(60);
    static final Duration CONVERGE = Duration.ofSeconds(90);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;
    ClusterHarness cluster;

    @AfterEach
    void killCluster() {
        if (cluster != null) {
            cluster.close();
            System.out.println("cluster logs: " + tmp);
        }
    }

    ClusterHarness start(int nodes) throws Exception {
        cluster = ClusterHarness.create(tmp, nodes, ClusterHarness.Options.tests()).startAll();
        return cluster;
    }

    /** The events some steps of the primary produced, with the file of the first one. */
    record Batch(String file, List<byte[]> events) {
        long bytes() {
            return events.stream().mapToLong(e -> e.length).sum();
        }
    }

    @FunctionalInterface
    interface Steps {
        void run(Primary p);
    }

    static Batch batch(Primary p, Steps steps) {
        int mark = p.eventCount();
        steps.run(p);
        List<Primary.Event> events = p.eventsFrom(mark);
        List<byte[]> bytes = new ArrayList<>(events.size());
        for (Primary.Event e : events) {
            bytes.add(e.bytes());
        }
        return new Batch(events.get(0).file(), bytes);
    }

    long propose(Batch b) throws InterruptedException {
        return cluster.propose(b.file(), b.events());
    }

    static String ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000 + " ms";
    }
}

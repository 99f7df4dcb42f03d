package io.kingbus.cluster;

import io.kingbus.testkit.MySqlServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

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

    /**
     * Starts the syncer through {@code node} (a follower forwards it) on a real primary as root without a password,
     * retrying while it answers 503 (the leader's admin URL is not published yet); asserts it was accepted.
     */
    void startSyncer(NodeProcess node, int syncerId, MySqlServer primary) throws Exception {
        String body = "{\"syncer_id\": " + syncerId + ", \"syncer_uuid\": \"" + UUID.randomUUID()
                + "\", \"mysql_addr\": \"" + primary.host() + ":" + primary.port() + "\", \"mysql_user\": \"root\", "
                + "\"mysql_password\": \"\", \"semi_sync\": false}";
        Http.Reply[] r = new Http.Reply[1];
        cluster.await(() -> "the syncer start through " + node + " (" + r[0] + ")", LEADER, () -> {
            r[0] = node.send("PUT", "/binlog/syncer/start", body);
            return r[0].ok() || r[0].status() != 503;
        });
        assertThat(r[0].ok()).as("syncer start through %s: %s", node, r[0]).isTrue();
    }

    ClusterHarness start(int nodes) throws Exception {
        cluster = ClusterHarness.create(tmp, nodes, nodeOptions()).startAll();
        return cluster;
    }

    /** The nodes' timings and JVM options: small test JVMs unless a test needs others. */
    ClusterHarness.Options nodeOptions() {
        return ClusterHarness.Options.tests();
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

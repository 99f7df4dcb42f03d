package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The syncer across kill -9 of the raft leader (separate node JVMs): a real MySQL 8.0.15 primary under a write
 * workload (single inserts, multi-statement transactions, rotations), the syncer started through a follower's admin
 * API, and the leader — the node running the syncer — killed with SIGKILL three times mid-stream and restarted. Each
 * new leader's syncer resumes from its store's executed set. At the end every node has executed exactly the
 * primary's gtid_executed, holds the primary's binlog files byte for byte, and every GTID is stored once.
 */
class SyncerLeaderKillTest extends ClusterTestBase {
    /**
     * G1 with the 4 MiB regions bin/kingbus gives a node, instead of the tests' serial collector: the syncer then
     * proposes raft entries of ~1 MB (Syncer.Options.batchBytesFor), as deployed nodes do.
     */
    @Override
    ClusterHarness.Options nodeOptions() {
        ClusterHarness.Options tests = ClusterHarness.Options.tests();
        return tests.withJvmArgs(tests.jvmArgs().stream()
                .flatMap(a -> a.equals("-XX:+UseSerialGC") ? java.util.stream.Stream.of("-XX:+UseG1GC",
                        "-XX:G1HeapRegionSize=4m") : java.util.stream.Stream.of(a)).toList());
    }

    private static final int KILLS = 3;

    @Test
    void killingTheSyncersLeaderRepeatedlyLosesAndDuplicatesNothing() throws Exception {
        try (MySqlServer primary = MySqlServer.start(MySqlVersion.V8_0)) {
            primary.execute("CREATE DATABASE w", "CREATE TABLE w.t (id BIGINT PRIMARY KEY, v VARBINARY(300))");
            start(3);
            NodeProcess leader = cluster.awaitLeader(LEADER);
            NodeProcess follower = cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
            startSyncer(follower, 6101, primary);

            Workload workload = new Workload(primary);
            Thread writer = new Thread(workload, "workload");
            writer.start();
            try {
                for (int round = 1; round <= KILLS; round++) {
                    NodeProcess current = cluster.awaitLeader(LEADER);
                    long before = executedCount(current);
                    int rr = round;
                    cluster.await(() -> "round " + rr + ": " + current + "'s syncer stores new transactions",
                            Duration.ofSeconds(60), () -> executedCount(current) >= before + 200
                                    || workload.failure != null);
                    assertThat(workload.failure).isNull();
                    long stored = executedCount(current);
                    long killedAt = System.nanoTime();
                    current.kill();
                    NodeProcess next = cluster.awaitLeader(LEADER, cluster.nodes());
                    assertThat(next).isNotEqualTo(current);
                    System.out.printf("round %d: killed leader %s (%d transactions stored there); %s leads %s later;"
                            + " workload at %d transactions%n", round, current, stored, next, ms(killedAt),
                            workload.transactions.get());
                    current.start();
                }
                // let the last leader stream a while before the workload ends
                NodeProcess last = cluster.awaitLeader(LEADER);
                long at = executedCount(last);
                cluster.await("the last leader's syncer streams", Duration.ofSeconds(60),
                        () -> executedCount(last) >= at + 200 || workload.failure != null);
            } finally {
                workload.stop = true;
                writer.join(30_000);
            }
            assertThat(workload.failure).isNull();
            primary.execute("FLUSH LOGS", "INSERT INTO w.t VALUES (-1, 'last')");
            String want = GtidSet.parse(primary.gtidExecuted()).toString();
            for (NodeProcess n : cluster.nodes()) {
                cluster.await(n + " to execute the primary's gtid_executed", CONVERGE,
                        () -> want.equals(executed(n)));
            }
            JsonNode status = cluster.awaitLeader(LEADER).get("/binlog/syncer/status").data();
            assertThat(status.path("status").asText()).isEqualTo("running");
            assertThat(status.path("reconnects").asLong() + status.path("connection_attempts").asLong())
                    .isGreaterThan(0);
            List<Path> files = primary.binlogFiles();
            GtidSet primarySet = GtidSet.parse(want);
            for (NodeProcess n : cluster.nodes()) {
                assertSameFiles(n, files, primarySet);
            }
            System.out.printf("%d transactions in %d files; every node identical to the primary%n",
                    workload.transactions.get(), files.size());
        }
    }

    /** Inserts from one connection: single-row autocommits, 3-statement transactions, a rotation now and then. */
    private static final class Workload implements Runnable {
        final MySqlServer primary;
        final AtomicInteger transactions = new AtomicInteger();
        volatile boolean stop;
        volatile Throwable failure;

        Workload(MySqlServer primary) {
            this.primary = primary;
        }

        @Override
        public void run() {
            long id = 1;
            try (Connection c = primary.connect(); Statement st = c.createStatement()) {
                while (!stop) {
                    if (id % 3 == 0) {
                        c.setAutoCommit(false);
                        for (int k = 0; k < 3; k++) {
                            st.execute("INSERT INTO w.t VALUES (" + (id++) + ", RANDOM_BYTES(120))");
                        }
                        c.commit();
                        c.setAutoCommit(true);
                    } else {
                        st.execute("INSERT INTO w.t VALUES (" + (id++) + ", RANDOM_BYTES(200))");
                    }
                    if (transactions.incrementAndGet() % 700 == 0) {
                        st.execute("FLUSH BINARY LOGS");
                    }
                }
            } catch (Throwable t) {
                failure = t;
            }
        }
    }

    static String executed(NodeProcess n) {
        JsonNode s = n.storeOrNull();
        return s == null ? null : s.path("executed").asText();
    }

    private static long executedCount(NodeProcess n) {
        String e = executed(n);
        return e == null ? -1 : GtidSet.parse(e).count();
    }

    /** The node's stored files are the primary's, byte for byte (up to the in-use flag), each GTID stored once. */
    static void assertSameFiles(NodeProcess n, List<Path> primaryFiles, GtidSet primarySet)
            throws Exception {
        Map<String, Long> ends = ClusterHarness.storeEnds(n);
        assertThat(ends.keySet()).as("files of %s", n)
                .containsExactlyElementsOf(primaryFiles.stream().map(p -> p.getFileName().toString()).toList());
        Set<Gtid> seen = new HashSet<>();
        GtidSet stored = GtidSet.empty();
        for (int i = 0; i < primaryFiles.size(); i++) {
            Path pf = primaryFiles.get(i);
            String name = pf.getFileName().toString();
            byte[] want = Files.readAllBytes(pf);
            byte[] all = Files.readAllBytes(n.binlogDir().resolve(name));
            byte[] have = Arrays.copyOf(all, (int) Math.min(all.length, ends.get(name)));
            if (i == primaryFiles.size() - 1) { // the primary's open file: FORMAT_DESCRIPTION says "in use"
                want[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
                have[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
            }
            assertThat(have.length).as("%s: length of %s", n, name).isEqualTo(want.length);
            if (!Arrays.equals(have, want)) {
                throw new AssertionError(n + ": " + name + " differs from the primary's at byte "
                        + Arrays.mismatch(have, want));
            }
            for (Gtid g : ClusterHarness.gtidsIn(n.binlogDir().resolve(name))) {
                if (!seen.add(g)) {
                    throw new AssertionError(n + ": GTID " + g + " is stored twice (again in " + name + ")");
                }
                stored.add(g);
            }
        }
        // no gap, nothing extra: the GTIDs in the files are exactly the primary's executed set
        assertThat(stored.toString()).as("GTIDs in %s's files", n).isEqualTo(primarySet.toString());
    }
}

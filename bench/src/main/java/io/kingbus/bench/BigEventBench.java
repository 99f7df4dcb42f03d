package io.kingbus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One row of up to ~1 GiB (MySQL's largest max_allowed_packet) from a real 8.0.15 primary through a 3-node cluster of
 * node processes: how long it takes to be committed and applied everywhere, what each node's resident memory peaked
 * at, and whether every node's binlog files are byte-identical to the primary's afterwards.
 *
 * <pre>bench/run bigevent [row MiB, default 1000 [node heap, default 3g]]</pre>
 *
 * The row is in a MyISAM table (InnoDB would need a redo log over ten times the row). Needs about 10 times the row
 * in free disk (the primary's binlog and table, each node's raft log and binlog) and the nodes' heaps in RAM.
 */
public final class BigEventBench {
    private static final Duration TIMEOUT = Duration.ofMinutes(20);

    public static void main(String[] args) throws Exception {
        long rowBytes = (args.length > 0 ? Long.parseLong(args[0]) : 1000) << 20;
        String heap = args.length > 1 ? args[1] : "3g";
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "bigevent-bench");
        ClusterHarness.Options options = ClusterHarness.Options.tests()
                .withTimings(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withJvmArgs(NodeJvmOptions.of(List.of("-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError"), null));
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--max-allowed-packet=1G", "--sync-binlog=0").start();
             ClusterHarness cluster = ClusterHarness.create(root, 3, options)) {
            run(primary, cluster, rowBytes, heap);
        } catch (Exception | Error e) {
            System.out.println("failed; the node logs are kept in " + root);
            throw e;
        }
        StoreBench.deleteTree(root);
    }

    private static void run(MySqlServer primary, ClusterHarness cluster, long rowBytes, String heap) throws Exception {
        System.out.printf("Big event benchmark: a row of %,d bytes from a MySQL 8.0.15 primary through 3 kingbus node "
                + "processes (-Xmx%s, loopback); %d cores%n", rowBytes, heap, Runtime.getRuntime().availableProcessors());
        primary.execute("CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, data LONGBLOB) ENGINE=MyISAM",
                "INSERT INTO big.t VALUES (1, 'small')");
        cluster.startAll();
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        Http.Reply r = leader.send("PUT", "/binlog/syncer/start", "{\"syncer_id\": 7101, \"syncer_uuid\": \""
                + UUID.randomUUID() + "\", \"mysql_addr\": \"" + primary.host() + ":" + primary.port()
                + "\", \"mysql_user\": \"root\", \"mysql_password\": \"\", \"semi_sync\": false}");
        if (!r.ok()) {
            throw new IllegalStateException("syncer start: " + r);
        }
        awaitAll(cluster, GtidSet.parse(primary.gtidExecuted()));
        long[] rssBefore = cluster.nodes().stream().mapToLong(n -> status(n, "VmHWM")).toArray();

        long t0 = System.nanoTime();
        primary.execute("INSERT INTO big.t VALUES (2, REPEAT('x', " + rowBytes + "))");
        double written = (System.nanoTime() - t0) / 1e9;
        GtidSet want = GtidSet.parse(primary.gtidExecuted());
        cluster.await("the leader's store to have the big row", TIMEOUT, () -> has(leader, want));
        double onLeader = (System.nanoTime() - t0) / 1e9;
        awaitAll(cluster, want);
        double everywhere = (System.nanoTime() - t0) / 1e9;
        primary.execute("INSERT INTO big.t VALUES (3, 'after')");
        awaitAll(cluster, GtidSet.parse(primary.gtidExecuted()));

        Table t = new Table("node", "role", "peak RSS before, MB", "peak RSS after, MB", "files equal to the primary's");
        for (int i = 0; i < cluster.nodes().size(); i++) {
            NodeProcess n = cluster.nodes().get(i);
            t.row(n.toString(), n == leader ? "leader" : "follower", Table.f1(rssBefore[i] / 1e6),
                    Table.f1(status(n, "VmHWM") / 1e6), sameFiles(n, primary.binlogFiles()));
        }
        System.out.println();
        System.out.printf("row of %,d bytes: written by the primary in %.1f s; stored on the leader (committed by a "
                + "majority) %.1f s and on all 3 nodes %.1f s after the INSERT began%n", rowBytes, written, onLeader,
                everywhere);
        t.print();
    }

    private static void awaitAll(ClusterHarness cluster, GtidSet want) throws InterruptedException {
        for (NodeProcess n : cluster.nodes()) {
            cluster.await(n + " to have " + want, TIMEOUT, () -> has(n, want));
        }
    }

    private static boolean has(NodeProcess n, GtidSet want) {
        JsonNode s = n.storeOrNull();
        return s != null && GtidSet.parse(s.path("executed").asText()).containsAll(want);
    }

    /** A /proc/PID/status field in bytes (its kB value), 0 when unreadable. */
    private static long status(NodeProcess n, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(n.pid()), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone or not Linux
        }
        return 0;
    }

    /**
     * "yes", or where the node's files first differ from the primary's: the same names, and each file's bytes up to
     * the store's end equal to the primary's (the "in use" flag of the primary's open file aside), streamed.
     */
    private static String sameFiles(NodeProcess n, List<Path> primaryFiles) throws IOException {
        Map<String, Long> ends = ClusterHarness.storeEnds(n);
        List<String> names = new ArrayList<>(primaryFiles.stream().map(p -> p.getFileName().toString()).toList());
        if (!names.equals(new ArrayList<>(ends.keySet()))) {
            return "no: files " + ends.keySet() + ", the primary's " + names;
        }
        for (Path pf : primaryFiles) {
            String name = pf.getFileName().toString();
            long length = Files.size(pf);
            if (ends.get(name) != length) {
                return "no: " + name + " ends at " + ends.get(name) + ", the primary's at " + length;
            }
            try (InputStream a = Files.newInputStream(pf); InputStream b = Files.newInputStream(n.binlogDir().resolve(name))) {
                byte[] x = new byte[8 << 20];
                byte[] y = new byte[8 << 20];
                for (long at = 0; at < length; ) {
                    int want = (int) Math.min(x.length, length - at);
                    if (a.readNBytes(x, 0, want) != want || b.readNBytes(y, 0, want) != want) {
                        return "no: " + name + " is short";
                    }
                    if (at == 0) {
                        x[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
                        y[4 + BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
                    }
                    int mismatch = Arrays.mismatch(x, 0, want, y, 0, want);
                    if (mismatch >= 0) {
                        return "no: " + name + " differs at byte " + (at + mismatch);
                    }
                    at += want;
                }
            }
        }
        return "yes (" + names.size() + " files)";
    }

    private BigEventBench() {
    }
}

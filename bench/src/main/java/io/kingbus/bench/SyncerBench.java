package io.kingbus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Syncer catch-up: a backlog of small transactions on a real MySQL 8.0.15 primary, pulled by the syncer of a 3-node
 * kingbus cluster (node processes on loopback, the syncer in the leader's JVM, started through the admin API) and,
 * for comparison, by a native MySQL 8.0.15 replica's IO thread (START SLAVE IO_THREAD, the SQL thread stopped) from
 * the same primary.
 *
 * <p>Both first pull three warm-up backlogs of the measured size (JIT, caches; {@code -Dbench.warmup-rounds}) and
 * stop; then the measured backlog is written on the primary,
 * and each is restarted and timed until it has everything: kingbus until the leader's store (committed by a raft
 * majority) and then every node's store has the backlog's GTIDs; the replica until its Retrieved_Gtid_Set covers
 * them (relay log written, not applied). MB/s counts the primary's binlog bytes of the backlog.
 *
 * <pre>
 * bench/run syncer [transactions, default 100000 [row bytes, default 100 [rounds, default 1]]]
 * </pre>
 *
 * A third row times the syncer's MySQL client alone (a non-blocking dump of the backlog in this JVM, events
 * counted and dropped): the part of the syncer's time that is not raft. Node JVM options can be added with the
 * environment variable {@code SYNCER_BENCH_NODE_ARGS} (e.g. {@code -Dkingbus.syncer.window=16}).
 *
 * <p>The CPU column is what the pullers' processes used meanwhile (user + system, from /proc): the three node JVMs
 * for kingbus, the replica's mysqld for the native row. {@code SYNCER_BENCH_JFR=dir} records the measured rounds of
 * every node with Java Flight Recorder ({@code SYNCER_BENCH_JFC} names a settings file).
 */
public final class SyncerBench {
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    public static void main(String[] args) throws Exception {
        int transactions = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rowBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "syncer-bench");
        ClusterHarness.Options options = ClusterHarness.Options.tests()
                .withTimings(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withJvmArgs(jvmArgs());
        // the backlog is written fast (no fsync per commit); how fast it is read does not depend on that
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--sync-binlog=0", "--innodb-flush-log-at-trx-commit=0").start();
             MySqlServer replica = MySqlServer.start(MySqlVersion.V8_0);
             ClusterHarness cluster = ClusterHarness.create(root, 3, options)) {
            new SyncerBench().run(primary, replica, cluster, transactions, rowBytes, rounds);
        } finally {
            StoreBench.deleteTree(root);
        }
    }

    /** The node JVMs' options; env {@code SYNCER_BENCH_NODE_ARGS="-Dkingbus.syncer.window=16 ..."} adds some. */
    private static List<String> jvmArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("-Xms512m", "-Xmx1g", "-XX:+ExitOnOutOfMemoryError"));
        String extra = System.getenv().getOrDefault("SYNCER_BENCH_NODE_ARGS", "").strip();
        if (!extra.isEmpty()) {
            args.addAll(List.of(extra.split("\\s+")));
        }
        return args;
    }

    private String syncerBody;

    private void run(MySqlServer primary, MySqlServer replica, ClusterHarness cluster, int transactions, int rowBytes,
                     int rounds) throws Exception {
        System.out.printf("Syncer catch-up benchmark: MySQL 8.0.15 primary, 3 kingbus node processes (-Xmx1g) on "
                + "loopback vs a native 8.0.15 replica's IO thread; %d cores%n", Runtime.getRuntime()
                .availableProcessors());
        primary.execute("CREATE DATABASE b",
                "CREATE TABLE b.t (id BIGINT PRIMARY KEY, v VARBINARY(4000))",
                "CREATE PROCEDURE b.gen(IN first BIGINT, IN n INT, IN len INT) BEGIN"
                        + " DECLARE i INT DEFAULT 0;"
                        + " WHILE i < n DO INSERT INTO b.t VALUES (first + i, RANDOM_BYTES(len)); SET i = i + 1;"
                        + " END WHILE; END");
        cluster.startAll();
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        syncerBody = "{\"syncer_id\": 7001, \"syncer_uuid\": \"" + UUID.randomUUID() + "\", \"mysql_addr\": \""
                + primary.host() + ":" + primary.port() + "\", \"mysql_user\": \"root\", \"mysql_password\": \"\","
                + " \"semi_sync\": false}";
        replica.execute("CHANGE MASTER TO MASTER_HOST='" + primary.host() + "', MASTER_PORT=" + primary.port()
                + ", MASTER_USER='root', MASTER_PASSWORD='', MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1");

        // warm-up: both pull backlogs of the measured size a few times, then stop. The node JVMs are fresh: without
        // this their JIT compilers (C2) still take ~1 s of CPU per node during the first measured round, which a
        // long-running node does not pay.
        long next = 1;
        int warm = Math.max(20_000, transactions);
        int warmRounds = Integer.getInteger("bench.warmup-rounds", 3);
        for (int w = 1; w <= warmRounds; w++) {
            System.out.printf("leader %s; warm-up %d/%d: backlog of %,d transactions...%n", leader, w, warmRounds,
                    warm);
            beforeSet = GtidSet.parse(primary.gtidExecuted());
            generate(primary, next, warm, rowBytes);
            next += warm;
            kingbus(cluster, primary);
            nativeIo(replica, primary);
            dumpOnly(primary, 0);
        }

        Table t = new Table("round", "puller", "trx", "MB", "seconds", "trx/s", "MB/s", "all 3 nodes s",
                "all 3 trx/s", "CPU s");
        jfr(cluster, "start");
        for (int round = 1; round <= rounds; round++) {
            long before = binlogBytes(primary);
            beforeSet = GtidSet.parse(primary.gtidExecuted());
            long t0 = System.nanoTime();
            generate(primary, next, transactions, rowBytes);
            double genSeconds = (System.nanoTime() - t0) / 1e9;
            next += transactions;
            long bytes = binlogBytes(primary) - before;
            System.out.printf("round %d: backlog of %,d transactions, %.1f MB of binlog (written in %.1f s)%n", round,
                    transactions, bytes / 1e6, genSeconds);
            // alternate who goes first (page cache, CPU state)
            double[] k;
            double n;
            if (round % 2 == 1) {
                n = nativeIo(replica, primary);
                k = kingbus(cluster, primary);
            } else {
                k = kingbus(cluster, primary);
                n = nativeIo(replica, primary);
            }
            double nativeCpu = replicaCpu;
            t.row(round, "native replica IO thread", Table.f0(transactions), Table.f1(bytes / 1e6),
                    String.format("%.2f", n), Table.f0(transactions / n), Table.f1(bytes / n / 1e6), "", "",
                    String.format("%.2f", nativeCpu));
            double d = dumpOnly(primary, before);
            t.row(round, "kingbus dump client alone (no raft)", Table.f0(transactions), Table.f1(bytes / 1e6),
                    String.format("%.2f", d), Table.f0(transactions / d), Table.f1(bytes / d / 1e6), "", "", "");
            t.row(round, "kingbus syncer (leader committed)", Table.f0(transactions), Table.f1(bytes / 1e6),
                    String.format("%.2f", k[0]), Table.f0(transactions / k[0]), Table.f1(bytes / k[0] / 1e6),
                    String.format("%.2f", k[1]), Table.f0(transactions / k[1]), String.format("%.2f", k[2]));
            System.out.printf("  native %.2f s, kingbus %.2f s (all nodes %.2f s), dump client alone %.2f s%n", n, k[0],
                    k[1], d);
        }
        jfr(cluster, "stop");
        System.out.println();
        t.print();
        // SIGTERM, not kill -9: node JVMs started with -XX:StartFlightRecording=dumponexit=true write their recording
        for (NodeProcess n : cluster.nodes()) {
            n.stop();
        }
    }

    private GtidSet beforeSet;

    /**
     * The dump client by itself (this JVM, a listener that only counts): a non-blocking GTID dump of the backlog,
     * for how much of the syncer's time is the MySQL client side.
     */
    private double dumpOnly(MySqlServer primary, long ignored) throws Exception {
        long[] events = new long[1];
        io.kingbus.syncer.DumpConfig config = io.kingbus.syncer.DumpConfig.builder(primary.host(), primary.port())
                .user("root").password("").serverId(7777).serverUuid(UUID.randomUUID()).gtids(beforeSet)
                .nonBlocking(true).build();
        long t0 = System.nanoTime();
        io.kingbus.syncer.BinlogDumpClient client = new io.kingbus.syncer.BinlogDumpClient(config, e -> events[0]++);
        client.start().get(10, java.util.concurrent.TimeUnit.MINUTES);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Autocommit INSERTs of one row each, from a stored procedure (no round trip per transaction). */
    private static void generate(MySqlServer primary, long first, int n, int rowBytes) {
        primary.execute("CALL b.gen(" + first + ", " + n + ", " + rowBytes + ")");
    }

    private static long binlogBytes(MySqlServer primary) {
        long total = 0;
        for (Map<String, Object> row : primary.query("SHOW BINARY LOGS")) {
            total += ((Number) row.get("File_size")).longValue();
        }
        return total;
    }

    /**
     * Starts the syncer (through the leader's admin API), waits until the leader's store and then every node's has
     * the primary's executed set, stops the syncer. Returns {leader seconds, all nodes seconds}.
     */
    private double[] kingbus(ClusterHarness cluster, MySqlServer primary) throws Exception {
        GtidSet want = GtidSet.parse(primary.gtidExecuted());
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        double cpu0 = nodesCpuSeconds(cluster);
        long t0 = System.nanoTime();
        Http.Reply r = leader.send("PUT", "/binlog/syncer/start", syncerBody);
        if (!r.ok()) {
            throw new IllegalStateException("syncer start: " + r);
        }
        cluster.await("the leader's store to have the backlog", TIMEOUT, () -> has(leader, want));
        double leaderSeconds = (System.nanoTime() - t0) / 1e9;
        for (NodeProcess n : cluster.nodes()) {
            cluster.await(n + " to have the backlog", TIMEOUT, () -> has(n, want));
        }
        double allSeconds = (System.nanoTime() - t0) / 1e9;
        double cpu = nodesCpuSeconds(cluster) - cpu0;
        System.out.printf("  kingbus catch-up from %s to %s (epoch ms %d..%d)%n", java.time.Instant.ofEpochMilli(
                System.currentTimeMillis() - (long) (allSeconds * 1000)), java.time.Instant.now(),
                System.currentTimeMillis() - (long) (allSeconds * 1000), System.currentTimeMillis());
        r = leader.send("PUT", "/binlog/syncer/stop", "");
        if (!r.ok()) {
            throw new IllegalStateException("syncer stop: " + r);
        }
        return new double[] {leaderSeconds, allSeconds, cpu};
    }

    /**
     * With env {@code SYNCER_BENCH_JFR=dir} (and optionally {@code SYNCER_BENCH_JFC=settings file}), records the
     * measured rounds of every node with Java Flight Recorder (jcmd JFR.start / JFR.stop) into dir/node-NAME.jfr.
     */
    private static void jfr(ClusterHarness cluster, String action) throws Exception {
        String dir = System.getenv("SYNCER_BENCH_JFR");
        if (dir == null || dir.isBlank()) {
            return;
        }
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (NodeProcess n : cluster.nodes()) {
            List<String> cmd = new java.util.ArrayList<>(List.of(jcmd, String.valueOf(n.pid()), "JFR." + action,
                    "name=bench"));
            if (action.equals("start")) {
                cmd.add("settings=" + System.getenv().getOrDefault("SYNCER_BENCH_JFC", "profile"));
            } else {
                cmd.add("filename=" + Path.of(dir, "node-" + n.name + ".jfr").toAbsolutePath());
            }
            new ProcessBuilder(cmd).inheritIO().start().waitFor();
        }
    }

    /** CPU seconds (user + system) the node processes have used so far, from /proc (0 where it cannot be read). */
    private static double nodesCpuSeconds(ClusterHarness cluster) {
        double total = 0;
        for (NodeProcess n : cluster.nodes()) {
            try {
                total += procCpuSeconds(n.pid());
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux, or the process is gone: the CPU column stays incomplete
            }
        }
        return total;
    }

    private static boolean has(NodeProcess n, GtidSet want) {
        JsonNode s = n.storeOrNull();
        return s != null && GtidSet.parse(s.path("executed").asText()).containsAll(want);
    }

    /** START SLAVE IO_THREAD, waits until Retrieved_Gtid_Set covers the primary's executed set, stops it. */
    private double nativeIo(MySqlServer replica, MySqlServer primary) throws InterruptedException {
        GtidSet want = GtidSet.parse(primary.gtidExecuted());
        double cpu0 = mysqldCpuSeconds(replica);
        long t0 = System.nanoTime();
        replica.execute("START SLAVE IO_THREAD");
        long deadline = t0 + TIMEOUT.toNanos();
        while (true) {
            Map<String, Object> s = replica.replicaStatus();
            String retrieved = String.valueOf(s.getOrDefault("Retrieved_Gtid_Set", "")).replace("\n", "");
            if (!retrieved.isEmpty() && GtidSet.parse(retrieved).containsAll(want)) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the replica did not retrieve the backlog: " + s);
            }
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        replicaCpu = mysqldCpuSeconds(replica) - cpu0;
        replica.execute("STOP SLAVE IO_THREAD");
        return seconds;
    }

    /** CPU seconds the replica's mysqld used during the last {@link #nativeIo} (all its threads). */
    private double replicaCpu;

    /** CPU seconds (user + system) of a testkit mysqld so far, from its pid file and /proc (0 if unreadable). */
    private static double mysqldCpuSeconds(MySqlServer server) {
        try {
            String pid = Files.readString(server.dataDir().getParent().resolve("mysqld.pid")).strip();
            return procCpuSeconds(Long.parseLong(pid));
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double procCpuSeconds(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in USER_HZ (100)
    }

    private SyncerBench() {
    }
}

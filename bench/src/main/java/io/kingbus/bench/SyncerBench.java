package io.kingbus.bench;

import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import io.kingbus.testkit.ProcThreads;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Syncer catch-up: a backlog of small transactions on a real MySQL 8.0.15 primary, pulled by a native MySQL 8.0.15
 * replica's IO thread (START SLAVE IO_THREAD, the SQL thread stopped) and by the syncer of kingbus clusters of
 * different sizes (node processes on loopback, the syncer in the leader's JVM, started through the admin API), all
 * from the same primary and the same backlog in the same run: by default a 1-node cluster (one copy, like the native
 * replica) and a 3-node cluster (three copies on this machine's cores).
 *
 * <p>All first pull 30 warm-up backlogs of the measured size ({@code -Dbench.warmup-rounds}) and stop, one table row
 * per warm-up round: fresh node JVMs take about that long (3 million transactions) to reach the speed of a node that
 * has been running for a while, mostly JIT compilation (C2) of the Ratis, gRPC and Netty code. The warm-up table is
 * what a freshly started cluster does, the measured rounds what a running one does. Then each round the measured
 * backlog is written on the primary, and each puller is restarted in turn and
 * timed until it has everything: kingbus until the leader's store (committed by a raft majority) and then every
 * node's store has the backlog's GTIDs; the replica until its Retrieved_Gtid_Set covers them (relay log written, not
 * applied). Odd rounds go in the listed order, even rounds in the reverse order. MB/s counts the primary's binlog
 * bytes of the backlog.
 *
 * <pre>
 * bench/run syncer [transactions, default 100000 [row bytes, default 100 [rounds, default 4
 *                  [cluster sizes, default 1,3]]]]
 * </pre>
 *
 * A further row times the syncer's MySQL client alone (a non-blocking dump of the backlog in this JVM, events
 * counted and dropped): the part of the syncer's time that is not raft. Node JVM options can be added to every
 * cluster with the environment variable {@code SYNCER_BENCH_NODE_ARGS} (e.g. {@code -Dkingbus.syncer.window=16});
 * {@code SYNCER_BENCH_AB_ARGS} adds one more cluster of the largest size whose nodes also get those options (its rows
 * are marked B), for an A/B comparison in the same run; {@code SYNCER_BENCH_PRIMARY_ARGS} adds mysqld options to the
 * primary (e.g. {@code --max-binlog-size=64M}, so that the backlogs land in smaller binlog files).
 *
 * <p>Before each round and after each puller the bench waits (up to 5 s) until all the processes are nearly idle, so
 * that one puller's trailing work does not slow the next. The CPU column is what the pullers' processes used
 * meanwhile (user + system, from /proc): a cluster's node JVMs together for kingbus, the replica's mysqld for the
 * native row; "until idle" adds what they used after it was done, until that wait ended (RocksDB flushes, GC).
 * The share of the nodes' C1/C2 JIT compiler threads in a cluster's CPU is printed per round and as a median: fresh
 * node JVMs keep compiling for many rounds after the warm-up (per-entry code reaches the C2 thresholds slowly).
 * {@code SYNCER_BENCH_JFR=dir} records the measured
 * rounds of every node with Java Flight Recorder ({@code SYNCER_BENCH_JFC} names a settings file).
 */
public final class SyncerBench {
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    /** One kingbus cluster under test, with its own syncer identity towards the primary. */
    private record Cluster(String label, ClusterHarness harness, String syncerBody) {
        int size() {
            return harness.nodes().size();
        }
    }

    public static void main(String[] args) throws Exception {
        int transactions = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rowBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        List<Integer> sizes = new ArrayList<>();
        for (String n : (args.length > 3 ? args[3] : "1,3").split(",")) {
            sizes.add(Integer.parseInt(n.strip()));
        }
        String abArgs = System.getenv().getOrDefault("SYNCER_BENCH_AB_ARGS", "").strip();
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "syncer-bench");
        List<ClusterHarness> harnesses = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        // the backlog is written fast (no fsync per commit); how fast it is read does not depend on that
        List<String> primaryArgs = new ArrayList<>(List.of("--sync-binlog=0", "--innodb-flush-log-at-trx-commit=0"));
        String extraPrimary = System.getenv().getOrDefault("SYNCER_BENCH_PRIMARY_ARGS", "").strip();
        if (!extraPrimary.isEmpty()) {
            primaryArgs.addAll(List.of(extraPrimary.split("\\s+")));
        }
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs(primaryArgs.toArray(String[]::new)).start();
             MySqlServer replica = MySqlServer.start(MySqlVersion.V8_0)) {
            for (int size : sizes) {
                harnesses.add(ClusterHarness.create(root.resolve("c" + harnesses.size()), size, options(List.of())));
                labels.add("kingbus x" + size);
            }
            if (!abArgs.isEmpty()) {
                int size = sizes.stream().mapToInt(Integer::intValue).max().orElse(3);
                harnesses.add(ClusterHarness.create(root.resolve("c" + harnesses.size()), size,
                        options(List.of(abArgs.split("\\s+")))));
                labels.add("kingbus x" + size + " B");
                System.out.printf("B: node JVMs with %s%n", abArgs);
            }
            new SyncerBench().run(primary, replica, harnesses, labels, transactions, rowBytes, rounds);
        } finally {
            for (ClusterHarness h : harnesses) {
                h.close();
            }
            StoreBench.deleteTree(root);
        }
    }

    private static ClusterHarness.Options options(List<String> extra) {
        List<String> args = new ArrayList<>(jvmArgs());
        args.addAll(extra);
        return ClusterHarness.Options.tests().withTimings(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withJvmArgs(args);
    }

    /**
     * The node JVMs' options: those bin/kingbus gives a node, and a heap; env
     * {@code SYNCER_BENCH_NODE_ARGS="-Dkingbus.syncer.window=16 ..."} adds some (a later option wins).
     */
    private static List<String> jvmArgs() {
        return NodeJvmOptions.of(NodeJvmOptions.HEAP_1G, "SYNCER_BENCH_NODE_ARGS");
    }

    private final List<Cluster> clusters = new ArrayList<>();

    private void run(MySqlServer primary, MySqlServer replica, List<ClusterHarness> harnesses, List<String> labels,
                     int transactions, int rowBytes, int rounds) throws Exception {
        System.out.printf("Syncer catch-up benchmark: MySQL 8.0.15 primary; kingbus clusters %s (node processes, "
                + "-Xmx1g, loopback) vs a native 8.0.15 replica's IO thread; %d cores%n", labels,
                Runtime.getRuntime().availableProcessors());
        primary.execute("CREATE DATABASE b",
                "CREATE TABLE b.t (id BIGINT PRIMARY KEY, v VARBINARY(4000))",
                "CREATE PROCEDURE b.gen(IN first BIGINT, IN n INT, IN len INT) BEGIN"
                        + " DECLARE i INT DEFAULT 0;"
                        + " WHILE i < n DO INSERT INTO b.t VALUES (first + i, RANDOM_BYTES(len)); SET i = i + 1;"
                        + " END WHILE; END");
        for (int i = 0; i < harnesses.size(); i++) {
            ClusterHarness h = harnesses.get(i).startAll();
            NodeProcess leader = h.awaitLeader(Duration.ofSeconds(60));
            // a distinct server id per cluster: the primary drops an older dump connection with the same id
            String body = "{\"syncer_id\": " + (7001 + i) + ", \"syncer_uuid\": \"" + UUID.randomUUID()
                    + "\", \"mysql_addr\": \"" + primary.host() + ":" + primary.port()
                    + "\", \"mysql_user\": \"root\", \"mysql_password\": \"\", \"semi_sync\": false}";
            clusters.add(new Cluster(labels.get(i), h, body));
            System.out.printf("%s: leader %s%n", labels.get(i), leader);
        }
        replica.execute("CHANGE MASTER TO MASTER_HOST='" + primary.host() + "', MASTER_PORT=" + primary.port()
                + ", MASTER_USER='root', MASTER_PASSWORD='', MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1");

        // warm-up: all pull backlogs of the measured size many times, then stop. The node JVMs are fresh: a 3-node
        // cluster needs ~5x the native replica's time for the first backlog and gets within ~20% of it only after
        // ~25 (JIT compilation of per-entry code that runs a few hundred times per backlog), which a long-running
        // node does not pay.
        long next = 1;
        int warm = Math.max(20_000, transactions);
        int warmRounds = Integer.getInteger("bench.warmup-rounds", 30);
        List<String> warmColumns = new ArrayList<>(List.of("warm-up round", "native s", "native CPU s"));
        for (Cluster c : clusters) {
            warmColumns.addAll(List.of(c.label + " s", c.label + " CPU s", c.label + " JIT CPU s"));
        }
        Table warmTable = new Table(warmColumns.toArray(String[]::new));
        for (int w = 1; w <= warmRounds; w++) {
            System.out.printf("warm-up %d/%d: backlog of %,d transactions...%n", w, warmRounds, warm);
            rotate(primary);
            beforeSet = GtidSet.parse(primary.gtidExecuted());
            generate(primary, next, warm, rowBytes);
            next += warm;
            List<Object> row = new ArrayList<>(List.of(w, "", ""));
            for (Cluster c : clusters) {
                double[] k = kingbus(c, primary);
                row.addAll(List.of(String.format("%.2f", k[0]), String.format("%.2f", k[2]),
                        String.format("%.2f", k[5])));
            }
            double n = nativeIo(replica, primary);
            row.set(1, String.format("%.2f", n));
            row.set(2, String.format("%.2f", replicaCpu));
            warmTable.row(row.toArray());
            dumpOnly(primary, 0);
        }
        if (warmRounds > 0) {
            System.out.println();
            System.out.println("Warm-up rounds (fresh node JVMs; the measured rounds follow them):");
            warmTable.print();
            System.out.println();
        }

        Table t = new Table("round", "puller", "order", "trx", "MB", "seconds", "trx/s", "MB/s", "all nodes s",
                "all nodes trx/s", "CPU s", "CPU s until idle");
        // per puller: the measured seconds (leader committed for kingbus) and CPU seconds of every round
        Map<String, List<double[]>> results = new LinkedHashMap<>();
        String nativeLabel = "native replica IO thread";
        results.put(nativeLabel, new ArrayList<>());
        for (Cluster c : clusters) {
            results.put(c.label, new ArrayList<>());
        }
        long bytes = 0;
        jfr("start");
        for (int round = 1; round <= rounds; round++) {
            rotate(primary);
            long before = binlogBytes(primary);
            beforeSet = GtidSet.parse(primary.gtidExecuted());
            long t0 = System.nanoTime();
            generate(primary, next, transactions, rowBytes);
            double genSeconds = (System.nanoTime() - t0) / 1e9;
            next += transactions;
            bytes = binlogBytes(primary) - before;
            System.out.printf("round %d: backlog of %,d transactions, %.1f MB of binlog (written in %.1f s); %s%n",
                    round, transactions, bytes / 1e6, genSeconds, loadAverage());
            // native first, then the clusters in order; reversed every other round (page cache, CPU state, load)
            List<Object> order = new ArrayList<>();
            order.add(nativeLabel);
            order.addAll(clusters);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            System.out.printf("  settled in %.1f s%n", settle(primary, replica));
            for (int i = 0; i < order.size(); i++) {
                Object puller = order.get(i);
                String pos = (i + 1) + "/" + order.size();
                if (puller instanceof Cluster c) {
                    double[] k = kingbus(c, primary);
                    double waited = settle(primary, replica);
                    double idleCpu = nodesCpuSeconds(c.harness) - k[3];
                    results.get(c.label).add(new double[] {k[0], k[2], idleCpu, k[4], k[5]});
                    t.row(round, c.label + " (leader committed)", pos, Table.f0(transactions),
                            Table.f1(bytes / 1e6), String.format("%.2f", k[0]), Table.f0(transactions / k[0]),
                            Table.f1(bytes / k[0] / 1e6), String.format("%.2f", k[1]),
                            Table.f0(transactions / k[1]), String.format("%.2f", k[2]), String.format("%.2f", idleCpu));
                    System.out.printf("  %s: %.2f s (all nodes %.2f s), %.2f CPU-s (leader %.2f; JIT compilers %.2f; "
                            + "%.2f until idle, settled in %.1f s)%n", c.label, k[0], k[1], k[2], k[4], k[5], idleCpu,
                            waited);
                } else {
                    double n = nativeIo(replica, primary);
                    double cpu = replicaCpu;
                    double waited = settle(primary, replica);
                    double idleCpu = mysqldCpuSeconds(replica) - replicaCpu0;
                    results.get(nativeLabel).add(new double[] {n, cpu, idleCpu, cpu});
                    t.row(round, nativeLabel, pos, Table.f0(transactions), Table.f1(bytes / 1e6),
                            String.format("%.2f", n), Table.f0(transactions / n), Table.f1(bytes / n / 1e6), "", "",
                            String.format("%.2f", cpu), String.format("%.2f", idleCpu));
                    System.out.printf("  native: %.2f s, %.2f CPU-s (%.2f until idle, settled in %.1f s)%n", n, cpu,
                            idleCpu, waited);
                }
            }
            double d = dumpOnly(primary, before);
            t.row(round, "kingbus dump client alone (no raft)", "", Table.f0(transactions), Table.f1(bytes / 1e6),
                    String.format("%.2f", d), Table.f0(transactions / d), Table.f1(bytes / d / 1e6), "", "", "", "");
            System.out.printf("  dump client alone %.2f s; %s%n", d, loadAverage());
        }
        jfr("stop");
        System.out.println();
        t.print();
        System.out.println();
        Table summary = new Table("puller", "rounds", "seconds (median)", "seconds (min-max)", "trx/s (median)",
                "MB/s (median)", "CPU s (median)", "CPU s (min-max)", "CPU s until idle (median)");
        for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
            double[] secs = e.getValue().stream().mapToDouble(r -> r[0]).sorted().toArray();
            double[] cpu = e.getValue().stream().mapToDouble(r -> r[1]).sorted().toArray();
            double[] idle = e.getValue().stream().mapToDouble(r -> r[2]).sorted().toArray();
            if (secs.length == 0) {
                continue;
            }
            double m = median(secs);
            summary.row(e.getKey(), secs.length, String.format("%.2f", m),
                    String.format("%.2f-%.2f", secs[0], secs[secs.length - 1]), Table.f0(transactions / m),
                    Table.f1(bytes / m / 1e6), String.format("%.2f", median(cpu)),
                    String.format("%.2f-%.2f", cpu[0], cpu[cpu.length - 1]), String.format("%.2f", median(idle)));
        }
        summary.print();
        System.out.println();
        for (Cluster c : clusters) {
            double[] leader = results.get(c.label).stream().mapToDouble(r -> r[3]).sorted().toArray();
            double[] followers = results.get(c.label).stream().mapToDouble(r -> r[1] - r[3]).sorted().toArray();
            if (leader.length > 0 && c.size() > 1) {
                System.out.printf("%s: CPU-s of the leader's JVM (median) %.2f, of each follower's %.2f%n", c.label,
                        median(leader), median(followers) / (c.size() - 1));
            }
        }
        for (Cluster c : clusters) {
            double[] jit = results.get(c.label).stream().mapToDouble(r -> r[4]).sorted().toArray();
            double[] rest = results.get(c.label).stream().mapToDouble(r -> r[1] - r[4]).sorted().toArray();
            if (jit.length > 0) {
                System.out.printf("%s: CPU-s of the nodes' JIT compiler threads (median) %.2f; without them %.2f%n",
                        c.label, median(jit), median(rest));
            }
        }
        for (Cluster c : clusters) {
            System.out.printf("%s: threads started per node over the run (java.threads.started): %s%n", c.label,
                    c.harness.nodes().stream().map(SyncerBench::threadsStarted).toList());
        }
        // SIGTERM, not kill -9: node JVMs started with -XX:StartFlightRecording=dumponexit=true write their recording
        for (Cluster c : clusters) {
            for (NodeProcess n : c.harness.nodes()) {
                n.stop();
            }
        }
    }

    /** The JVM's count of threads started so far (jcmd PerfCounter.print), -1 if it cannot be read. */
    private static long threadsStarted(NodeProcess n) {
        try {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            Process p = new ProcessBuilder(jcmd, String.valueOf(n.pid()), "PerfCounter.print").redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor();
            for (String line : out.split("\n")) {
                if (line.startsWith("java.threads.started=")) {
                    return Long.parseLong(line.substring(line.indexOf('=') + 1).strip());
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no jcmd, or the node is gone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The 1, 5 and 15-minute load averages, for the record (this machine is shared). */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return "load " + f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "load unknown";
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

    /**
     * Starts a new binlog file on the primary before a backlog, so that every puller's GTID dump starts at a file
     * boundary. Otherwise MySQL's dump thread reads and skips the current file from its start up to the backlog on
     * each reconnect, for the native replica and the syncer alike: a cost that grows with the file (measured: the
     * dump of one backlog went from 0.3 s to 0.9 s as the file grew to 1 GB, and back to 0.15 s after the rotation)
     * and that would be the primary's, not the pullers'.
     */
    private static void rotate(MySqlServer primary) {
        primary.execute("FLUSH BINARY LOGS");
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
    private double[] kingbus(Cluster c, MySqlServer primary) throws Exception {
        ClusterHarness cluster = c.harness;
        GtidSet want = GtidSet.parse(primary.gtidExecuted());
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        double cpu0 = nodesCpuSeconds(cluster);
        double leaderCpu0 = cpuSecondsOrZero(leader);
        double jit0 = nodesJitCpuSeconds(cluster);
        long t0 = System.nanoTime();
        Http.Reply r = leader.send("PUT", "/binlog/syncer/start", c.syncerBody);
        if (!r.ok()) {
            throw new IllegalStateException("syncer start: " + r);
        }
        leader.awaitExecutedOrFail(want, TIMEOUT);
        double leaderSeconds = (System.nanoTime() - t0) / 1e9;
        for (NodeProcess n : cluster.nodes()) {
            n.awaitExecutedOrFail(want, TIMEOUT);
        }
        double allSeconds = (System.nanoTime() - t0) / 1e9;
        double cpu = nodesCpuSeconds(cluster) - cpu0;
        double leaderCpu = cpuSecondsOrZero(leader) - leaderCpu0;
        double jit = nodesJitCpuSeconds(cluster) - jit0;
        System.out.printf("  kingbus catch-up from %s to %s (epoch ms %d..%d)%n", java.time.Instant.ofEpochMilli(
                System.currentTimeMillis() - (long) (allSeconds * 1000)), java.time.Instant.now(),
                System.currentTimeMillis() - (long) (allSeconds * 1000), System.currentTimeMillis());
        r = leader.send("PUT", "/binlog/syncer/stop", "");
        if (!r.ok()) {
            throw new IllegalStateException("syncer stop: " + r);
        }
        return new double[] {leaderSeconds, allSeconds, cpu, cpu0, leaderCpu, jit};
    }

    /**
     * With env {@code SYNCER_BENCH_JFR=dir} (and optionally {@code SYNCER_BENCH_JFC=settings file}), records the
     * measured rounds of every node with Java Flight Recorder (jcmd JFR.start / JFR.stop) into dir/node-NAME.jfr.
     */
    private void jfr(String action) throws Exception {
        String dir = System.getenv("SYNCER_BENCH_JFR");
        if (dir == null || dir.isBlank()) {
            return;
        }
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        for (NodeProcess n : clusters.stream().flatMap(c -> c.harness.nodes().stream()).toList()) {
            List<String> cmd = new ArrayList<>(List.of(jcmd, String.valueOf(n.pid()), "JFR." + action,
                    "name=bench"));
            if (action.equals("start")) {
                cmd.add("settings=" + System.getenv().getOrDefault("SYNCER_BENCH_JFC", "profile"));
            } else {
                String file = "node-" + n.dir.getParent().getFileName() + "-" + n.name + ".jfr";
                cmd.add("filename=" + Path.of(dir, file).toAbsolutePath());
            }
            new ProcessBuilder(cmd).inheritIO().start().waitFor();
        }
    }

    /** CPU seconds (user + system) the node processes have used so far, from /proc (0 where it cannot be read). */
    private static double cpuSecondsOrZero(NodeProcess n) {
        try {
            return ProcStat.cpuSeconds(n.pid());
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    private static double nodesCpuSeconds(ClusterHarness cluster) {
        double total = 0;
        for (NodeProcess n : cluster.nodes()) {
            try {
                total += ProcStat.cpuSeconds(n.pid());
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux, or the process is gone: the CPU column stays incomplete
            }
        }
        return total;
    }

    /**
     * Waits until the node's store has the backlog. The node answers the moment it has (a request that it holds
     * open), instead of being polled: polling its HTTP server every 5 ms cost the nodes ~4% of the CPU measured.
     */
    /** START SLAVE IO_THREAD, waits until Retrieved_Gtid_Set covers the primary's executed set, stops it. */
    private double nativeIo(MySqlServer replica, MySqlServer primary) throws InterruptedException {
        GtidSet want = GtidSet.parse(primary.gtidExecuted());
        double cpu0 = mysqldCpuSeconds(replica);
        replicaCpu0 = cpu0;
        long t0 = System.nanoTime();
        replica.execute("START SLAVE IO_THREAD");
        long deadline = t0 + TIMEOUT.toNanos();
        while (true) {
            Map<String, Object> s = replica.replicaStatus();
            String retrieved = MySqlServer.gtidSetColumn(s, "Retrieved_Gtid_Set");
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
    private double replicaCpu0;

    /**
     * Writes out the page cache's dirty pages ({@code sync}), then waits (up to 5 s) until the primary, the replica and
     * every node JVM together use less than 10% of a core over 300 ms: a puller's trailing work (RocksDB flushes, GC,
     * the primary's page cleaner, the data it left unwritten in the page cache) should neither slow the next puller
     * nor go uncounted: without the {@code sync}, what the one before had written was still going to disk (kernel
     * flusher threads, counted in nobody's CPU) while the next one ran and fsynced (kingbus at every raft log flush).
     * Returns the seconds waited.
     */
    private double settle(MySqlServer primary, MySqlServer replica) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("sync", e);
        }
        double last = allCpuSeconds(primary, replica);
        while (System.nanoTime() - t0 < 5_000_000_000L) {
            Thread.sleep(300);
            double now = allCpuSeconds(primary, replica);
            if (now - last < 0.03) {
                break;
            }
            last = now;
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private double allCpuSeconds(MySqlServer primary, MySqlServer replica) {
        double total = mysqldCpuSeconds(primary) + mysqldCpuSeconds(replica);
        for (Cluster c : clusters) {
            total += nodesCpuSeconds(c.harness);
        }
        return total;
    }

    /** CPU seconds (user + system) of a testkit mysqld so far, from /proc (0 if unreadable). */
    private static double mysqldCpuSeconds(MySqlServer server) {
        try {
            return ProcStat.cpuSeconds(server.pid());
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU seconds of the nodes' C1/C2 compiler threads so far (/proc/PID/task): a fresh JVM compiles for many rounds
     * (per-entry code paths reach the C2 thresholds slowly), which a long-running node has done long before.
     */
    private static double nodesJitCpuSeconds(ClusterHarness cluster) {
        double total = 0;
        for (NodeProcess n : cluster.nodes()) {
            for (ProcThreads.Task t : ProcThreads.of(n.pid())) {
                if (t.comm().startsWith("C1 CompilerThre") || t.comm().startsWith("C2 CompilerThre")) {
                    total += t.cpuSeconds();
                }
            }
        }
        return total;
    }

    private SyncerBench() {
    }
}

package io.kingbus.bench;

import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.gtid.GtidSet;
import io.kingbus.server.BinlogServerConfig;
import io.kingbus.testkit.FreePorts;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import io.kingbus.testkit.ProcThreads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The binlog server: (a) one real MySQL 8.0.15 replica catching up a backlog of small transactions from a kingbus
 * node (a follower of a 3-node cluster of node processes, which got the backlog through the syncer) and, in the same
 * run, from the real 8.0.15 primary that holds the same backlog; (b) fan-out: concurrent binlog clients (kingbus's own
 * dump client, 100 by default, in a process of their own under {@code nice}, standing for clients on other hosts:
 * see {@link FanOutReaders}): (b1) they read everything written after the ingest warm-ups, for the aggregate rate,
 * the node's CPU per GB and its memory per client; (b2) the syncer's rate for a backlog without readers, while 100
 * readers catch up (started two backlogs behind) and while 100 readers tail, in interleaved rounds
 * ({@code -Dbench.server.ingest-rounds}, default 4; one backlog is about a second and the cluster keeps warming up, so
 * only rounds compare), with the serving node's and the readers' CPU during each ingest. Before (a), unmeasured
 * ingest warm-ups ({@code -Dbench.server.ingest-warmups}, default 12); every backlog in a binlog file of its own on the
 * primary ({@link #nextBacklog}).
 *
 * <p>(a) The replica first replicates a warm-up backlog from the primary; the measured backlog is then timed from each
 * source: the IO thread alone (START SLAVE IO_THREAD until Retrieved_Gtid_Set covers the backlog: how fast the
 * source serves), in rounds alternating which source goes first (every run shown: other work on the machine
 * disturbs single runs), and the whole replica twice per source, in the order primary, kingbus, kingbus, primary
 * (START SLAVE until gtid_executed covers it: what an operator sees). Before them, unmeasured IO-thread passes from
 * each source ({@code -Dbench.server.warm-passes}, default 2): the node's JIT compiles the serving path on its first
 * serves, which mysqld does not pay. Before every run the replica goes back to its
 * warm-up state (relay log reset, backlog rows deleted without binlogging, gtid_executed reset to the warm-up set,
 * InnoDB's purge of those rows finished). The source's CPU time during each run is read from
 * {@code /proc/<pid>/stat}: the node JVM's or mysqld's; for the node, its idle rate (the least of three seconds,
 * 3 s after the ingest) times the run's length is subtracted to show what serving cost.
 *
 * <p>(b) Node memory per client: the serving node's RSS ({@code /proc/<pid>/status} VmRSS) before the readers and its
 * peak while they read, the direct memory held in its Netty buffers (its {@code kingbus_netty_direct_pinned_bytes},
 * sampled every second), the bytes the kernel holds queued on its client connections (Send-Q from
 * {@code /proc/net/tcp}, sampled with the RSS: socket memory no process figure shows), and its live heap after a
 * full GC ({@code jcmd <pid> GC.run} then {@code GC.heap_info})
 * without readers and with the 100 readers connected and caught up (tailing), each difference divided by the number
 * of readers.
 *
 * <pre>
 * bench/run server [transactions, default 100000 [readers, default 100 [row bytes, default 100
 *                  [IO-thread rounds, default 3; 0 skips (a)]]]]
 * </pre>
 *
 * Node JVM options can be added with the environment variable {@code SERVER_BENCH_NODE_ARGS}; with
 * {@code SERVER_BENCH_JFR=/path/file.jfr} the serving node is recorded (JFR, profile settings) while the replica's IO
 * thread catches up from it (and, into {@code file-fanout.jfr}, while the readers catch up);
 * {@code SERVER_BENCH_KINGBUS_FIRST=1} starts every order with kingbus instead; {@code SERVER_BENCH_READERS_NICE=0}
 * runs the binlog clients at the bench's own priority (default 19); {@code SERVER_BENCH_SPLIT=1} runs (b) with the
 * serving node and its readers on half of the CPUs and the rest on the other half, as on two hosts;
 * {@code SERVER_BENCH_PERF=/path/file} records the whole machine with {@code perf record -a -g} while the readers catch
 * up (node JVMs need {@code -XX:+PreserveFramePointer}; their and the readers' perf maps are written to /tmp);
 * {@code SERVER_BENCH_SERVING_NICE=<n>} gives the nodes {@code binlog-server-nice: n} (default: the node's default,
 * {@value io.kingbus.server.BinlogServerConfig#DEFAULT_THREAD_NICE}; 0 runs the binlog server as raft and apply);
 * {@code SERVER_BENCH_SEND_BUFFER=<size>} gives the nodes {@code binlog-server-send-buffer} (default: autotuning);
 * {@code SERVER_BENCH_NICE_AB=<n>} runs each (b2) condition with readers twice per round, at the nodes' setting and
 * with the serving threads reniced to n from outside (root, to go below the setting), alternating which goes first.
 */
public final class ServerBench {
    private static final Duration TIMEOUT = Duration.ofMinutes(15);
    private static final String USER = "kb";
    private static final String PASSWORD = "kb-bench";

    private final MySqlServer primary;
    private final MySqlServer replica;
    private final ClusterHarness cluster;
    private final int rowBytes;
    private String syncerBody;
    private NodeProcess serving;
    private int servingPort;
    private long nextId = 1;
    /** (b) with the serving node and its readers on CPUs of their own ({@link #placeApart}). */
    private final boolean split = "1".equals(System.getenv("SERVER_BENCH_SPLIT"));

    private ServerBench(MySqlServer primary, MySqlServer replica, ClusterHarness cluster, int rowBytes) {
        this.primary = primary;
        this.replica = replica;
        this.cluster = cluster;
        this.rowBytes = rowBytes;
    }

    public static void main(String[] args) throws Exception {
        // one line per reader and dump otherwise
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.kingbus.syncer"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        int transactions = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int readers = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rowBytes = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "server-bench");
        ClusterHarness.Options options = ClusterHarness.Options.tests()
                .withTimings(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withJvmArgs(nodeJvmArgs())
                .withBinlogServerNice(servingNice())
                .withBinlogServerSendBuffer(sendBuffer());
        // the backlog is written fast (no fsync per commit); how fast it is read does not depend on that
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--sync-binlog=0", "--innodb-flush-log-at-trx-commit=0").start();
             MySqlServer replica = MySqlServer.start(MySqlVersion.V8_0);
             ClusterHarness cluster = ClusterHarness.create(root, 3, options)) {
            new ServerBench(primary, replica, cluster, rowBytes).run(transactions, readers, rounds);
        } catch (Exception | Error e) {
            System.out.println("failed; the node logs are kept in " + root);
            throw e;
        }
        StoreBench.deleteTree(root);
    }

    /** binlog-server-send-buffer for the nodes: env {@code SERVER_BENCH_SEND_BUFFER} (e.g. 128KiB), else autotuning. */
    private static int sendBuffer() {
        String size = System.getenv("SERVER_BENCH_SEND_BUFFER");
        return size == null || size.isBlank() ? 0 : io.kingbus.node.NodeConfig.parseSendBuffer(size);
    }

    /** binlog-server-nice for the nodes: env {@code SERVER_BENCH_SERVING_NICE}, else the node's default. */
    private static int servingNice() {
        String nice = System.getenv("SERVER_BENCH_SERVING_NICE");
        return nice == null || nice.isBlank() ? BinlogServerConfig.DEFAULT_THREAD_NICE : Integer.parseInt(nice.strip());
    }

    /**
     * The node JVMs' options (those bin/kingbus gives a node, and a heap); env {@code SERVER_BENCH_NODE_ARGS} adds
     * some (e.g. {@code -XX:StartFlightRecording=filename=/tmp/node.jfr} to profile the serving node).
     */
    private static List<String> nodeJvmArgs() {
        return NodeJvmOptions.of(NodeJvmOptions.HEAP_1G, "SERVER_BENCH_NODE_ARGS");
    }

    private void run(int transactions, int readers, int rounds) throws Exception {
        System.out.printf("Binlog server benchmark: MySQL 8.0.15 primary, 3 kingbus node processes (-Xmx1g, "
                + "binlog-server-nice %d, binlog-server-send-buffer %s) on loopback, a real 8.0.15 replica, %d binlog "
                + "clients; %d cores; load %s%n", cluster.options.binlogServerNice(),
                cluster.options.binlogServerSendBuffer() == 0 ? "autotuned" : cluster.options.binlogServerSendBuffer(),
                readers, Runtime.getRuntime().availableProcessors(), load());
        primary.execute("CREATE DATABASE b",
                "CREATE TABLE b.t (id BIGINT PRIMARY KEY, v VARBINARY(4000))",
                "CREATE PROCEDURE b.gen(IN first BIGINT, IN n INT, IN len INT) BEGIN"
                        + " DECLARE i INT DEFAULT 0;"
                        + " WHILE i < n DO INSERT INTO b.t VALUES (first + i, RANDOM_BYTES(len)); SET i = i + 1;"
                        + " END WHILE; END");
        cluster.startAll();
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        serving = cluster.running().stream().filter(n -> n != leader).findFirst().orElseThrow();
        servingPort = FreePorts.take();
        syncerBody = "{\"syncer_id\": 7002, \"syncer_uuid\": \"" + UUID.randomUUID() + "\", \"mysql_addr\": \""
                + primary.host() + ":" + primary.port() + "\", \"mysql_user\": \"root\", \"mysql_password\": \"\","
                + " \"semi_sync\": false}";
        Http.Reply r = serving.send("PUT", "/binlog/server/start", "{\"addr\": \"127.0.0.1:" + servingPort
                + "\", \"user\": \"" + USER + "\", \"password\": \"" + PASSWORD + "\"}");
        check(r, "binlog server start");

        // warm-up: the syncer pulls it, the replica applies it from the primary, a client reads it from kingbus
        int warm = Math.max(20_000, transactions / 5);
        System.out.printf("leader %s, binlog server on %s:%d; warm-up of %,d transactions...%n", leader, serving,
                servingPort, warm);
        generate(warm);
        ingest();
        changeMasterTo(primary.host(), primary.port(), "root", "");
        replica.execute("START SLAVE");
        replica.awaitGtidExecuted(primary.gtidExecuted(), TIMEOUT);
        replica.execute("STOP SLAVE");
        readAll(1, GtidSet.parse(replica.gtidExecuted()).count());
        int second = Math.max(20_000, transactions / 2);
        warmUpIngest(second);
        // the replica starts every run with the warm-up set (the ingest warm-ups' rows it never reads), the readers of
        // (b) read what follows it
        String warmSet = primary.gtidExecuted();
        long warmLastId = nextId;
        long warmBytes = binlogBytes();

        // (a) one replica, the same backlog from each source
        long before = binlogBytes();
        primary.execute("FLUSH BINARY LOGS"); // the backlog in a file of its own: no source skips warm-ups first
        generate(transactions);
        double[] ingest = ingest();
        long bytes = binlogBytes() - before;
        String target = primary.gtidExecuted();
        System.out.printf("backlog: %,d transactions, %.1f MB of binlog; the syncer, tailing, had it on a raft "
                + "majority %.2f s after the writes ended%n", transactions, bytes / 1e6, ingest[0]);
        Table a = rounds > 0 ? oneReplica(rounds, transactions, bytes, target, warmSet, warmLastId) : null;
        resetTo(warmSet, warmLastId);

        // (b1) fan-out: the readers read everything after the warm-ups (what (a) wrote and one more backlog), then
        // tail: aggregate rate, what the serving node spends, its memory per client
        String readersCpus = split ? placeApart(leader) : null;
        nextBacklog(second);
        ingest();
        long total = binlogBytes();
        long totalTrx = GtidSet.parse(primary.gtidExecuted()).count();
        long rssBefore = rss(serving);
        long heapBefore = liveHeap(serving);
        AtomicLong rssPeak = new AtomicLong(rssBefore);
        long directBefore = directPinned(serving);
        AtomicLong directPeak = new AtomicLong(directBefore);
        AtomicLong sendQueuePeak = new AtomicLong();
        Thread sampler = new Thread(() -> {
            for (int tick = 0; !Thread.currentThread().isInterrupted(); tick++) {
                rssPeak.accumulateAndGet(rss(serving), Math::max);
                sendQueuePeak.accumulateAndGet(sendQueue(), Math::max);
                if (tick % 10 == 0) { // a /metrics scrape costs the node CPU: once a second
                    directPeak.accumulateAndGet(directPinned(serving), Math::max);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.start();
        String jfr = System.getenv("SERVER_BENCH_JFR");
        String fanJfr = jfr == null || jfr.isBlank() ? null : jfr.replaceFirst("(\\.jfr)?$", "-fanout.jfr");
        if (fanJfr != null) {
            jcmd(serving, "JFR.start name=fanout settings=profile");
        }
        double nodeCpu0 = cpuSeconds(serving.pid());
        long t0 = System.nanoTime();
        long fanBytes;
        double fanSeconds;
        double nodeCpu;
        double readersCpu;
        long heapWith;
        long directWith;
        long rssWith;
        try (FanOutReaders.Process fan = startReaders(readers, readersCpus, GtidSet.parse(warmSet))) {
            fan.awaitReading();
            Process perf = startPerf();
            fan.awaitDone(totalTrx);
            fanSeconds = (System.nanoTime() - t0) / 1e9;
            nodeCpu = cpuSeconds(serving.pid()) - nodeCpu0;
            stopPerf(perf, fan);
            fanBytes = fan.bytes();
            readersCpu = cpuSeconds(fan.pid());
            heapWith = liveHeap(serving);
            directWith = directPinned(serving);
            rssWith = rss(serving);
        }
        if (fanJfr != null) {
            jcmd(serving, "JFR.stop name=fanout filename=" + fanJfr);
            System.out.println("  JFR recording of " + serving.name + " while the readers caught up: " + fanJfr);
        }
        sampler.interrupt();
        sampler.join();

        // (b2) the syncer's ingest of a backlog without readers, while they catch up, while they tail: in rounds, so
        // that a trend over the run (the JIT, the files growing) weighs on every condition alike
        int ingestRounds = Integer.getInteger("bench.server.ingest-rounds", 4);
        // env SERVER_BENCH_NICE_AB=<n>: each condition with readers also with the serving threads reniced to n, in the
        // same rounds (alternating which goes first), for a comparison free of the run-to-run trend
        int configuredNice = cluster.options.binlogServerNice();
        String ab = System.getenv("SERVER_BENCH_NICE_AB");
        List<Integer> nices = ab == null || ab.isBlank() ? List.of(configuredNice)
                : List.of(configuredNice, Integer.parseInt(ab.strip()));
        boolean pairing = nices.size() > 1;
        java.util.function.BiFunction<String, Integer, String> label = (what, nice) ->
                readers + " readers " + what + (pairing ? ", serving at nice " + nice : "");
        Map<String, List<IngestRound>> conditions = new java.util.LinkedHashMap<>();
        List<IngestRound> alone = new ArrayList<>();
        conditions.put("no readers", alone);
        for (String what : List.of("catching up", "tailing")) {
            for (int nice : nices) {
                conditions.put(label.apply(what, nice), new ArrayList<>());
            }
        }
        List<Double> tailSeconds = new ArrayList<>();
        long secondBytes = 0;
        for (int round = 0; round < ingestRounds; round++) {
            long bytesBefore = binlogBytes();
            nextBacklog(second);
            secondBytes = binlogBytes() - bytesBefore;
            alone.add(ingestRound(null));
            List<Integer> order = round % 2 == 1 && pairing ? List.of(nices.get(1), nices.get(0)) : nices;

            // catching up: they start two backlogs behind (~10 s of reading), the backlog waiting on the primary
            for (int nice : order) {
                if (pairing) {
                    reniceServingThreads(nice);
                }
                String behind = primary.gtidExecuted();
                nextBacklog(2 * second);
                ingest();
                nextBacklog(second);
                try (FanOutReaders.Process fan = startReaders(readers, readersCpus, GtidSet.parse(behind))) {
                    fan.awaitReading();
                    IngestRound measured = ingestRound(fan);
                    conditions.get(label.apply("catching up", nice)).add(measured);
                    if (measured.slowestReader >= measured.committedTrx) {
                        System.out.println("  note: the slowest reader had caught up before the end of catching-up "
                                + "round " + (round + 1));
                    }
                }
            }

            // tailing: they start where kingbus is, then the backlog commits
            for (int nice : order) {
                if (pairing) {
                    reniceServingThreads(nice);
                }
                String committed = primary.gtidExecuted();
                nextBacklog(second);
                try (FanOutReaders.Process fan = startReaders(readers, readersCpus, GtidSet.parse(committed))) {
                    fan.awaitReading();
                    long t1 = System.nanoTime();
                    conditions.get(label.apply("tailing", nice)).add(ingestRound(fan));
                    fan.awaitDone(GtidSet.parse(primary.gtidExecuted()).count());
                    if (nice == configuredNice) {
                        tailSeconds.add((System.nanoTime() - t1) / 1e9);
                    }
                }
            }
        }
        if (pairing) {
            reniceServingThreads(configuredNice);
        }

        System.out.println();
        if (a != null) {
            System.out.println("(a) one replica catching up the backlog, load " + load());
            a.print();
            System.out.println();
        }
        System.out.printf("(b) %d binlog clients reading the binlog after the warm-ups (%.1f MB, %,d transactions "
                + "each) from %s%s%n", readers, (total - warmBytes) / 1e6, totalTrx - GtidSet.parse(warmSet).count(),
                serving.name, split ? " (placed apart: " + readersCpus + ")" : "");
        Table b = new Table("measure", "value");
        b.row("aggregate read", String.format("%.1f MB in %.2f s = %.1f MB/s", fanBytes / 1e6, fanSeconds,
                fanBytes / fanSeconds / 1e6));
        b.row("per client", String.format("%.1f MB/s", fanBytes / fanSeconds / 1e6 / readers));
        b.row("CPU meanwhile", String.format("serving node %.1f s (%.1f s per GB sent), the %d clients' JVM %.1f s "
                + "(nice %s, its start included)", nodeCpu,
                nodeCpu / (fanBytes / 1e9), readers, readersCpu,
                System.getenv().getOrDefault("SERVER_BENCH_READERS_NICE", "19").strip()));
        b.row("node RSS", String.format("%.0f MB before, %.0f MB peak, %.0f MB after; %.2f MB per client (peak)",
                rssBefore / 1e6, rssPeak.get() / 1e6, rssWith / 1e6, (rssPeak.get() - rssBefore) / 1e6 / readers));
        b.row("node direct memory in Netty buffers", String.format("%.1f MB before, %.1f MB peak, %.1f MB with %d "
                + "tailing; %.0f KB per client (peak)", directBefore / 1e6, directPeak.get() / 1e6, directWith / 1e6,
                readers, (directPeak.get() - directBefore) / 1e3 / readers));
        b.row("node's kernel send queues to the clients", String.format("%.1f MB peak, %.0f KB per client (socket "
                + "memory outside the process: Send-Q of its %d connections)",
                sendQueuePeak.get() / 1e6, sendQueuePeak.get() / 1e3 / readers, readers));
        b.row("node live heap after full GC", String.format("%.1f MB without readers, %.1f MB with %d tailing; %.0f KB "
                + "per client", heapBefore / 1e6, heapWith / 1e6, readers, (heapWith - heapBefore) / 1e3 / readers));
        b.row("readers tailing (b2): every reader had the backlog after", tailSeconds.stream()
                .map(x -> String.format("%.2f s", x)).collect(java.util.stream.Collectors.joining(", ")));
        b.print();
        System.out.println();
        System.out.printf("(b2) syncer ingest, %,d transactions (%.1f MB) per backlog, %d rounds of the three "
                + "conditions (trx/s to the leader's store; CPU-s from the syncer's start until all 3 nodes have it; kernel: "
                + "system + softirq time of all CPUs, which includes loopback TCP for readers on this host)%n",
                second, secondBytes / 1e6, ingestRounds);
        Table c = new Table("condition", "trx/s, each round", "median", "vs no readers", "all 3 nodes, s",
                "serving node CPU-s", "leader + other follower CPU-s", "readers' CPU-s", "kernel CPU-s (machine)");
        double base = IngestRound.median(alone, second);
        conditions.forEach((condition, runs) -> {
            double median = IngestRound.median(runs, second);
            boolean withReaders = runs != alone;
            c.row(condition, IngestRound.each(runs, "%,.0f", x -> second / x.leaderSeconds), Table.f0(median),
                    withReaders ? String.format("%+.0f%%", (median / base - 1) * 100) : "",
                    IngestRound.each(runs, "%.2f", x -> x.allSeconds),
                    IngestRound.each(runs, "%.2f", x -> x.servingCpu),
                    IngestRound.each(runs, "%.2f", x -> x.othersCpu),
                    withReaders ? IngestRound.each(runs, "%.2f", x -> x.readersCpu) : "",
                    IngestRound.each(runs, "%.2f", x -> x.kernelCpu));
        });
        c.print();
        System.out.println("load at the end: " + load());
    }

    /** (a): the same replica catches up the backlog from each source, IO thread alone and whole, in rounds. */
    private Table oneReplica(int rounds, int transactions, long bytes, String target, String warmSet, long warmLastId)
            throws Exception {
        // after a pause, the least of three seconds: right after an ingest the node's JIT is still compiling
        Thread.sleep(3000);
        double idlePerSecond = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            double idle0 = cpuSeconds(serving.pid());
            Thread.sleep(1000);
            idlePerSecond = Math.min(idlePerSecond, cpuSeconds(serving.pid()) - idle0);
        }
        System.out.printf("the serving node uses %.3f CPU s per s while idle (raft heartbeats, housekeeping)%n",
                idlePerSecond);
        // IO thread alone: rounds alternating which source goes first; then IO + SQL twice from each
        Map<Boolean, List<double[]>> io = new java.util.LinkedHashMap<>();
        io.put(false, new ArrayList<>());
        io.put(true, new ArrayList<>());
        boolean flip = "1".equals(System.getenv("SERVER_BENCH_KINGBUS_FIRST"));
        int warmPasses = Integer.getInteger("bench.server.warm-passes", 2);
        if (warmPasses > 0) {
            // The node's JIT compiles the serving path on its first serves (a perf profile of the node over the first
            // runs: ~85% of its samples in the C2 and C1 compiler threads), which mysqld, compiled ahead of time, does
            // not pay: a node that has been serving is past it. These passes are shown, not counted.
            System.out.printf("warm-up passes (not counted): %d from each source%n", warmPasses);
            for (int pass = 0; pass < warmPasses; pass++) {
                for (boolean fromKingbus : new boolean[] {false, true}) {
                    fromSource(fromKingbus, true, target, warmSet, warmLastId);
                }
            }
            System.out.println("measured runs:");
        }
        for (int round = 0; round < rounds; round++) {
            for (boolean fromKingbus : round % 2 == 0 ^ flip ? new boolean[] {false, true}
                    : new boolean[] {true, false}) {
                io.get(fromKingbus).add(fromSource(fromKingbus, true, target, warmSet, warmLastId));
            }
        }
        Map<Boolean, List<double[]>> whole = new java.util.LinkedHashMap<>();
        whole.put(false, new ArrayList<>());
        whole.put(true, new ArrayList<>());
        for (boolean fromKingbus : flip ? new boolean[] {true, false, false, true}
                : new boolean[] {false, true, true, false}) {
            whole.get(fromKingbus).add(fromSource(fromKingbus, false, target, warmSet, warmLastId));
        }
        Table a = new Table("source", "replica threads", "runs", "seconds (each run, fastest first)", "trx/s (best)",
                "MB/s (best)", "source CPU s per run", "of which serving");
        for (boolean fromKingbus : new boolean[] {false, true}) {
            String source = fromKingbus ? "kingbus follower " + serving.name : "real primary 8.0.15";
            for (boolean ioOnly : new boolean[] {true, false}) {
                List<double[]> runs = (ioOnly ? io : whole).get(fromKingbus);
                double[] secs = runs.stream().mapToDouble(run -> run[0]).sorted().toArray();
                double best = secs[0];
                String each = java.util.Arrays.stream(secs).mapToObj(x -> String.format("%.2f", x))
                        .collect(java.util.stream.Collectors.joining(", "));
                double cpu = runs.stream().mapToDouble(run -> run[1]).average().orElse(0);
                double seconds = runs.stream().mapToDouble(run -> run[0]).average().orElse(0);
                a.row(source, ioOnly ? "IO thread (relay log)" : "IO + SQL (gtid_executed)", runs.size(),
                        each, Table.f0(transactions / best),
                        Table.f1(bytes / best / 1e6), String.format("%.2f", cpu),
                        !fromKingbus ? "all" : ioOnly ? String.format("%.2f", cpu - idlePerSecond * seconds)
                                // serving is ~1 s of a ~10 s run: the idle estimate would be most of the figure
                                : "-");
            }
        }
        return a;
    }

    // ------------------------------------------------------------------ the primary and the syncer

    /**
     * Resets the replica to its warm-up state, points it at a source and times it: {seconds, CPU seconds the source
     * process used meanwhile (the whole node JVM, or mysqld)}.
     */
    private double[] fromSource(boolean fromKingbus, boolean ioOnly, String target, String warmSet, long warmLastId)
            throws Exception {
        resetTo(warmSet, warmLastId);
        long pid;
        if (fromKingbus) {
            changeMasterTo("127.0.0.1", servingPort, USER, PASSWORD);
            pid = serving.pid();
        } else {
            changeMasterTo(primary.host(), primary.port(), "root", "");
            pid = primary.pid();
        }
        String jfr = System.getenv("SERVER_BENCH_JFR");
        boolean profile = fromKingbus && ioOnly && jfr != null && !jfr.isBlank();
        if (profile) {
            jcmd(serving, "JFR.start name=serverbench settings=profile");
        }
        double cpu0 = cpuSeconds(pid);
        double s = ioOnly ? ioThread(target) : wholeReplica(target);
        double cpu = cpuSeconds(pid) - cpu0;
        if (profile) {
            jcmd(serving, "JFR.stop name=serverbench filename=" + jfr);
            System.out.println("  JFR recording of " + serving.name + " while it served: " + jfr);
        }
        System.out.printf("  %s, %s: %.2f s, source CPU %.2f s%n", fromKingbus ? "kingbus" : "primary",
                ioOnly ? "IO thread" : "IO + SQL", s, cpu);
        return new double[] {s, cpu};
    }

    /** User + system CPU seconds of a process so far ({@code /proc/<pid>/stat}, clock ticks of 1/100 s). */
    private static double cpuSeconds(long pid) {
        try {
            return ProcStat.cpuSeconds(pid);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * The syncer stopped, a backlog of {@code n} transactions in a binlog file of its own: MySQL reads its current file
     * from the start on every GTID dump (skipping what the puller has), so without the rotation each ingest would
     * cost the primary more than the one before (syncer section of docs/benchmarks.md, "the primary's own skip").
     */
    private void nextBacklog(int n) throws Exception {
        stopSyncer();
        primary.execute("FLUSH BINARY LOGS");
        generate(n);
    }

    /** Autocommit INSERTs of one row each, from a stored procedure (no round trip per transaction). */
    private void generate(int n) {
        primary.execute("CALL b.gen(" + nextId + ", " + n + ", " + rowBytes + ")");
        nextId += n;
    }

    private long binlogBytes() {
        long total = 0;
        for (Map<String, Object> row : primary.query("SHOW BINARY LOGS")) {
            total += ((Number) row.get("File_size")).longValue();
        }
        return total;
    }

    /**
     * Starts the syncer (through the leader's admin API) and waits until the leader's store and then every node's has
     * the primary's executed set. Returns {leader seconds, all nodes seconds}; the syncer keeps running.
     */
    private double[] ingest() throws Exception {
        GtidSet want = GtidSet.parse(primary.gtidExecuted());
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        long t0 = System.nanoTime();
        check(leader.send("PUT", "/binlog/syncer/start", syncerBody), "syncer start");
        leader.awaitExecutedOrFail(want, TIMEOUT);
        double leaderSeconds = (System.nanoTime() - t0) / 1e9;
        for (NodeProcess n : cluster.nodes()) {
            n.awaitExecutedOrFail(want, TIMEOUT);
        }
        return new double[] {leaderSeconds, (System.nanoTime() - t0) / 1e9};
    }

    /**
     * Backlogs ingested before anything is measured ({@code -Dbench.server.ingest-warmups}, default 12): a freshly
     * started cluster ingests below its warm rate for its first ~1.5–2M transactions (the syncer section of
     * docs/benchmarks.md), and (b) compares ingest rates taken minutes apart. Their rates are shown, not counted.
     */
    private void warmUpIngest(int n) throws Exception {
        int warmups = Integer.getInteger("bench.server.ingest-warmups", 12);
        if (warmups <= 0) {
            return;
        }
        List<String> rates = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < warmups; i++) {
            nextBacklog(n);
            rates.add(Table.f0(n / ingest()[0]));
        }
        System.out.printf("ingest warm-up (not counted): %d backlogs of %,d transactions in %.0f s, trx/s: %s%n",
                warmups, n, (System.nanoTime() - t0) / 1e9, String.join(", ", rates));
    }

    /** One backlog's ingest, and what the serving node and the readers' process used meanwhile. */
    record IngestRound(double leaderSeconds, double allSeconds, double servingCpu, double othersCpu,
                       double readersCpu, double kernelCpu, long committedTrx, long slowestReader) {
        static double median(List<IngestRound> rounds, int transactions) {
            double[] rates = rounds.stream().mapToDouble(r -> transactions / r.leaderSeconds).sorted().toArray();
            int n = rates.length;
            return n % 2 == 1 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
        }

        static String each(List<IngestRound> rounds, String format,
                           java.util.function.ToDoubleFunction<IngestRound> f) {
            return rounds.stream().map(r -> String.format(format, f.applyAsDouble(r)))
                    .collect(java.util.stream.Collectors.joining(", "));
        }
    }

    /** {@link #ingest} of the backlog the primary has, with the CPU the serving node and the readers (if any) used. */
    private IngestRound ingestRound(FanOutReaders.Process fan) throws Exception {
        double serving0 = cpuSeconds(serving.pid());
        double readers0 = fan == null ? 0 : cpuSeconds(fan.pid());
        double kernel0 = ProcStat.machineKernelSeconds();
        List<NodeProcess> others = cluster.running().stream().filter(n -> n != serving).toList();
        double others0 = 0;
        for (NodeProcess n : others) {
            others0 += cpuSeconds(n.pid());
        }
        double[] s = ingest();
        double servingCpu = cpuSeconds(serving.pid()) - serving0;
        double othersCpu = -others0;
        for (NodeProcess n : others) {
            othersCpu += cpuSeconds(n.pid());
        }
        double readersCpu = fan == null ? 0 : cpuSeconds(fan.pid()) - readers0;
        double kernelCpu = ProcStat.machineKernelSeconds() - kernel0;
        long committed = GtidSet.parse(primary.gtidExecuted()).count();
        return new IngestRound(s[0], s[1], servingCpu, othersCpu, readersCpu, kernelCpu, committed,
                fan == null ? 0 : fan.slowest());
    }

    private void stopSyncer() throws Exception {
        Http.Reply r = cluster.awaitLeader(Duration.ofSeconds(60)).send("PUT", "/binlog/syncer/stop", "");
        if (!r.ok()) {
            System.out.println("  PUT /binlog/syncer/stop answered " + r + "; once more");
            Thread.sleep(1000);
            r = cluster.awaitLeader(Duration.ofSeconds(60)).send("PUT", "/binlog/syncer/stop", "");
        }
        check(r, "syncer stop");
    }

    private static void check(Http.Reply r, String what) {
        if (!r.ok()) {
            throw new IllegalStateException(what + ": " + r);
        }
    }

    // ------------------------------------------------------------------ the replica

    private void changeMasterTo(String host, int port, String user, String password) {
        replica.execute("CHANGE MASTER TO MASTER_HOST='" + host + "', MASTER_PORT=" + port + ", MASTER_USER='" + user
                + "', MASTER_PASSWORD='" + password + "', MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1");
    }

    /**
     * Back to the warm-up state: no relay log, the backlog's rows gone (not binlogged), gtid_executed = warm-up; then
     * waits (up to a minute) until InnoDB has purged the deleted rows, so the next run does not share the replica
     * with that purge.
     */
    private void resetTo(String warmSet, long firstBacklogId) throws InterruptedException {
        replica.execute("STOP SLAVE", "RESET SLAVE", "SET SESSION sql_log_bin = 0",
                "DELETE FROM b.t WHERE id >= " + firstBacklogId, "RESET MASTER",
                "SET GLOBAL gtid_purged = '" + warmSet + "'");
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (System.nanoTime() < deadline) {
            List<Map<String, Object>> rows = replica.query("SELECT `count` FROM information_schema.innodb_metrics"
                    + " WHERE name = 'trx_rseg_history_len'");
            if (rows.isEmpty() || ((Number) rows.get(0).get("count")).longValue() < 100) {
                return;
            }
            Thread.sleep(100);
        }
    }

    /** START SLAVE IO_THREAD until Retrieved_Gtid_Set covers {@code target}'s new part; seconds. */
    private double ioThread(String target) throws InterruptedException {
        GtidSet want = GtidSet.parse(target).subtract(GtidSet.parse(replica.gtidExecuted()));
        long t0 = System.nanoTime();
        replica.execute("START SLAVE IO_THREAD");
        long deadline = t0 + TIMEOUT.toNanos();
        while (true) {
            Map<String, Object> s = replica.replicaStatus();
            String retrieved = MySqlServer.gtidSetColumn(s, "Retrieved_Gtid_Set");
            if (!retrieved.isEmpty() && GtidSet.parse(retrieved).containsAll(want)) {
                break;
            }
            if (System.nanoTime() > deadline || !"0".equals(String.valueOf(s.get("Last_IO_Errno")))) {
                throw new IllegalStateException("the replica did not retrieve the backlog: " + s);
            }
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        replica.execute("STOP SLAVE IO_THREAD");
        return seconds;
    }

    /** START SLAVE until gtid_executed covers {@code target}; seconds. */
    private double wholeReplica(String target) {
        long t0 = System.nanoTime();
        replica.execute("START SLAVE");
        replica.awaitGtidExecuted(target, TIMEOUT);
        double seconds = (System.nanoTime() - t0) / 1e9;
        replica.execute("STOP SLAVE");
        return seconds;
    }

    // ------------------------------------------------------------------ binlog clients

    /**
     * Starts {@code count} GTID dumps from the serving node, from the start of the binlog, in a process of their own
     * ({@link FanOutReaders}) at the niceness of env {@code SERVER_BENCH_READERS_NICE} (default 19: they stand for
     * clients on other hosts; 0 runs them at the bench's priority).
     */
    private FanOutReaders.Process startReaders(int count, String cpus, GtidSet from) throws IOException {
        int nice = Integer.parseInt(System.getenv().getOrDefault("SERVER_BENCH_READERS_NICE", "19").strip());
        return new FanOutReaders.Process("127.0.0.1", servingPort, USER, PASSWORD, count, nice, cpus, from);
    }

    /**
     * With env {@code SERVER_BENCH_SPLIT=1}, (b) runs as on two hosts: the primary, the leader and the other follower
     * on the first half of the CPUs, the serving follower and its readers on the second half ({@code taskset}).
     * Ingest needs a majority, the leader and one follower; whether a follower serving 100 clients slows it beyond
     * the CPU they take from it is what this shows. Returns the readers' CPU list.
     */
    private String placeApart(NodeProcess leader) throws IOException, InterruptedException {
        int cpus = Runtime.getRuntime().availableProcessors();
        if (cpus < 2) {
            throw new IllegalStateException("SERVER_BENCH_SPLIT needs at least 2 CPUs");
        }
        String ingestCpus = cpus == 2 ? "0" : "0-" + (cpus / 2 - 1);
        String servingCpus = cpus == 2 ? "1" : (cpus / 2) + "-" + (cpus - 1);
        pin(primary.pid(), ingestCpus);
        for (NodeProcess n : cluster.nodes()) {
            pin(n.pid(), n == serving ? servingCpus : ingestCpus);
        }
        System.out.printf("(b) placed apart: CPUs %s for the primary, leader %s and the other follower; CPUs %s for "
                + "the serving follower %s and its readers%n", ingestCpus, leader, servingCpus, serving);
        return servingCpus;
    }

    /** Sets the CPU affinity of every thread of a process (new threads inherit it). */
    private static void pin(long pid, String cpus) throws IOException, InterruptedException {
        java.lang.Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(pid))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " failed");
        }
    }

    /** Reads the whole binlog once from the serving node with {@code count} clients (warm-up), then disconnects. */
    private void readAll(int count, long transactions) throws IOException {
        try (FanOutReaders.Process r = startReaders(count, null, GtidSet.empty())) {
            r.awaitReading();
            r.awaitDone(transactions);
        }
    }

    // ------------------------------------------------------------------ measurements

    /**
     * Sets the niceness of the serving node's binlog-server threads ({@code kingbus-binlog-*}:
     * accept, IO event loops, dump pool) from outside, as {@code renice} (below the node's own setting needs root).
     */
    private void reniceServingThreads(int nice) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("renice", "-n", Integer.toString(nice), "-p"));
        for (ProcThreads.Task t : ProcThreads.of(serving.pid())) {
            if (t.comm().startsWith("kingbus-binlog")) {
                cmd.add(Integer.toString(t.tid()));
            }
        }
        if (cmd.size() > 5 && new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (below the node's niceness needs root)");
        }
    }

    /** VmRSS of a process, in bytes (0 when gone). */
    private static long rss(NodeProcess n) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(n.pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        return 0;
    }

    /** What the kernel holds queued for sending on the binlog server's client connections, in bytes (0 if unknown). */
    private long sendQueue() {
        try {
            return io.kingbus.testkit.TcpQueues.sendQueued(servingPort);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Direct memory held by live buffers of the node's pooled Netty allocator (its /metrics), or 0. */
    private static long directPinned(NodeProcess n) {
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^kingbus_netty_direct_pinned_bytes (\\S+)$")
                    .matcher(n.get("/metrics").body());
            return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** The node's used heap right after a full GC, from {@code jcmd GC.run} and {@code GC.heap_info}. */
    private static long liveHeap(NodeProcess n) throws IOException, InterruptedException {
        jcmd(n, "GC.run");
        String info = jcmd(n, "GC.heap_info");
        // G1: " garbage-first heap   total 524288K, used 123456K [...]"
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
        if (!m.find()) {
            throw new IllegalStateException("no heap usage in jcmd GC.heap_info: " + info);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /**
     * With env {@code SERVER_BENCH_PERF=<file>}: {@code perf record -a -g} of the whole machine while the readers catch
     * up and the syncer ingests (nodes need {@code -XX:+PreserveFramePointer} in {@code SERVER_BENCH_NODE_ARGS}).
     */
    private static Process startPerf() throws IOException {
        String file = System.getenv("SERVER_BENCH_PERF");
        if (file == null || file.isBlank()) {
            return null;
        }
        return new ProcessBuilder("perf", "record", "-F", "499", "-a", "-g", "-o", file)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Stops perf and writes each node JVM's /tmp/perf-<pid>.map, so perf report names the JIT's code. */
    private void stopPerf(Process perf, FanOutReaders.Process fan) throws IOException, InterruptedException {
        if (perf == null) {
            return;
        }
        new ProcessBuilder("kill", "-INT", Long.toString(perf.pid())).start().waitFor();
        perf.waitFor(60, TimeUnit.SECONDS);
        for (NodeProcess n : cluster.nodes()) {
            jcmd(n, "Compiler.perfmap");
        }
        jcmd(fan.pid(), "Compiler.perfmap");
        System.out.println("  perf recording of the fan-out: " + System.getenv("SERVER_BENCH_PERF") + " (leader "
                + cluster.awaitLeader(Duration.ofSeconds(60)).name + ", serving " + serving.name + " pid "
                + serving.pid() + ", readers pid " + fan.pid() + ")");
    }

    private static String jcmd(NodeProcess n, String command) throws IOException, InterruptedException {
        return jcmd(n.pid(), command);
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jcmd " + command + " failed: " + out);
        }
        return out;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}

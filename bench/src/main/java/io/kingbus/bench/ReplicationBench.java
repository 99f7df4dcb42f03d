package io.kingbus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.cluster.Primary;
import io.kingbus.gtid.GtidSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Replicated append throughput: three kingbus node processes on loopback (gRPC transport, the raft log fsynced as
 * Ratis does by default), a backlog of transactions proposed through the leader's test route with a bounded
 * window of outstanding proposals, for several entry sizes (bytes of events per raft entry).
 *
 * <p>Each run is one streamed POST /internal/test/propose?entryBytes=S&amp;window=W: the leader groups the events
 * into entries of at most S bytes (at event boundaries), keeps at most W uncommitted, and measures each entry's
 * commit latency (submit → committed by a majority and applied on the leader). Throughput is the client's wall
 * time for the whole backlog; "followers +ms" is how much later both followers had applied all of it.
 *
 * <pre>
 * bench/run replication [transactions [entry sizes in KiB, default 16,64,256,1024 [window in MiB, default 8]]]
 * </pre>
 */
public final class ReplicationBench {
    private static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    private static final String DEFAULT_ENTRY_KIB = "16,64,256,1024";
    /** Event bytes allowed uncommitted at once (the window in entries is this over the entry size, 4..512). */
    private final long windowBytes;

    private ReplicationBench(long windowBytes) {
        this.windowBytes = windowBytes;
    }

    public static void main(String[] args) throws Exception {
        int transactions = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int[] entrySizes = java.util.Arrays.stream((args.length > 1 ? args[1] : DEFAULT_ENTRY_KIB).split(","))
                .mapToInt(k -> Integer.parseInt(k.strip()) << 10).toArray();
        long windowBytes = (args.length > 2 ? Long.parseLong(args[2]) : 8) << 20;
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "replication-bench");
        ClusterHarness.Options options = ClusterHarness.Options.tests()
                .withTimings(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withJvmArgs(NodeJvmOptions.of(NodeJvmOptions.HEAP_1G, null));
        try (ClusterHarness cluster = ClusterHarness.create(root, 3, options)) {
            new ReplicationBench(windowBytes).run(cluster, transactions, entrySizes);
        } finally {
            StoreBench.deleteTree(root);
        }
    }

    /** One workload: transactions of {@code rows} WRITE_ROWS events of {@code rowBytes} each. */
    private record Workload(String name, int transactions, int rows, int rowBytes) {
    }

    private int nextFile = 1;
    private GtidSet executed = GtidSet.empty();

    private void run(ClusterHarness cluster, int transactions, int[] entrySizes) throws Exception {
        System.out.printf("Replication benchmark: 3 node processes (-Xmx1g each) on loopback, %d cores; "
                        + "raft log fsync as configured by default; logs under %s%n", Runtime.getRuntime()
                        .availableProcessors(), cluster.root);
        cluster.startAll();
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        System.out.printf("leader %s; warming up...%n", leader);
        measure(cluster, new Workload("warm-up", Math.max(10_000, transactions / 5), 1, 200), 64 << 10);

        List<Workload> workloads = List.of(
                new Workload("small rows: 1 x 200 B", transactions, 1, 200),
                new Workload("larger rows: 2 x 4 KiB", Math.max(1000, transactions / 5), 2, 4096));
        Table t = new Table("workload", "trx", "entry size", "window", "entries", "events/s", "trx/s", "MB/s",
                "entries/s", "commit p50 ms", "commit p99 ms", "followers +ms", "load");
        for (Workload w : workloads) {
            for (int size : entrySizes) {
                Result r = measure(cluster, w, size);
                t.row(w.name(), Table.f0(w.transactions()), kib(size), r.window, Table.f0(r.entries),
                        Table.f0(r.events / r.seconds), Table.f0(w.transactions() / r.seconds),
                        Table.f1(r.bytes / r.seconds / 1e6), Table.f0(r.entries / r.seconds),
                        String.format("%.1f", r.p50Micros / 1000.0), String.format("%.1f", r.p99Micros / 1000.0),
                        Table.f0(r.followersMillis), String.format("%.1f", r.load));
                System.out.printf("  %s, %s entries: %.1f MB/s%n", w.name(), kib(size), r.bytes / r.seconds / 1e6);
            }
        }
        System.out.println();
        t.print();
    }

    /** One run; {@code load} is the machine's 1-minute load average at its end (other work shares the cores). */
    private record Result(int window, long entries, long events, long bytes, double seconds, long p50Micros,
                          long p99Micros, double followersMillis, double load) {
    }

    private Result measure(ClusterHarness cluster, Workload w, int entryBytes) throws Exception {
        // Each run continues the stream in a new binlog file (as after a primary restart: fake rotate, FDE,
        // PREVIOUS_GTIDS), so that the primary's expected bytes of earlier runs need not stay in memory.
        Primary p = new Primary(SID, nextFile, executed);
        List<byte[]> events = new ArrayList<>(p.start());
        for (int i = 0; i < w.transactions(); i++) {
            events.addAll(p.transaction(w.rows(), w.rowBytes()));
        }
        String file = p.events().get(0).file();
        List<byte[]> body = Http.chunks(events, 1 << 20);
        int window = (int) Math.max(4, Math.min(512, windowBytes / entryBytes));
        NodeProcess leader = cluster.currentLeader();
        String path = ClusterHarness.proposePath(file, entryBytes) + "&window=" + window;
        long t0 = System.nanoTime();
        Http.Reply r = Http.postBytes(leader.adminUrl(), path, () -> body, Duration.ofMinutes(30));
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!r.ok()) {
            throw new IllegalStateException(w.name() + " at " + entryBytes + " bytes per entry: " + r + "\n"
                    + cluster.diagnostics());
        }
        long t1 = System.nanoTime();
        String want = p.executed().toString();
        for (NodeProcess n : cluster.nodes()) {
            cluster.await(n + " applied the run", Duration.ofMinutes(5), () -> {
                JsonNode s = n.storeOrNull();
                return s != null && want.equals(s.path("executed").asText())
                        && p.currentFile().equals(s.path("lastFile").asText())
                        && s.path("lastEnd").asLong() == p.position();
            });
        }
        double followers = (System.nanoTime() - t1) / 1e6;
        nextFile += p.fileNames().size();
        executed = p.executed();
        JsonNode d = r.data();
        return new Result(window, d.path("entries").asLong(), d.path("events").asLong(), d.path("bytes").asLong(),
                seconds, d.path("commitMicros").path("p50").asLong(), d.path("commitMicros").path("p99").asLong(),
                followers, java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static String kib(int bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }
}

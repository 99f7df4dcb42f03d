package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.GtidEvent;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import io.kingbus.node.NodeConfig;
import io.kingbus.server.BinlogServerConfig;
import io.kingbus.testkit.FreePorts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Kingbus nodes as separate JVMs on loopback, for multi-process tests and benchmarks.
 *
 * <pre>{@code
 * try (ClusterHarness c = ClusterHarness.create(tmp, 3, ClusterHarness.Options.tests()).startAll()) {
 *     NodeProcess leader = c.awaitLeader(Duration.ofSeconds(30));
 *     long index = c.propose(file, events);
 * }
 * }</pre>
 *
 * Every child JVM is killed when the harness closes and, failing that, when this JVM exits (shutdown hook).
 * Waits poll the admin API against a deadline; a timeout fails with the tails of the node logs.
 */
public final class ClusterHarness implements AutoCloseable {

    /**
     * Timings and JVM options of the nodes.
     *
     * @param heartbeat       heartbeat-interval
     * @param electionTimeout election-timeout (Ratis waits between it and twice it)
     * @param token           initial-cluster-token
     * @param jvmArgs         options of every node JVM (heap, GC, JIT)
     * @param binlogServerNice binlog-server-nice
     * @param binlogServerSendBuffer binlog-server-send-buffer, bytes (0: the kernel's autotuning)
     */
    public record Options(Duration heartbeat, Duration electionTimeout, String token, List<String> jvmArgs,
                          int binlogServerNice, int binlogServerSendBuffer) {
        /** Short but stable timings and small JVMs for tests on a small machine. */
        public static Options tests() {
            return new Options(Duration.ofMillis(300), Duration.ofMillis(1500), "kingbus-test",
                    List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                            "-XX:+ExitOnOutOfMemoryError"), BinlogServerConfig.DEFAULT_THREAD_NICE, 0);
        }

        public Options withJvmArgs(List<String> args) {
            return new Options(heartbeat, electionTimeout, token, List.copyOf(args), binlogServerNice,
                    binlogServerSendBuffer);
        }

        public Options withTimings(Duration heartbeat, Duration election) {
            return new Options(heartbeat, election, token, jvmArgs, binlogServerNice, binlogServerSendBuffer);
        }

        public Options withBinlogServerNice(int nice) {
            return new Options(heartbeat, electionTimeout, token, jvmArgs, nice, binlogServerSendBuffer);
        }

        public Options withBinlogServerSendBuffer(int bytes) {
            return new Options(heartbeat, electionTimeout, token, jvmArgs, binlogServerNice, bytes);
        }

        /** Ratis' maximum election timeout: twice the configured one. */
        public Duration electionTimeoutMax() {
            Duration min = electionTimeout.compareTo(heartbeat.multipliedBy(2)) >= 0 ? electionTimeout
                    : heartbeat.multipliedBy(2);
            return min.multipliedBy(2);
        }
    }

    // ------------------------------------------------------------------ child process bookkeeping

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile String classpath;
    private static Path classpathCopy;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process p : LIVE) {
                p.destroyForcibly();
            }
            if (classpathCopy != null) {
                deleteTree(classpathCopy);
            }
        }, "cluster-harness-reaper"));
    }

    static void track(Process p) {
        LIVE.add(p);
        p.onExit().thenRun(() -> LIVE.remove(p));
    }

    static void untrack(Process p) {
        LIVE.remove(p);
    }

    /**
     * The classpath for the node JVMs: this JVM's, with its directories (target/classes, target/test-classes)
     * copied once, so that a concurrent build recompiling them cannot pull classes from under a running node. A
     * copy taken while such a build had deleted class files is taken again.
     */
    static synchronized String childClasspath() {
        if (classpath != null) {
            return classpath;
        }
        try {
            classpathCopy = Files.createTempDirectory("kingbus-cluster-cp");
            for (int attempt = 0; ; attempt++) {
                List<String> entries = new ArrayList<>();
                List<Path> copies = new ArrayList<>();
                for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                    Path p = Path.of(entry);
                    if (Files.isDirectory(p)) {
                        Path copy = classpathCopy.resolve(attempt + "-" + copies.size());
                        copyTree(p, copy);
                        copies.add(copy);
                        entries.add(copy.toString());
                    } else {
                        entries.add(entry);
                    }
                }
                String cp = String.join(java.io.File.pathSeparator, entries);
                if (complete(entries) || attempt == 20) {
                    classpath = cp;
                    return cp;
                }
                Thread.sleep(500);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static boolean complete(List<String> entries) {
        for (String c : List.of("io.kingbus.node.KingbusMain", "io.kingbus.node.KingbusNode",
                "io.kingbus.node.TestProposalRoutes", "io.kingbus.node.NodeConfig", "io.kingbus.raft.RaftNode",
                "io.kingbus.raft.BinlogStateMachine", "io.kingbus.raft.CatchUpRoutes", "io.kingbus.raft.RaftCommand",
                "io.kingbus.admin.AdminServer", "io.kingbus.store.BinlogStore", "io.kingbus.binlog.BinlogEvent",
                "io.kingbus.gtid.GtidSet")) {
            String file = c.replace('.', '/') + ".class";
            boolean found = false;
            for (String e : entries) {
                Path p = Path.of(e);
                if (Files.isDirectory(p) ? Files.exists(p.resolve(file)) : e.endsWith(".jar") && jarHas(p, file)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private static boolean jarHas(Path jar, String entry) {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar.toFile())) {
            return z.getEntry(entry) != null;
        } catch (IOException e) {
            return false;
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                try {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                } catch (java.nio.file.NoSuchFileException gone) {
                    // deleted by a concurrent build meanwhile; complete() notices what matters
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    // ------------------------------------------------------------------ the cluster

    public final Path root;
    public final Options options;
    private final List<NodeProcess> nodes = new ArrayList<>();

    private ClusterHarness(Path root, Options options) {
        this.root = root;
        this.options = options;
    }

    /** n nodes named n1..nN forming a new cluster (not started). */
    public static ClusterHarness create(Path root, int n, Options options) throws IOException {
        ClusterHarness h = new ClusterHarness(root, options);
        Files.createDirectories(root);
        childClasspath();
        Map<String, String> initial = new LinkedHashMap<>();
        List<String[]> urls = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String peer = "http://127.0.0.1:" + FreePorts.take();
            String admin = "http://127.0.0.1:" + FreePorts.take();
            initial.put("n" + i, peer);
            urls.add(new String[] {"n" + i, peer, admin});
        }
        for (String[] u : urls) {
            h.nodes.add(new NodeProcess(h, u[0], root.resolve(u[0]), u[1], u[2], initial, NodeConfig.ClusterState.NEW));
        }
        return h;
    }

    public ClusterHarness startAll() throws IOException {
        for (NodeProcess n : nodes) {
            n.start();
        }
        return this;
    }

    /** A node to add (POST /members, then start it): initial-cluster-state existing. Not started. */
    public NodeProcess newNode(String name) {
        Map<String, String> cluster = new LinkedHashMap<>();
        for (NodeProcess n : nodes) {
            cluster.put(n.name, n.peerUrl());
        }
        String peer = "http://127.0.0.1:" + FreePorts.take();
        cluster.put(name, peer);
        NodeProcess p = new NodeProcess(this, name, root.resolve(name), peer, "http://127.0.0.1:" + FreePorts.take(),
                cluster, NodeConfig.ClusterState.EXISTING);
        nodes.add(p);
        return p;
    }

    public List<NodeProcess> nodes() {
        return List.copyOf(nodes);
    }

    public NodeProcess node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node " + name));
    }

    public List<NodeProcess> running() {
        return nodes.stream().filter(NodeProcess::alive).toList();
    }

    /** kill -9 of every node at once. */
    public void killAll() throws InterruptedException {
        for (NodeProcess n : nodes) {
            if (n.alive()) {
                n.note("kill -9 (all)");
                ProcessHandle.of(n.pid()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        for (NodeProcess n : nodes) {
            n.kill();
        }
    }

    @Override
    public void close() {
        for (NodeProcess n : nodes) {
            try {
                n.kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ waiting

    @FunctionalInterface
    public interface Check {
        boolean test() throws Exception;
    }

    /** Polls {@code check} every 100 ms until it holds; fails after {@code timeout} with the node logs' tails. */
    public void await(String what, Duration timeout, Check check) throws InterruptedException {
        await(() -> what, timeout, check);
    }

    /** {@link #await(String, Duration, Check)} with a description computed when the wait fails. */
    public void await(java.util.function.Supplier<String> what, Duration timeout, Check check)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Throwable last = null;
        while (true) {
            try {
                if (check.test()) {
                    return;
                }
                last = null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception | AssertionError e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what.get()
                        + (last == null ? "" : "; last failure: " + last) + "\n" + diagnostics(), last);
            }
            Thread.sleep(100);
        }
    }

    /** The last lines of every node's log. */
    public String diagnostics() {
        StringBuilder b = new StringBuilder();
        for (NodeProcess n : nodes) {
            b.append("----- ").append(n.name).append(n.alive() ? " (running)" : " (not running)").append(", log ")
                    .append(n.log()).append(":\n").append(n.tail(25)).append('\n');
        }
        return b.toString();
    }

    /** One node's view of the leader: the name of the member GET /cluster marks isLeader, or null. */
    public static String leaderSeenBy(NodeProcess n) {
        JsonNode c = n.clusterOrNull();
        if (c == null) {
            return null;
        }
        String leader = null;
        for (JsonNode m : c) {
            if (m.path("isLeader").asBoolean()) {
                if (leader != null) {
                    return null; // two leaders in one answer: not settled
                }
                leader = m.path("name").asText();
            }
        }
        return leader;
    }

    /** Member names in a GET /cluster answer. */
    public static List<String> names(JsonNode cluster) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : cluster) {
            out.add(m.path("name").asText());
        }
        return out;
    }

    /**
     * Waits until every running node among {@code members} answers GET /cluster listing exactly those members with
     * exactly one leader, all agreeing on it, and the leader takes proposals; returns the leader.
     */
    public NodeProcess awaitLeader(Duration timeout, Collection<NodeProcess> members) throws InterruptedException {
        List<String> expected = members.stream().map(n -> n.name).sorted().toList();
        NodeProcess[] found = new NodeProcess[1];
        await("one leader agreed on by " + expected, timeout, () -> {
            String agreed = null;
            List<NodeProcess> up = members.stream().filter(NodeProcess::alive).toList();
            if (up.isEmpty()) {
                return false;
            }
            for (NodeProcess n : up) {
                JsonNode c = n.clusterOrNull();
                if (c == null || !names(c).stream().sorted().toList().equals(expected)) {
                    return false;
                }
                String l = leaderSeenBy(n);
                if (l == null || (agreed != null && !agreed.equals(l))) {
                    return false;
                }
                agreed = l;
            }
            String name = agreed;
            NodeProcess leader = members.stream().filter(n -> n.name.equals(name)).findFirst().orElse(null);
            if (leader == null || !leader.alive()) {
                return false;
            }
            // the leader takes proposals once it committed an entry of its term: its test route says so
            Http.Reply r = leader.get("/internal/test/store");
            if (!r.ok()) {
                return false;
            }
            found[0] = leader;
            return leader.metric("kingbus_raft_is_leader") == 1.0 && leaderReady(leader);
        });
        return found[0];
    }

    public NodeProcess awaitLeader(Duration timeout) throws InterruptedException {
        return awaitLeader(timeout, nodes.stream().filter(NodeProcess::alive).toList());
    }

    /**
     * The node leads and takes proposals: it has committed an entry of its term, so its commit index covers every
     * entry committed before it was elected (an empty proposal is refused as 400, not 421/503, only then).
     */
    public static boolean leaderReady(NodeProcess leader) {
        try {
            Http.Reply r = Http.postBytes(leader.adminUrl(), "/internal/test/propose?file=probe", new byte[0],
                    Duration.ofSeconds(5));
            return r.status() == 400;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** The current leader as any running node sees it (null when none is known or it is not one of ours). */
    public NodeProcess currentLeader() {
        for (NodeProcess n : running()) {
            String l = leaderSeenBy(n);
            if (l != null) {
                for (NodeProcess c : nodes) {
                    if (c.name.equals(l) && c.alive()) {
                        return c;
                    }
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ proposals

    /** A proposal the leader refused for a reason other than leadership (400, 409, 413, 500...). */
    public static final class ProposalFailed extends RuntimeException {
        public final int status;

        ProposalFailed(int status, String message) {
            super("HTTP " + status + ": " + message);
            this.status = status;
        }
    }

    public static String proposePath(String file, Integer entryBytes) {
        return "/internal/test/propose?file=" + URLEncoder.encode(file, StandardCharsets.UTF_8)
                + (entryBytes == null ? "" : "&entryBytes=" + entryBytes);
    }

    /**
     * Proposes events to one node; returns the reply (200 with the raft index, or the error). Connection failures
     * come back as status -1.
     */
    public static Http.Reply proposeTo(NodeProcess n, String file, List<byte[]> events, Integer entryBytes,
                                       Duration timeout) throws InterruptedException {
        try {
            return Http.postBytes(n.adminUrl(), proposePath(file, entryBytes), () -> Http.chunks(events, 1 << 20),
                    timeout);
        } catch (IOException e) {
            return new Http.Reply(-1, e.toString(), com.fasterxml.jackson.databind.node.NullNode.getInstance(), "");
        }
    }

    /**
     * Proposes events through the leader, re-finding it and resending after 421/503 or a lost connection (safe:
     * the store skips events it already holds, by position); returns the raft index.
     */
    public long propose(String file, List<byte[]> events, Integer entryBytes, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Http.Reply last = null;
        while (System.nanoTime() < deadline) {
            NodeProcess leader = currentLeader();
            if (leader != null) {
                last = proposeTo(leader, file, events, entryBytes, Duration.ofSeconds(120));
                if (last.ok()) {
                    return last.data().path("index").asLong();
                }
                if (last.status() != 421 && last.status() != 503 && last.status() != -1) {
                    throw new ProposalFailed(last.status(), last.message());
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no leader took the proposal within " + timeout + "; last answer " + last + "\n"
                + diagnostics());
    }

    public long propose(String file, List<byte[]> events) throws InterruptedException {
        return propose(file, events, null, Duration.ofSeconds(60));
    }

    // ------------------------------------------------------------------ stores

    /** {name → visible end} of a node's store as GET /internal/test/store reports it, or null. */
    public static Map<String, Long> storeEnds(NodeProcess n) {
        JsonNode s = n.storeOrNull();
        if (s == null) {
            return null;
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (JsonNode f : s.path("files")) {
            out.put(f.path("name").asText(), f.path("end").asLong());
        }
        return out;
    }

    /**
     * Waits until each node's store holds exactly the primary's files up to their current ends, then checks
     * the files on disk byte for byte and the executed set, and that every GTID is stored exactly once.
     */
    public void awaitStoresEqual(Primary primary, Collection<NodeProcess> on, Duration timeout)
            throws InterruptedException, IOException {
        Map<String, Long> expected = primary.expectedEnds();
        GtidSet executedSet = primary.executed();
        String executed = executedSet.toString();
        for (NodeProcess n : on) {
            long t0 = System.nanoTime();
            n.awaitExecuted(executedSet, timeout); // woken by the node; the check below says what differs, if anything
            Duration left = timeout.minusNanos(System.nanoTime() - t0);
            await(n + "'s store equal to the primary's " + expected.size() + " files (last "
                    + primary.currentFile() + ":" + primary.position() + ")",
                    left.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : left, () -> {
                Map<String, Long> ends = storeEnds(n);
                return expected.equals(ends) && executed.equals(n.storeOrNull().path("executed").asText());
            });
            assertFilesEqual(primary, n);
        }
    }

    /** The node's binlog directory holds exactly the primary's files, byte for byte, each GTID once. */
    public static void assertFilesEqual(Primary primary, NodeProcess n) throws IOException {
        List<String> names = primary.fileNames();
        List<String> onDisk;
        try (Stream<Path> s = Files.list(n.binlogDir())) {
            onDisk = s.map(p -> p.getFileName().toString()).filter(f -> f.matches(".*\\.\\d{6}")).sorted().toList();
        }
        if (!onDisk.equals(names.stream().sorted().toList())) {
            throw new AssertionError(n + ": binlog files " + onDisk + ", expected " + names);
        }
        Set<Gtid> seen = new HashSet<>();
        for (String name : names) {
            byte[] want = primary.expectedFile(name);
            byte[] got = Files.readAllBytes(n.binlogDir().resolve(name));
            if (!Arrays.equals(want, got)) {
                int i = Arrays.mismatch(want, got);
                throw new AssertionError(n + ": " + name + " differs from the primary's at byte " + i + " (size "
                        + got.length + ", expected " + want.length + ")");
            }
            for (Gtid g : gtidsIn(n.binlogDir().resolve(name))) {
                if (!seen.add(g)) {
                    throw new AssertionError(n + ": GTID " + g + " is stored twice (again in " + name + ")");
                }
            }
        }
        if (seen.size() != primary.executed().count()) {
            throw new AssertionError(n + ": " + seen.size() + " GTIDs stored, the primary executed "
                    + primary.executed().count());
        }
    }

    /** The first index of a node's raft log segments on disk (0 until the log was purged behind a snapshot). */
    public static long firstLogIndex(NodeProcess n) throws IOException {
        long min = Long.MAX_VALUE;
        try (Stream<Path> s = Files.walk(n.raftDir())) {
            for (Path p : s.filter(f -> f.getParent().getFileName().toString().equals("current")).toList()) {
                String f = p.getFileName().toString();
                if (f.startsWith("log_inprogress_")) {
                    min = Math.min(min, Long.parseLong(f.substring("log_inprogress_".length())));
                } else if (f.startsWith("log_")) {
                    min = Math.min(min, Long.parseLong(f.substring(4, f.indexOf('-'))));
                }
            }
        }
        return min;
    }

    /** The GTIDs of the GTID events of a binlog file, in order. */
    public static List<Gtid> gtidsIn(Path file) throws IOException {
        List<Gtid> out = new ArrayList<>();
        try (BinlogFileReader r = BinlogFileReader.open(file)) {
            for (PositionedEvent e; (e = r.next()) != null; ) {
                BinlogEvent ev = e.event();
                if (ev.type() == EventType.GTID) {
                    out.add(GtidEvent.decode(ev, r.checksum()).gtid());
                }
            }
        }
        return out;
    }
}

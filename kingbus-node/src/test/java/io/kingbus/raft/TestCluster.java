package io.kingbus.raft;

import ch.qos.logback.classic.Level;
import io.javalin.Javalin;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.FreePorts;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/** In-process raft nodes on loopback, each with its own store, raft dir and a bare Javalin serving CatchUpRoutes. */
final class TestCluster implements AutoCloseable {
    static {
        // Ratis is chatty at INFO; the kingbus lines are what these tests are about.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.ratis")).setLevel(Level.WARN);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.javalin")).setLevel(Level.WARN);
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.eclipse.jetty")).setLevel(Level.WARN);
    }

    static final Duration HEARTBEAT = Duration.ofMillis(500);
    static final Duration ELECTION = Duration.ofSeconds(1);

    final Path root;
    final List<TestNode> nodes = new ArrayList<>();
    final List<Throwable> fatal = new CopyOnWriteArrayList<>();
    /** "ready n1 t3" / "lost n1", as the nodes' leadership listeners saw them. */
    final List<String> leadership = new CopyOnWriteArrayList<>();
    long snapshotThreshold = 10_000;
    long preserved = 0;
    long segmentBytes = RaftNodeConfig.DEFAULT_LOG_SEGMENT_BYTES;
    boolean publishAdminUrls = true;

    TestCluster(Path root) {
        this.root = root;
    }

    /** One node: its directories and ports survive stop/start. */
    final class TestNode {
        final String name;
        final Path dir;
        String peerUrl;
        String adminUrl;
        int adminPort;
        BinlogStore store;
        RaftNode node;
        Javalin http;

        TestNode(String name) {
            this.name = name;
            this.dir = root.resolve(name);
            this.peerUrl = "http://127.0.0.1:" + FreePorts.take();
        }

        /** Binds the admin HTTP server first (port 0 the first time, the same port on a restart). */
        private Javalin startHttp() {
            Javalin app = Javalin.create(c -> c.showJavalinBanner = false);
            app.start("127.0.0.1", adminPort);
            adminPort = app.port();
            adminUrl = "http://127.0.0.1:" + adminPort;
            return app;
        }

        void start(Map<String, String> initialCluster, RaftNodeConfig.ClusterState state) throws IOException {
            http = startHttp();
            store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
            Consumer<Throwable> onFatal = fatal::add;
            node = new RaftNode(RaftNodeConfig.builder(name, peerUrl, adminUrl, store, dir.resolve("raft"))
                    .initialCluster(initialCluster)
                    .initialClusterState(state)
                    .clusterToken("test-cluster")
                    .heartbeatInterval(HEARTBEAT)
                    .electionTimeout(ELECTION)
                    .snapshotThreshold(snapshotThreshold)
                    .preservedLogEntries(preserved)
                    .logSegmentBytes(segmentBytes)
                    .fatalHandler(onFatal)
                    .build());
            node.addLeadershipListener(new RaftNode.LeadershipListener() {
                @Override
                public void leaderReady(long term) {
                    leadership.add("ready " + name + " t" + term);
                }

                @Override
                public void leadershipLost() {
                    leadership.add("lost " + name);
                }
            });
            CatchUpRoutes.register(http, store, node.stateMachine());
            node.publishAdminUrl(publishAdminUrls);
            node.start();
        }

        void stop() {
            if (node != null) {
                node.close();
                node = null;
            }
            if (http != null) {
                http.stop();
                http = null;
            }
            if (store != null) {
                try {
                    store.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                store = null;
            }
        }

        boolean running() {
            return node != null;
        }

        /** The stored bytes of each file, up to its visible end. */
        Map<String, byte[]> files() throws IOException {
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (BinlogFileInfo f : store.files()) {
                byte[] all = Files.readAllBytes(dir.resolve("store").resolve("binlog").resolve(f.name()));
                byte[] visible = new byte[(int) f.endPosition()];
                System.arraycopy(all, 0, visible, 0, visible.length);
                out.put(f.name(), visible);
            }
            return out;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    TestNode add(String name) {
        TestNode n = new TestNode(name);
        nodes.add(n);
        return n;
    }

    /** Creates and starts {@code count} nodes n1..nN as a new cluster. */
    TestCluster startNew(int count) throws IOException {
        for (int i = 1; i <= count; i++) {
            add("n" + i);
        }
        Map<String, String> initial = initialCluster();
        for (TestNode n : nodes) {
            n.start(initial, RaftNodeConfig.ClusterState.NEW);
        }
        return this;
    }

    Map<String, String> initialCluster() {
        Map<String, String> m = new LinkedHashMap<>();
        for (TestNode n : nodes) {
            m.put(n.name, n.peerUrl);
        }
        return m;
    }

    TestNode node(String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow();
    }

    List<TestNode> running() {
        return nodes.stream().filter(TestNode::running).toList();
    }

    /** Waits until exactly one running node leads and every running member knows it; returns it. */
    TestNode awaitLeader(Duration timeout) throws InterruptedException {
        TestNode[] found = new TestNode[1];
        await("a leader", timeout, () -> {
            List<TestNode> leaders = running().stream().filter(n -> n.node.isLeaderReady()).toList();
            if (leaders.size() != 1) {
                return false;
            }
            found[0] = leaders.get(0);
            return true;
        });
        return found[0];
    }

    void awaitApplied(long index, Duration timeout) throws InterruptedException {
        for (TestNode n : running()) {
            await(n + " applied " + index, timeout, () -> n.node.appliedIndex() >= index);
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Proposes on the current leader; on a leader change, proposes again on the new one (replays are no-ops). */
    long propose(TestStream.Batch b) throws Exception {
        Exception last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            TestNode leader = awaitLeader(Duration.ofSeconds(30));
            try {
                return leader.node.proposeEvents(b.file(), b.events()).get(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof NotLeaderException)) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    /** Stops the given nodes in parallel (a Ratis server takes about a second to close). */
    static void stopAll(List<TestNode> nodes) {
        nodes.parallelStream().forEach(n -> {
            try {
                n.stop();
            } catch (RuntimeException ignored) {
                // best effort
            }
        });
    }

    @Override
    public void close() {
        stopAll(nodes);
    }
}

package io.kingbus.syncer;

import ch.qos.logback.classic.Level;
import io.kingbus.gtid.GtidSet;
import io.kingbus.raft.BinlogStateMachine;
import io.kingbus.raft.RaftCommand;
import io.kingbus.raft.RaftNode;
import io.kingbus.raft.RaftNodeConfig;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.FreePorts;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The syncer configuration is replicated state that survives restarts and log purges (it lives in the snapshot
 * marker once the log entry that set it is purged); a restarted leader resumes syncing by itself, and a stopped
 * syncer stays stopped after a restart. Also the command's wire form and its redacted toString.
 */
class SyncerRestartTest {
    static {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.ratis")).setLevel(Level.WARN);
    }

    @Test
    void syncerCommandsRoundTripWithoutShowingThePassword() {
        RaftCommand.SyncerStart start = new RaftCommand.SyncerStart(4294967295L, UUID.randomUUID().toString(),
                "[::1]:3306", "kb", "sécret pw", true);
        assertThat(RaftCommand.decode(start.encode())).isEqualTo(start);
        assertThat(RaftCommand.decode(new RaftCommand.SyncerStop().encode())).isEqualTo(new RaftCommand.SyncerStop());
        assertThat(start.toString()).doesNotContain("sécret").contains("******", "[::1]:3306");
        assertThat(new BinlogStateMachine.SyncerConfig(true, start, 7).toString()).doesNotContain("sécret");
        byte[] b = start.encode();
        for (int n = 0; n < b.length; n++) {
            byte[] prefix = java.util.Arrays.copyOf(b, n);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> RaftCommand.decode(prefix))
                    .isInstanceOf(io.kingbus.raft.RaftCommandFormatException.class);
        }
    }

    @Test
    void configurationSurvivesRestartAndLogPurge(@TempDir Path tmp) throws Exception {
        try (MySqlServer primary = MySqlServer.start(MySqlVersion.V8_0)) {
            primary.execute("CREATE DATABASE r", "CREATE TABLE r.t (id INT PRIMARY KEY, v VARCHAR(200))");
            RaftCommand.SyncerStart args = new RaftCommand.SyncerStart(3131, UUID.randomUUID().toString(),
                    primary.host() + ":" + primary.port(), "root", "", false);
            String peer = "http://127.0.0.1:" + FreePorts.take();
            String admin = "http://127.0.0.1:" + FreePorts.take();

            long configIndex;
            try (Single n = new Single(tmp, peer, admin)) {
                configIndex = n.syncer.requestStart(args).get(30, TimeUnit.SECONDS);
                // many small transactions, each its own raft entry: snapshots every 3 entries, 16 KiB segments
                insertRows(primary, 1, 150);
                n.awaitExecuted(primary.gtidExecuted());
                SyncerCluster.await("a snapshot past the SYNCER_START entry", Duration.ofSeconds(30),
                        () -> n.raft.snapshotIndex() > configIndex);
            }
            assertThat(markers(tmp)).isNotEmpty().allSatisfy(f -> assertThat(
                    java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                    .isEqualTo("rw-------"));

            try (Single n = new Single(tmp, peer, admin)) {
                BinlogStateMachine.SyncerConfig c = n.raft.stateMachine().syncerConfig();
                assertThat(c.running()).isTrue();
                assertThat(c.args()).isEqualTo(args);
                assertThat(n.raft.logStartIndex()).as("the SYNCER_START entry is purged").isGreaterThan(configIndex);
                // the leader proposes it again, so members catching up from a snapshot learn it from the log
                SyncerCluster.await("the configuration proposed again after the purge", Duration.ofSeconds(10),
                        () -> n.raft.stateMachine().syncerConfig().index() >= n.raft.logStartIndex());
                assertThat(n.raft.stateMachine().syncerConfig().args()).isEqualTo(args);
                // the restarted leader resumes by itself
                insertRows(primary, 1000, 10);
                n.awaitExecuted(primary.gtidExecuted());
                n.syncer.requestStop().get(30, TimeUnit.SECONDS);
                SyncerCluster.await("the syncer to stop", Duration.ofSeconds(10), () -> !n.syncer.runningHere());
            }
            String before = primary.gtidExecuted();
            try (Single n = new Single(tmp, peer, admin)) {
                insertRows(primary, 2000, 3);
                Thread.sleep(2500);
                assertThat(n.raft.stateMachine().syncerConfig().running()).isFalse();
                assertThat(n.raft.stateMachine().syncerConfig().args()).isEqualTo(args);
                assertThat(n.syncer.runningHere()).isFalse();
                assertThat(n.store.executedGtids()).isEqualTo(GtidSet.parse(before));
            }
        }
    }

    private static void insertRows(MySqlServer primary, int from, int count) {
        List<String> sql = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            sql.add("INSERT INTO r.t VALUES (" + i + ", REPEAT('v', 150))");
        }
        primary.execute(sql.toArray(new String[0]));
    }

    private static List<Path> markers(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith("snapshot.")
                    && !p.getFileName().toString().endsWith(".md5")).toList();
        }
    }

    /** One node: store, raft (tiny snapshot threshold and segments), syncer. */
    private static final class Single implements AutoCloseable {
        final BinlogStore store;
        final RaftNode raft;
        final Syncer syncer;

        Single(Path dir, String peer, String admin) throws Exception {
            store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
            raft = new RaftNode(RaftNodeConfig.builder("n1", peer, admin, store, dir.resolve("raft"))
                    .initialCluster(Map.of("n1", peer))
                    .initialClusterState(RaftNodeConfig.ClusterState.NEW)
                    .heartbeatInterval(Duration.ofMillis(300))
                    .electionTimeout(Duration.ofMillis(1000))
                    .snapshotThreshold(3)
                    .preservedLogEntries(0)
                    .logSegmentBytes(16 << 10)
                    .build()).start();
            syncer = new Syncer(raft, store, Syncer.Options.defaults()).start();
            SyncerCluster.await("leader", Duration.ofSeconds(30), raft::isLeaderReady);
        }

        void awaitExecuted(String gtids) throws InterruptedException {
            GtidSet want = GtidSet.parse(gtids);
            SyncerCluster.await("executed " + gtids, Duration.ofSeconds(60), () -> store.executedGtids().equals(want));
        }

        @Override
        public void close() throws IOException {
            syncer.close();
            raft.close();
            store.close();
        }
    }
}

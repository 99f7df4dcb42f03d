package io.kingbus.syncer;

import ch.qos.logback.classic.Level;
import io.kingbus.gtid.GtidSet;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A nearly full disk pauses the syncer instead of failing the node: it stops taking events from a real MySQL primary
 * while less than its reserve is usable, says so in its status, does not keep reconnecting meanwhile, and catches up
 * exactly once space is back with a margin. The usable space is the test's (filling this machine's disk is not an
 * option); DiskGuardTest covers reading it from the file system.
 */
class SyncerDiskSpaceTest {
    static {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.ratis")).setLevel(Level.WARN);
    }

    private static final long RESERVE = 100L << 20;

    @Test
    void syncerWaitsWhileTheDiskIsShortOfItsReserveAndResumesExactly(@TempDir Path tmp) throws Exception {
        AtomicLong usable = new AtomicLong(10L << 30);
        try (MySqlServer primary = MySqlServer.start(MySqlVersion.V8_0);
             BinlogStore store = BinlogStore.open(tmp.resolve("store"), StoreOptions.defaults().withFsync(false))) {
            primary.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY, v VARCHAR(200))");
            String peer = "http://127.0.0.1:" + FreePorts.take();
            try (RaftNode raft = new RaftNode(RaftNodeConfig.builder("n1", peer, "http://127.0.0.1:" + FreePorts.take(),
                    store, tmp.resolve("raft"))
                    .initialCluster(Map.of("n1", peer))
                    .initialClusterState(RaftNodeConfig.ClusterState.NEW)
                    .heartbeatInterval(Duration.ofMillis(300))
                    .electionTimeout(Duration.ofMillis(1000))
                    .build()).start();
                 Syncer syncer = new Syncer(raft, store, Syncer.Options.defaults(),
                         new DiskGuard(usable::get, RESERVE, tmp.toString())).start()) {
                SyncerCluster.await("leader", Duration.ofSeconds(30), raft::isLeaderReady);
                syncer.requestStart(new RaftCommand.SyncerStart(4242, UUID.randomUUID().toString(),
                        primary.host() + ":" + primary.port(), "root", "", false)).get(30, TimeUnit.SECONDS);
                insert(primary, 1, 50);
                GtidSet before = GtidSet.parse(primary.gtidExecuted());
                SyncerCluster.await("first rows stored", Duration.ofSeconds(60),
                        () -> store.executedGtids().equals(before));

                usable.set(50L << 20);
                insert(primary, 51, 50);
                SyncerCluster.await("the syncer paused", Duration.ofSeconds(30),
                        () -> String.valueOf(syncer.status().get("last_error")).startsWith("disk space low"));
                long attempts = syncer.connectAttempts();
                Thread.sleep(3000);
                assertThat(store.executedGtids()).as("nothing stored while short of space").isEqualTo(before);
                assertThat(syncer.connectAttempts()).as("no reconnecting while waiting").isEqualTo(attempts);
                assertThat(syncer.status()).containsEntry("status", "error");
                assertThat(String.valueOf(syncer.status().get("last_error")))
                        .contains("50.0 MiB usable", "keeps 100.0 MiB free", "waits until space is freed");

                usable.set(RESERVE + (1L << 20)); // above the reserve, but not by the margin it waits for
                Thread.sleep(2500);
                assertThat(store.executedGtids()).as("no refetching at the edge of the reserve").isEqualTo(before);
                assertThat(syncer.connectAttempts()).isEqualTo(attempts);

                usable.set(10L << 30);
                GtidSet all = GtidSet.parse(primary.gtidExecuted());
                SyncerCluster.await("caught up after space came back", Duration.ofSeconds(60),
                        () -> store.executedGtids().equals(all));
                SyncerCluster.await("running again", Duration.ofSeconds(30),
                        () -> "running".equals(syncer.status().get("status")));
                assertThat(store.executedGtids()).isEqualTo(all);
            }
        }
    }

    private static void insert(MySqlServer primary, int from, int count) {
        String[] sql = new String[count];
        for (int i = 0; i < count; i++) {
            sql[i] = "INSERT INTO d.t VALUES (" + (from + i) + ", REPEAT('x', 150))";
        }
        primary.execute(sql);
    }
}

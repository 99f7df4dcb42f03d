package io.kingbus.server;

import io.kingbus.gtid.GtidSet;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real primary → (its binlog fed into a store) → kingbus binlog server → a real replica with
 * MASTER_AUTO_POSITION=1; then the replica moved to a second kingbus server over the same store. The steps build on
 * each other (ordered), one primary and one replica per class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ReplicaTestBase {
    private static final Logger log = LoggerFactory.getLogger(ReplicaTestBase.class);
    static final String USER = "kb";
    static final String PASSWORD = "kb-secret";
    static final Duration CATCH_UP = Duration.ofSeconds(60);

    private final MySqlVersion version;
    MySqlServer primary;
    MySqlServer replica;
    BinlogStore store;
    PrimaryFeeder feeder;
    BinlogServer serverA;
    BinlogServer serverB;
    Path dir;

    ReplicaTestBase(MySqlVersion version) {
        this.version = version;
    }

    @BeforeAll
    void startAll() throws Exception {
        dir = Files.createTempDirectory("kb-server-test");
        primary = MySqlServer.builder(version).start();
        replica = MySqlServer.builder(version).start();
        store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
        feeder = new PrimaryFeeder(primary, store);
        serverA = new BinlogServer(store, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)).start();
        serverB = new BinlogServer(store, BinlogServerConfig.of("127.0.0.1", 0, USER, PASSWORD)).start();
    }

    @AfterAll
    void stopAll() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {serverA, serverB, replica, primary, store}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.warn("closing {}: {}", c, e.toString());
                }
            }
        }
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void replicaCatchesUpWithAMixedWorkload() {
        Workloads.mixed(primary, 1, true);
        Workloads.mixed(primary, 2, false);
        feeder.sync();
        assertThat(store.executedGtids()).isEqualTo(GtidSet.parse(primary.gtidExecuted()));
        assertThat(store.files().size()).isGreaterThanOrEqualTo(3);

        long t0 = System.nanoTime();
        replica.replicateFrom("127.0.0.1", serverA.port(), USER, PASSWORD);
        replica.awaitGtidExecuted(primary.gtidExecuted(), CATCH_UP);
        log.info("{} replica caught up from kingbus in {} ms", version, (System.nanoTime() - t0) / 1_000_000);
        assertSameData();

        BinlogServerStatus status = serverA.status();
        assertThat(status.slaves()).hasSize(1);
        BinlogServerStatus.ReplicaStatus r = status.slaves().get(0);
        assertThat(r.serverId()).isEqualTo(replica.serverId());
        assertThat(r.mode()).isEqualTo("gtid");
        assertThat(r.uuid()).isEqualTo(replica.serverUuid());
        assertThat(r.file()).isEqualTo(store.lastFile().name());
        assertThat(r.position()).isEqualTo(store.lastFile().endPosition());
        assertThat(r.lagBytes()).isZero();
        assertThat(status.password()).isEqualTo(BinlogServerStatus.REDACTED);
        assertThat(status.executedGtidSet()).isEqualTo(store.executedGtids().toString());
    }

    @Test
    @Order(2)
    void tailingReplicaGetsNewTransactions() {
        for (int round = 3; round <= 5; round++) {
            Workloads.small(primary, round, 20);
            feeder.sync();
            Workloads.mixed(primary, round, round == 4);
            feeder.sync();
        }
        long t0 = System.nanoTime();
        replica.awaitGtidExecuted(primary.gtidExecuted(), CATCH_UP);
        log.info("{} tailing replica caught up in {} ms after the last append", version,
                (System.nanoTime() - t0) / 1_000_000);
        assertSameData();
    }

    @Test
    @Order(3)
    void filesWithoutTheirRotateAreFollowedToo() {
        // a store resumed by GTID on a new primary file lacks the old file's ROTATE: the fake ROTATE kingbus sends
        // before every file is all the replica needs
        feeder.dropRotates(true);
        try {
            int files = store.files().size();
            Workloads.mixed(primary, 20, false); // has a FLUSH LOGS
            Workloads.small(primary, 20, 10);
            feeder.sync();
            assertThat(store.files().size()).isGreaterThan(files);
            replica.awaitGtidExecuted(primary.gtidExecuted(), CATCH_UP);
            assertSameData();
        } finally {
            feeder.dropRotates(false);
        }
    }

    @Test
    @Order(4)
    void heartbeatsKeepAnIdleReplicaConnected() throws Exception {
        long before = heartbeatsReceived();
        replica.execute("STOP SLAVE IO_THREAD", "CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = 0.1",
                "START SLAVE IO_THREAD");
        try {
            Thread.sleep(1500);
            long received = heartbeatsReceived();
            log.info("{} replica received {} heartbeats in 1.5 s of silence", version, received - before);
            assertThat(received - before).isGreaterThanOrEqualTo(5);
            Map<String, Object> st = replica.replicaStatus();
            assertThat(st.get("Slave_IO_Running")).hasToString("Yes");
            assertThat(st.get("Last_IO_Errno")).hasToString("0");
            assertThat(st.get("Master_Log_File")).hasToString(store.lastFile().name());
            assertThat(st.get("Read_Master_Log_Pos")).hasToString(String.valueOf(store.lastFile().endPosition()));
            Workloads.small(primary, 21, 3);
            feeder.sync();
            replica.awaitGtidExecuted(primary.gtidExecuted(), CATCH_UP);
        } finally {
            replica.execute("STOP SLAVE IO_THREAD", "CHANGE MASTER TO MASTER_HEARTBEAT_PERIOD = 30",
                    "START SLAVE IO_THREAD");
        }
    }

    private long heartbeatsReceived() {
        return ((Number) replica.query("SELECT COUNT_RECEIVED_HEARTBEATS FROM"
                + " performance_schema.replication_connection_status").get(0).get("COUNT_RECEIVED_HEARTBEATS"))
                .longValue();
    }

    @Test
    @Order(5)
    void replicaMovedToAnotherServerContinuesExactly() {
        Workloads.small(primary, 6, 10);
        feeder.sync();
        replica.awaitGtidExecuted(primary.gtidExecuted(), CATCH_UP);
        replica.replicateFrom("127.0.0.1", serverB.port(), USER, PASSWORD);
        Workloads.mixed(primary, 7, false);
        Workloads.small(primary, 7, 30);
        feeder.sync();
        replica.awaitGtidExecuted(primary.gtidExecuted(), CATCH_UP);
        assertSameData();
        Map<String, Object> st = replica.replicaStatus();
        assertThat(st.get("Master_Port")).hasToString(String.valueOf(serverB.port()));
        assertThat(st.get("Last_IO_Errno")).hasToString("0");
        assertThat(serverB.status().slaves()).hasSize(1);
        assertThat(serverA.status().slaves()).isEmpty();
    }

    void assertSameData() {
        assertThat(GtidSet.parse(replica.gtidExecuted())).isEqualTo(GtidSet.parse(primary.gtidExecuted()));
        assertThat(Workloads.checksums(replica)).isEqualTo(Workloads.checksums(primary)).isNotEmpty();
    }
}

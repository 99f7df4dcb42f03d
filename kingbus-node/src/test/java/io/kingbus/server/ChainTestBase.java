package io.kingbus.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.FreePorts;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole chain, every piece real and in its own process: a real MySQL primary → a 3-node kingbus cluster (node
 * JVMs of the multi-process harness; the syncer started through a follower's admin API) → a real replica of the same
 * version with MASTER_AUTO_POSITION=1 attached to a follower's binlog server.
 * <ol>
 * <li>a mixed workload (DDL, multi-row DML, JSON, BLOBs, a 20 MiB row, FLUSH LOGS) reaches the replica exactly;</li>
 * <li>the node serving the replica is killed with kill -9 and restarted while the primary keeps writing: it serves
 * again from its kept settings, the replica's IO thread reconnects and continues with no gap or duplicate;</li>
 * <li>the replica is moved to another node by CHANGE MASTER while the primary keeps writing, and continues
 * exactly.</li>
 * </ol>
 * "Exactly": the replica's gtid_executed equals the primary's, CHECKSUM TABLE and a digest of every row match (see
 * {@link Workloads#checksums}), and SHOW SLAVE STATUS has no IO or SQL error (a duplicate would stop the SQL thread
 * with a duplicate-key error on the tail table; a gap would show in gtid_executed).
 */
abstract class ChainTestBase {
    private static final Logger log = LoggerFactory.getLogger(ChainTestBase.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SYNC_USER = "kb_sync";
    static final String SYNC_PASSWORD = "kb-Sync-1";
    static final String USER = "kb";
    static final String PASSWORD = "kb-chain-secret";
    static final Duration LEADER = Duration.ofSeconds(60);
    static final Duration CATCH_UP = Duration.ofSeconds(120);

    private final MySqlVersion version;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    ChainTestBase(MySqlVersion version) {
        this.version = version;
    }

    @Test
    void replicaOfAFollowerSurvivesItsKillAndAMoveToAnotherNode() throws Exception {
        // the node JVMs get a little more heap than the harness default: a 20 MiB row passes through the syncer,
        // the raft log and the binlog server of each
        ClusterHarness.Options options = ClusterHarness.Options.tests().withJvmArgs(java.util.List.of("-Xmx384m",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:+ExitOnOutOfMemoryError"));
        try (MySqlServer primary = MySqlServer.builder(version).start();
             // the 20 MiB row: the testkit's max-allowed-packet (256M) covers the replica's SQL thread, and its IO
             // thread takes events up to slave_max_allowed_packet, set here to MySQL's maximum (also its default)
             MySqlServer replica = MySqlServer.builder(version).extraArgs("--slave-max-allowed-packet=1073741824")
                     .start();
             ClusterHarness cluster = ClusterHarness.create(tmp.resolve("cluster"), 3, options).startAll()) {
            primary.execute("CREATE USER '" + SYNC_USER + "'@'%' IDENTIFIED BY '" + SYNC_PASSWORD + "'",
                    "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '" + SYNC_USER + "'@'%'");
            NodeProcess leader = cluster.awaitLeader(LEADER);
            NodeProcess[] followers = cluster.running().stream().filter(n -> n != leader)
                    .toArray(NodeProcess[]::new);
            NodeProcess serving = followers[0];
            NodeProcess other = followers[1];

            String syncer = json(Map.of("syncer_id", 9001, "syncer_uuid", UUID.randomUUID().toString(),
                    "mysql_addr", primary.host() + ":" + primary.port(), "mysql_user", SYNC_USER,
                    "mysql_password", SYNC_PASSWORD, "semi_sync", false));
            Http.Reply started = sendRetrying503(cluster, serving, "PUT", "/binlog/syncer/start", syncer);
            assertThat(started.status()).as("%s", started).isEqualTo(200);
            int servingPort = FreePorts.take();
            startBinlogServer(serving, servingPort);

            // 1. the chain, with a mixed workload written before and while the replica attaches
            Workloads.mixed(primary, 1, true);
            attach(replica, servingPort);
            Workloads.mixed(primary, 2, false);
            long t0 = System.nanoTime();
            awaitSameData(primary, replica);
            log.info("{} chain: replica caught up through {} in {} ms", version, serving.name,
                    (System.nanoTime() - t0) / 1_000_000);
            JsonNode status = serving.get("/binlog/server/status").data();
            assertThat(status.path("status").asText()).isEqualTo("running");
            assertThat(status.path("password").asText()).isEqualTo(BinlogServerStatus.REDACTED);
            assertThat(status.toString()).doesNotContain(PASSWORD);
            assertThat(status.path("slaves")).hasSize(1);
            assertThat(status.path("slaves").get(0).path("server_id").asLong()).isEqualTo(replica.serverId());

            // 2. kill -9 of the serving node while the primary keeps writing; it restarts and serves again
            try (Writer writer = new Writer(primary)) {
                writer.awaitRounds(3);
                serving.kill();
                awaitIo(replica, "Connecting");
                writer.awaitRounds(writer.rounds() + 3);
                serving.start();
                writer.awaitRounds(writer.rounds() + 3);
                cluster.await("the replica reading from " + serving.name + " again", CATCH_UP,
                        () -> "Yes".equals(String.valueOf(replica.replicaStatus().get("Slave_IO_Running"))));
            }
            t0 = System.nanoTime();
            awaitSameData(primary, replica);
            log.info("{} chain: replica caught up {} ms after the writes stopped, across a kill -9 of {}", version,
                    (System.nanoTime() - t0) / 1_000_000, serving.name);
            JsonNode resumed = serving.get("/binlog/server/status").data();
            assertThat(resumed.path("status").asText()).as("resumed from binlog-server.json").isEqualTo("running");
            assertThat(resumed.path("slaves")).hasSize(1);

            // 3. moved to the other follower by CHANGE MASTER while the primary keeps writing
            int otherPort = FreePorts.take();
            startBinlogServer(other, otherPort);
            try (Writer writer = new Writer(primary)) {
                writer.awaitRounds(3);
                replica.execute("STOP SLAVE IO_THREAD", "CHANGE MASTER TO MASTER_PORT = " + otherPort,
                        "START SLAVE IO_THREAD");
                writer.awaitRounds(writer.rounds() + 3);
            }
            awaitSameData(primary, replica);
            assertThat(replica.replicaStatus().get("Master_Port")).hasToString(String.valueOf(otherPort));
            cluster.await("the replica gone from " + serving.name, Duration.ofSeconds(30),
                    () -> serving.get("/binlog/server/status").data().path("slaves").isEmpty());
            assertThat(other.get("/binlog/server/status").data().path("slaves")).hasSize(1);
        }
    }

    /** Sends until the answer is not 503 (the cluster has no leader with a published admin URL yet). */
    static Http.Reply sendRetrying503(ClusterHarness cluster, NodeProcess n, String method, String path, String body)
            throws Exception {
        Http.Reply[] last = new Http.Reply[1];
        cluster.await(() -> method + " " + path + " on " + n.name + " answered other than 503 (last: " + last[0]
                + ")", LEADER, () -> (last[0] = n.send(method, path, body)).status() != 503);
        return last[0];
    }

    /** PUT /binlog/server/start on {@code n} for 127.0.0.1:{@code port}. */
    static void startBinlogServer(NodeProcess n, int port) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("addr", "127.0.0.1:" + port);
        body.put("user", USER);
        body.put("password", PASSWORD);
        Http.Reply r = n.send("PUT", "/binlog/server/start", json(body));
        assertThat(r.status()).as("%s", r).isEqualTo(200);
    }

    /**
     * CHANGE MASTER to a kingbus node with GTID auto-positioning; the IO thread retries every second practically
     * forever (MySQL's default is 86400 tries of 60 s), as an operator configures a replica of a kingbus cluster.
     */
    void attach(MySqlServer replica, int port) {
        replica.execute("STOP SLAVE", "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = " + port
                + ", MASTER_USER = '" + USER + "', MASTER_PASSWORD = '" + PASSWORD + "', MASTER_AUTO_POSITION = 1,"
                + " MASTER_CONNECT_RETRY = 1, MASTER_RETRY_COUNT = 100000, MASTER_HEARTBEAT_PERIOD = 1"
                + (version == MySqlVersion.V8_0 ? ", GET_MASTER_PUBLIC_KEY = 1" : ""), "START SLAVE");
    }

    /** The replica executed exactly what the primary has, holds the same data, and replicates without errors. */
    static void awaitSameData(MySqlServer primary, MySqlServer replica) throws InterruptedException {
        String executed = primary.gtidExecuted();
        replica.awaitGtidExecuted(executed, CATCH_UP);
        assertThat(GtidSet.parse(replica.gtidExecuted())).isEqualTo(GtidSet.parse(executed));
        Map<String, String> sums = Workloads.checksums(primary);
        assertThat(Workloads.checksumsMatching(replica, sums, Duration.ofSeconds(10))).isEqualTo(sums).isNotEmpty();
        Map<String, Object> st = replica.replicaStatus();
        assertThat(st.get("Slave_IO_Running")).as("%s", st).hasToString("Yes");
        assertThat(st.get("Slave_SQL_Running")).as("%s", st).hasToString("Yes");
        assertThat(st.get("Last_IO_Errno")).as("%s", st).hasToString("0");
        assertThat(st.get("Last_SQL_Errno")).as("%s", st).hasToString("0");
        assertThat(GtidSet.parse(MySqlServer.gtidSetColumn(st, "Executed_Gtid_Set")))
                .isEqualTo(GtidSet.parse(executed));
        // the replica retrieved only what the primary executed (never more, never another server's transactions)
        GtidSet retrieved = GtidSet.parse(MySqlServer.gtidSetColumn(st, "Retrieved_Gtid_Set"));
        assertThat(GtidSet.parse(executed).containsAll(retrieved)).as("retrieved %s within %s", retrieved, executed)
                .isTrue();
    }

    private static void awaitIo(MySqlServer replica, String state) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!state.equals(String.valueOf(replica.replicaStatus().get("Slave_IO_Running")))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("replica IO thread not " + state + ": " + replica.replicaStatus());
            }
            Thread.sleep(50);
        }
    }

    static String json(Map<String, ?> m) throws Exception {
        return JSON.writeValueAsString(m);
    }

    /** Writes rounds of small transactions to the primary in the background until closed. */
    static final class Writer implements AutoCloseable {
        /** Row ids of the tail table, unique across writers and away from {@link Workloads#small}'s. */
        private static final AtomicInteger NEXT_ID = new AtomicInteger(50_000_000);
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicInteger rounds = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Writer(MySqlServer primary) {
            Workloads.small(primary, 0, 0); // creates the tail table
            thread = new Thread(() -> {
                try {
                    for (int round = 0; !stop.get(); round++) {
                        String[] sql = new String[11];
                        for (int i = 0; i < 10; i++) {
                            sql[i] = "INSERT INTO " + Workloads.DB + ".tail VALUES (" + NEXT_ID.getAndIncrement()
                                    + ", 'w" + i + "')";
                        }
                        // a value that does not grow: the writer may run thousands of rounds on a fast machine
                        sql[10] = "UPDATE " + Workloads.DB + ".tail SET v = 'u" + round + "' WHERE id % 7 = "
                                + round % 7;
                        primary.execute(sql);
                        rounds.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "chain-writer");
            thread.setDaemon(true);
            thread.start();
        }

        int rounds() {
            return rounds.get();
        }

        void awaitRounds(int n) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (rounds.get() < n && failure.get() == null) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the writer did " + rounds.get() + " of " + n + " rounds in 60 s");
                }
                Thread.sleep(20);
            }
            if (failure.get() != null) {
                throw new AssertionError("the writer failed", failure.get());
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(60_000);
            if (failure.get() != null) {
                throw new AssertionError("the writer failed", failure.get());
            }
        }
    }
}

package io.kingbus.syncer;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real MySQL 8.0.15 primary replicated into a 3-node in-process cluster, the syncer started through a follower's
 * admin API and logging in as a caching_sha2_password user: a mixed workload (DDL, multi-row DML, JSON, BLOBs, a
 * 20 MiB row, a transaction of 100k rows, FLUSH LOGS) across two leader kills and a primary restart ends with every
 * node's executed set equal to the primary's gtid_executed and every stored file byte-identical to the primary's.
 * A stopped syncer then stays stopped across a leader change.
 */
class SyncerCluster80Test {
    private static final Logger log = LoggerFactory.getLogger(SyncerCluster80Test.class);
    private static final Duration CATCH_UP = Duration.ofSeconds(120);

    @Test
    void workloadAcrossLeaderKillsAndAPrimaryRestart(@TempDir Path tmp) throws Exception {
        try (MySqlServer primary = MySqlServer.start(MySqlVersion.V8_0);
             SyncerCluster cluster = new SyncerCluster(tmp, 3).startAll()) {
            primary.execute(
                    // MySQL 8.0's default plugin: the syncer does the RSA full authentication, then the fast path
                    "CREATE USER 'kb'@'%' IDENTIFIED WITH caching_sha2_password BY 'kb-Secret-8'",
                    "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'kb'@'%'",
                    "CREATE DATABASE w",
                    "CREATE TABLE w.t (id INT PRIMARY KEY, doc JSON, data LONGBLOB, note VARCHAR(100))",
                    "CREATE TABLE w.big (id INT PRIMARY KEY, v VARCHAR(40), n BIGINT)",
                    "INSERT INTO w.t VALUES (1, '{\"a\": 1, \"list\": [1, 2, 3]}', REPEAT('x', 100), 'one'),"
                            + " (2, '{\"b\": {\"c\": \"d\"}}', REPEAT(UNHEX('00FF'), 40000), NULL),"
                            + " (3, NULL, NULL, 'three')");
            SyncerCluster.Node follower = cluster.follower();
            SyncerCluster.Reply started = SyncerCluster.startSyncer(follower, SyncerCluster.startBody(8001,
                    UUID.randomUUID().toString(), primary.host() + ":" + primary.port(), "kb", "kb-Secret-8", false));
            assertThat(started.status()).as("%s", started.body()).isEqualTo(200);
            cluster.awaitExecuted(primary.gtidExecuted(), CATCH_UP);
            JsonNode s = SyncerCluster.status(follower);
            assertThat(s.path("status").asText()).isEqualTo("running");
            assertThat(s.path("mysql_password").asText()).isEqualTo(Syncer.REDACTED);
            assertThat(s.toString()).doesNotContain("kb-Secret-8");

            // a transaction of 100k rows, then the leader goes away while it streams
            primary.execute("SET SESSION cte_max_recursion_depth = 200000",
                    "INSERT INTO w.big WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000)"
                            + " SELECT i, CONCAT('row-', i), i * 7 FROM s");
            SyncerCluster.Node killed1 = killLeader(cluster);
            primary.execute("INSERT INTO w.t VALUES (100, '{\"big\": true}', REPEAT('z', 20 * 1024 * 1024), 'big')",
                    "UPDATE w.big SET n = n + 1 WHERE id % 10 = 0",
                    "FLUSH LOGS",
                    "INSERT INTO w.t (id, note) VALUES (4, 'four'), (5, 'five'), (6, 'six')");
            awaitSyncerOnLeader(cluster);
            killed1.start();
            SyncerCluster.Node killed2 = killLeader(cluster);
            primary.execute("UPDATE w.t SET doc = JSON_SET(doc, '$.c', 3) WHERE id = 1",
                    "DELETE FROM w.big WHERE id > 90000",
                    "ALTER TABLE w.t ADD COLUMN extra INT",
                    "INSERT INTO w.t (id, extra) VALUES (7, 7)");
            awaitSyncerOnLeader(cluster);
            killed2.start();

            // the primary restarts mid-stream (a clean shutdown: its last file ends with a STOP event the dump
            // never sent; the syncer fetches it by file:pos so the stored file stays identical)
            primary.execute("INSERT INTO w.big (id, v, n) VALUES (200001, 'before restart', 1)");
            long t0 = System.nanoTime();
            primary.restart();
            log.info("primary restarted in {} ms", (System.nanoTime() - t0) / 1_000_000);
            primary.execute("INSERT INTO w.big (id, v, n) VALUES (200002, 'after restart', 2)",
                    "FLUSH LOGS",
                    "UPDATE w.big SET v = 'last' WHERE id = 200002");
            String executed = primary.gtidExecuted();
            cluster.awaitExecuted(executed, CATCH_UP);
            assertThat(cluster.running()).hasSize(3);
            long bytes = cluster.assertFilesIdentical(primary);
            assertThat(bytes).isGreaterThan(20L << 20);
            assertThat(primary.binlogFiles()).hasSizeGreaterThanOrEqualTo(4);
            log.info("{} bytes in {} files identical on every node", bytes, primary.binlogFiles().size());

            JsonNode after = SyncerCluster.status(follower);
            assertThat(after.path("status").asText()).isEqualTo("running");
            assertThat(GtidSet.parse(after.path("executed_gtid_set").asText())).isEqualTo(GtidSet.parse(executed));
            assertThat(after.path("primary_server_uuid").asText()).isEqualTo(primary.serverUuid());
            assertThat(after.path("last_binlog_file").asText())
                    .isEqualTo(primary.binlogFiles().get(primary.binlogFiles().size() - 1).getFileName().toString());

            // stop, through a follower: it stays stopped across a leader change
            SyncerCluster.Node f = cluster.follower();
            SyncerCluster.Reply stopped = SyncerCluster.stopSyncer(f);
            assertThat(stopped.status()).as("%s", stopped.body()).isEqualTo(200);
            assertThat(SyncerCluster.status(f).path("status").asText()).isEqualTo("stopped");
            SyncerCluster.Node killed3 = killLeader(cluster);
            cluster.awaitLeader(Duration.ofSeconds(30));
            primary.execute("INSERT INTO w.big (id, v, n) VALUES (300000, 'not replicated', 3)");
            Thread.sleep(3000);
            for (SyncerCluster.Node n : cluster.running()) {
                assertThat(n.node.syncer().runningHere()).as("syncer on %s", n).isFalse();
                assertThat(n.node.store().executedGtids()).isEqualTo(GtidSet.parse(executed));
            }
            assertThat(SyncerCluster.status(cluster.running().get(0)).path("status").asText()).isEqualTo("stopped");
            killed3.start();
        }
    }

    /** Stops the current leader; returns it (to be started again). */
    private static SyncerCluster.Node killLeader(SyncerCluster cluster) throws InterruptedException {
        SyncerCluster.Node leader = cluster.awaitLeader(Duration.ofSeconds(30));
        log.info("stopping the leader {}", leader);
        leader.stop();
        return leader;
    }

    /** A new leader starts the syncer by itself within a few seconds. */
    private static void awaitSyncerOnLeader(SyncerCluster cluster) throws InterruptedException {
        long t0 = System.nanoTime();
        SyncerCluster.await("the syncer on a new leader", Duration.ofSeconds(20), () -> cluster.running().stream()
                .anyMatch(n -> n.node.raft().isLeaderReady() && n.node.syncer().runningHere()));
        log.info("the syncer runs on the new leader {} ms after the old one stopped", (System.nanoTime() - t0) / 1_000_000);
    }
}

package io.kingbus.syncer;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.gtid.GtidSet;
import io.kingbus.raft.RaftNodeConfig;
import io.kingbus.testkit.FreePorts;
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
 * A binlog event bigger than the largest raft entry (64 MiB, MySQL 8.0's default max_allowed_packet) goes through
 * raft in parts: a real 8.0.15 primary writes a ~100 MiB row, the leader is stopped once it has applied its first
 * part (usually before the last one: the log says which; {@code ClusterBigEventKillTest} asserts the kill between
 * parts with smaller entries), another ~100 MiB row follows; the three nodes end with files byte-identical to the
 * primary's, and a real replica of a follower's binlog server gets the rows.
 *
 * <p>The row is in a MyISAM table: InnoDB would need a redo log over ten times the row (MySQL's BLOB limit).
 */
class SyncerBigEventTest {
    private static final Logger log = LoggerFactory.getLogger(SyncerBigEventTest.class);
    private static final Duration CATCH_UP = Duration.ofSeconds(180);

    @Test
    void aRowOverTheLargestRaftEntryIsStoredOnEveryNodeAcrossALeaderStop(@TempDir Path tmp) throws Exception {
        int rowBytes = 100 << 20;
        assertThat(rowBytes).isGreaterThan(RaftNodeConfig.DEFAULT_MAX_LARGE_ENTRY_BYTES);
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--max-allowed-packet=256M").start();
             SyncerCluster cluster = new SyncerCluster(tmp, 3).startAll()) {
            primary.execute("CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, data LONGBLOB) ENGINE=MyISAM",
                    "INSERT INTO big.t VALUES (1, 'small')");
            SyncerCluster.Node follower = cluster.follower();
            assertThat(SyncerCluster.startSyncer(follower, SyncerCluster.startBody(8101, UUID.randomUUID().toString(),
                    primary.host() + ":" + primary.port(), "root", "", false)).status()).isEqualTo(200);
            cluster.awaitExecuted(primary.gtidExecuted(), CATCH_UP);

            // the first big row, then the leader goes away once its first part is applied
            SyncerCluster.Node leader = cluster.awaitLeader(Duration.ofSeconds(30));
            long applied = leader.node.raft().stateMachine().bytesApplied();
            String small = primary.gtidExecuted();
            primary.execute("INSERT INTO big.t VALUES (2, REPEAT('x', " + rowBytes + "))");
            SyncerCluster.await("a part of the big event applied", Duration.ofSeconds(60),
                    () -> leader.node.raft().stateMachine().bytesApplied() - applied > (32 << 20));
            boolean midEvent = leader.node.store().executedGtids().equals(GtidSet.parse(small));
            log.info("stopping the leader {} {}", leader, midEvent ? "between parts" : "after the big event");
            leader.stop();
            primary.execute("INSERT INTO big.t VALUES (3, REPEAT('y', " + (rowBytes + 12345) + "))",
                    "INSERT INTO big.t VALUES (4, 'after')");
            String executed = primary.gtidExecuted();
            long t0 = System.nanoTime();
            cluster.awaitExecuted(executed, CATCH_UP);
            log.info("the 2 big rows stored on the 2 running nodes {} ms after the leader stopped",
                    (System.nanoTime() - t0) / 1_000_000);
            leader.start();
            cluster.awaitExecuted(executed, CATCH_UP);
            long bytes = cluster.assertFilesIdentical(primary);
            assertThat(bytes).isGreaterThan(2L * rowBytes);

            JsonNode s = SyncerCluster.status(cluster.follower());
            assertThat(s.path("status").asText()).isEqualTo("running");
            assertThat(GtidSet.parse(s.path("executed_gtid_set").asText())).isEqualTo(GtidSet.parse(executed));

            // a real replica of a follower's binlog server gets the big rows
            int port = FreePorts.take();
            SyncerCluster.Node server = cluster.follower();
            SyncerCluster.Reply r = SyncerCluster.http("PUT", server.url() + "/binlog/server/start",
                    "{\"addr\": \"127.0.0.1:" + port + "\", \"user\": \"kb\", \"password\": \"kb\"}");
            assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
            try (MySqlServer replica = MySqlServer.builder(MySqlVersion.V8_0)
                    .extraArgs("--max-allowed-packet=256M").start()) {
                replica.replicateFrom("127.0.0.1", port, "kb", "kb");
                replica.awaitGtidExecuted(executed, CATCH_UP);
                assertThat(replica.queryString("SELECT CONCAT(LENGTH(data), ' ', MD5(data)) FROM big.t WHERE id = 3"))
                        .isEqualTo(primary.queryString("SELECT CONCAT(LENGTH(data), ' ', MD5(data)) FROM big.t "
                                + "WHERE id = 3"));
                assertThat(replica.queryString("SELECT COUNT(*) FROM big.t")).isEqualTo("4");
            }
        }
    }
}

package io.kingbus.syncer;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.gtid.GtidSet;
import io.kingbus.raft.RaftNodeConfig;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A binlog event bigger than the largest raft entry (64 MiB, MySQL 8.0's default max_allowed_packet) cannot be
 * replicated: the syncer stops with an error that names the event's size, position and transaction, instead of
 * reconnecting and failing on it forever; everything before it is stored, nothing of its transaction is.
 *
 * <p>The row is in a MyISAM table: InnoDB would need a redo log over ten times the row (MySQL's BLOB limit).
 */
class SyncerOversizedEventTest {

    @Test
    void anEventOverTheLargestRaftEntryStopsTheSyncerWithAClearError(@TempDir Path tmp) throws Exception {
        int rowBytes = RaftNodeConfig.DEFAULT_MAX_LARGE_ENTRY_BYTES + (1 << 20);
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--max-allowed-packet=256M").start();
             SyncerCluster cluster = new SyncerCluster(tmp, 1).startAll()) {
            primary.execute("CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, data LONGBLOB) ENGINE=MyISAM",
                    "INSERT INTO big.t VALUES (1, 'small')");
            String before = primary.gtidExecuted();
            primary.execute("INSERT INTO big.t VALUES (2, REPEAT('x', " + rowBytes + "))");
            String bigGtid = GtidSet.parse(primary.gtidExecuted()).toString();

            SyncerCluster.Node n = cluster.awaitLeader(Duration.ofSeconds(30));
            assertThat(SyncerCluster.startSyncer(n, SyncerCluster.startBody(8101, UUID.randomUUID().toString(),
                    primary.host() + ":" + primary.port(), "root", "", false)).status()).isEqualTo(200);

            JsonNode[] last = new JsonNode[1];
            SyncerCluster.await("the syncer to stop on the oversized event", Duration.ofSeconds(60), () -> {
                try {
                    last[0] = SyncerCluster.status(n);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return last[0].path("last_error").asText().contains("exceeds the largest raft entry");
            });
            JsonNode s = last[0];
            String error = s.path("last_error").asText();
            String uuid = primary.serverUuid();
            assertThat(error).containsIgnoringCase("write_rows").contains("bytes at mysql-bin.000001:", uuid + ":4", "does not retry");
            assertThat(s.path("status").asText()).isEqualTo("error");
            assertThat(s.path("retry_in_ms").asLong()).isZero();
            // everything before the big transaction is stored, nothing of it
            assertThat(s.path("executed_gtid_set").asText()).isEqualTo(before);
            assertThat(bigGtid).contains(uuid + ":1-4");

            // it stays stopped: no reconnects
            long attempts = s.path("connection_attempts").asLong();
            Thread.sleep(3000);
            JsonNode later = SyncerCluster.status(n);
            assertThat(later.path("connection_attempts").asLong()).isEqualTo(attempts);
            assertThat(later.path("status").asText()).isEqualTo("error");

            // stop clears it
            assertThat(SyncerCluster.stopSyncer(n).status()).isEqualTo(200);
            assertThat(SyncerCluster.status(n).path("status").asText()).isEqualTo("stopped");
        }
    }
}

package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A binlog event bigger than the leader's heap can take (a real MySQL 8.0.15 primary writes a 100 MiB row; the node
 * runs with the tests' -Xmx256m and exits on OutOfMemoryError): the syncer stops with an error that names the event's
 * size and what heap it needs, before reading the event, instead of running the node out of heap (and then the next
 * leader, which would fetch the event again). It does not retry; the node keeps running.
 */
class ClusterEventOverHeapTest extends ClusterTestBase {

    @Test
    void anEventTooBigForTheHeapStopsTheSyncerWithAClearErrorAndTheNodeStaysUp() throws Exception {
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--max-allowed-packet=256M").start()) {
            primary.execute("CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, data LONGBLOB) ENGINE=MyISAM",
                    "INSERT INTO big.t VALUES (1, 'small')");
            cluster = ClusterHarness.create(tmp, 1, ClusterHarness.Options.tests()).startAll();
            NodeProcess node = cluster.awaitLeader(LEADER);
            startSyncer(node, 6301, primary);
            String small = GtidSet.parse(primary.gtidExecuted()).toString();
            cluster.await(node + " stores the first transactions", CONVERGE,
                    () -> small.equals(SyncerLeaderKillTest.executed(node)));

            primary.execute("INSERT INTO big.t VALUES (2, REPEAT('x', " + (100 << 20) + "))",
                    "INSERT INTO big.t VALUES (3, 'after')");
            JsonNode[] status = new JsonNode[1];
            cluster.await(() -> "the syncer to stop on the big event (" + status[0] + ")", CONVERGE, () -> {
                status[0] = node.get("/binlog/syncer/status").data();
                return "error".equals(status[0].path("status").asText())
                        && status[0].path("last_error").asText().contains("more than this node can hold in memory");
            });
            assertThat(status[0].path("last_error").asText())
                    .containsPattern("a binlog event of 1048576\\d\\d bytes") // the row and the event's headers
                    .contains("-Xmx");
            long attempts = status[0].path("connection_attempts").asLong();

            // it does not retry, and the node is up and still serves its status and store
            Thread.sleep(3000);
            assertThat(node.alive()).as("node alive; its log:\n%s", node.tail(20)).isTrue();
            JsonNode later = node.get("/binlog/syncer/status").data();
            assertThat(later.path("status").asText()).isEqualTo("error");
            assertThat(later.path("connection_attempts").asLong()).isEqualTo(attempts);
            assertThat(SyncerLeaderKillTest.executed(node)).isEqualTo(small);
            assertThat(node.logContains("OutOfMemoryError")).isFalse();
        }
    }
}

package io.kingbus.syncer;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.testkit.FreePorts;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator sees when the syncer cannot work: a 400 naming every problem of a bad start request, and for a
 * wrong password, a wrong address or a primary with gtid_mode OFF a clear status (status "error", MySQL's or the
 * client's reason) with slow retries, not a retry storm; the node keeps serving.
 */
class SyncerFailuresTest {
    private static final Duration WATCH = Duration.ofSeconds(6);

    @Test
    void badRequestsAndUnusablePrimariesGiveAClearStatus(@TempDir Path tmp) throws Exception {
        try (MySqlServer primary = MySqlServer.start(MySqlVersion.V8_0);
             MySqlServer noGtid = MySqlServer.builder(MySqlVersion.V8_0).gtid(false).start();
             SyncerCluster cluster = new SyncerCluster(tmp, 1).startAll()) {
            SyncerCluster.Node n = cluster.awaitLeader(Duration.ofSeconds(30));
            String url = n.url() + "/binlog/syncer/start";

            // validation: every problem at once, never the password
            SyncerCluster.Reply empty = SyncerCluster.http("PUT", url, "{}");
            assertThat(empty.status()).isEqualTo(400);
            assertThat(empty.message()).contains("missing field: syncer_id", "missing field: syncer_uuid",
                    "missing field: mysql_addr", "missing field: mysql_user");
            SyncerCluster.Reply bad = SyncerCluster.http("PUT", url, "{\"syncer_id\": \"x\", \"syncer_uuid\": \"nope\","
                    + " \"mysql_addr\": \"host\", \"mysql_user\": \"kb\", \"mysql_password\": \"pw-not-shown\","
                    + " \"semi_sync\": \"yes\"}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.message()).contains("syncer_id", "syncer_uuid", "mysql_addr", "semi_sync")
                    .doesNotContain("pw-not-shown");
            assertThat(SyncerCluster.http("PUT", url, "{\"syncer_id\": 0, \"syncer_uuid\"").status()).isEqualTo(400);
            assertThat(SyncerCluster.http("PUT", url, "{\"syncer_id\": 4294967296, \"syncer_uuid\": \""
                    + UUID.randomUUID() + "\", \"mysql_addr\": \"h:1\", \"mysql_user\": \"u\"}").message())
                    .contains("not in 1..4294967295");
            assertThat(SyncerCluster.status(n).path("status").asText()).isEqualTo("stopped");

            // wrong password: MySQL's 1045, retried slowly
            String addr = primary.host() + ":" + primary.port();
            String wrongPassword = SyncerCluster.startBody(9001, UUID.randomUUID().toString(), addr, "root",
                    "wrong-pw", false);
            assertThat(SyncerCluster.startSyncer(n, wrongPassword).status()).isEqualTo(200);
            JsonNode s = awaitError(n, "Access denied");
            assertThat(s.path("last_error").asText()).contains("AUTH", "1045");
            assertThat(s.toString()).doesNotContain("wrong-pw");
            assertFewAttempts(n, 2);
            // the same arguments again: a no-op (nothing replicated)
            long configIndex = SyncerCluster.status(n).path("config_index").asLong();
            assertThat(SyncerCluster.startSyncer(n, wrongPassword).status()).isEqualTo(200);
            assertThat(SyncerCluster.status(n).path("config_index").asLong()).isEqualTo(configIndex);
            // other arguments while running: restarted with them (one SYNCER_START), here the right password
            primary.execute("CREATE DATABASE restarted", "CREATE TABLE restarted.t (id INT PRIMARY KEY)",
                    "INSERT INTO restarted.t VALUES (1)");
            assertThat(SyncerCluster.startSyncer(n, SyncerCluster.startBody(9002, UUID.randomUUID().toString(), addr,
                    "root", "", false)).status()).isEqualTo(200);
            JsonNode restarted = SyncerCluster.status(n);
            assertThat(restarted.path("config_index").asLong()).isGreaterThan(configIndex);
            assertThat(restarted.path("syncer_id").asLong()).isEqualTo(9002);
            cluster.awaitExecuted(primary.gtidExecuted(), Duration.ofSeconds(30));
            SyncerCluster.await("the primary to see replica 9002 only", Duration.ofSeconds(20),
                    () -> replicaServerIds(primary).equals(java.util.List.of(9002L)));
            assertThat(SyncerCluster.status(n).path("status").asText()).isEqualTo("running");
            // ... and restarted again with another server_id while it streams
            assertThat(SyncerCluster.startSyncer(n, SyncerCluster.startBody(9012, UUID.randomUUID().toString(), addr,
                    "root", "", false)).status()).isEqualTo(200);
            SyncerCluster.await("the primary to see replica 9012 only", Duration.ofSeconds(20),
                    () -> replicaServerIds(primary).equals(java.util.List.of(9012L)));
            primary.execute("INSERT INTO restarted.t VALUES (2)");
            cluster.awaitExecuted(primary.gtidExecuted(), Duration.ofSeconds(30));
            assertThat(SyncerCluster.stopSyncer(n).status()).isEqualTo(200);

            // wrong address: nothing listens there
            int closed = FreePorts.take();
            assertThat(SyncerCluster.startSyncer(n, SyncerCluster.startBody(9003, UUID.randomUUID().toString(),
                    "127.0.0.1:" + closed, "root", "", false)).status()).isEqualTo(200);
            awaitError(n, "cannot connect to 127.0.0.1:" + closed);
            assertFewAttempts(n, 5); // 0.5 s doubling: ~4 in 6 s
            assertThat(SyncerCluster.stopSyncer(n).status()).isEqualTo(200);

            // a primary with gtid_mode OFF
            assertThat(SyncerCluster.startSyncer(n, SyncerCluster.startBody(9004, UUID.randomUUID().toString(),
                    noGtid.host() + ":" + noGtid.port(), "root", "", false)).status()).isEqualTo(200);
            s = awaitError(n, "gtid_mode=OFF");
            assertThat(s.path("last_error").asText()).contains("INCOMPATIBLE_PRIMARY");
            assertFewAttempts(n, 2);
            assertThat(SyncerCluster.stopSyncer(n).status()).isEqualTo(200);
            assertThat(SyncerCluster.status(n).path("status").asText()).isEqualTo("stopped");

            // the node is fine: a correct start works
            primary.execute("CREATE DATABASE ok", "CREATE TABLE ok.t (id INT PRIMARY KEY)", "INSERT INTO ok.t VALUES (1)");
            assertThat(SyncerCluster.startSyncer(n, SyncerCluster.startBody(9005, UUID.randomUUID().toString(),
                    addr, "root", "", false)).status()).isEqualTo(200);
            cluster.awaitExecuted(primary.gtidExecuted(), Duration.ofSeconds(30));
            assertThat(SyncerCluster.status(n).path("status").asText()).isEqualTo("running");
        }
    }

    /** server_ids of the replicas registered on the primary (SHOW SLAVE HOSTS), sorted. */
    private static java.util.List<Long> replicaServerIds(MySqlServer primary) {
        return primary.query("SHOW SLAVE HOSTS").stream().map(r -> ((Number) r.get("Server_id")).longValue())
                .sorted().toList();
    }

    private static JsonNode awaitError(SyncerCluster.Node n, String reason) throws InterruptedException {
        JsonNode[] last = new JsonNode[1];
        SyncerCluster.await("status error with '" + reason + "'", Duration.ofSeconds(20), () -> {
            try {
                last[0] = SyncerCluster.status(n);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return last[0].path("status").asText().equals("error") && last[0].path("last_error").asText().contains(reason);
        });
        return last[0];
    }

    /** At most {@code max} new connection attempts in {@link #WATCH}. */
    private static void assertFewAttempts(SyncerCluster.Node n, int max) throws InterruptedException {
        long before = SyncerCluster.status(n).path("connection_attempts").asLong();
        Thread.sleep(WATCH.toMillis());
        JsonNode s = SyncerCluster.status(n);
        long attempts = s.path("connection_attempts").asLong() - before;
        assertThat(attempts).as("connection attempts in %s s (%s)", WATCH.toSeconds(), s).isBetween(0L, (long) max);
        assertThat(s.path("status").asText()).isEqualTo("error");
    }
}

package io.kingbus.syncer;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A real MySQL 5.7.22 primary replicated into a 3-node cluster: the stored binlog is the primary's, byte for byte. */
class SyncerBasic57Test {

    @Test
    void basicRunAgainstA57Primary(@TempDir Path tmp) throws Exception {
        try (MySqlServer primary = MySqlServer.start(MySqlVersion.V5_7);
             SyncerCluster cluster = new SyncerCluster(tmp, 3).startAll()) {
            primary.execute(
                    "CREATE USER 'kb'@'%' IDENTIFIED BY 'kb57'",
                    "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'kb'@'%'",
                    "CREATE DATABASE shop",
                    "CREATE TABLE shop.t (id INT PRIMARY KEY, doc JSON, data LONGBLOB, note VARCHAR(100))",
                    "INSERT INTO shop.t VALUES (1, '{\"a\": 1}', REPEAT('x', 100), 'one'),"
                            + " (2, '{\"b\": [1, 2]}', REPEAT('y', 5000), NULL), (3, NULL, NULL, 'three')",
                    "FLUSH LOGS",
                    "UPDATE shop.t SET note = CONCAT('n', id) WHERE id <= 2");
            SyncerCluster.Node follower = cluster.follower();
            SyncerCluster.Reply r = SyncerCluster.startSyncer(follower, SyncerCluster.startBody(5701,
                    UUID.randomUUID().toString(), primary.host() + ":" + primary.port(), "kb", "kb57", false));
            assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
            assertThat(r.body().toString()).isEqualTo("{\"message\":\"success\",\"data\":\"\"}");

            cluster.awaitExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
            primary.execute("DELETE FROM shop.t WHERE id = 3", "FLUSH LOGS",
                    "INSERT INTO shop.t (id, note) VALUES (4, 'four'), (5, 'five')");
            cluster.awaitExecuted(primary.gtidExecuted(), Duration.ofSeconds(60));
            assertThat(cluster.assertFilesIdentical(primary)).isGreaterThan(1000);

            JsonNode s = SyncerCluster.status(follower);
            assertThat(s.path("status").asText()).isEqualTo("running");
            assertThat(s.path("mysql_password").asText()).isEqualTo(Syncer.REDACTED);
            assertThat(s.path("primary_server_uuid").asText()).isEqualTo(primary.serverUuid());
            assertThat(s.path("primary_version").asText()).startsWith("5.7.22");
            assertThat(s.path("executed_gtid_set").asText()).isEqualTo(primary.gtidExecuted());
            assertThat(s.path("syncer_id").asLong()).isEqualTo(5701);
            assertThat(s.toString()).doesNotContain("kb57");
        }
    }
}

package io.kingbus.syncer;

import io.kingbus.binlog.EventType;
import io.kingbus.gtid.GtidSet;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A real MySQL 8.0.15 primary that does not fit, purged its binlogs, or restarts mid-stream. */
class RealPrimaryFailureTest {

    /** Starts the client unless it runs already, and returns the error that ends it. */
    private static SyncerException failure(BinlogDumpClient client) throws Exception {
        try {
            (client.status().state() == DumpStatus.State.NEW ? client.start() : client.termination())
                    .get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(SyncerException.class);
            return (SyncerException) e.getCause();
        }
        throw new AssertionError("the session should have failed");
    }

    @Test
    void primaryWithGtidModeOffIsRefused() throws Exception {
        try (MySqlServer s = MySqlServer.builder(MySqlVersion.V8_0).gtid(false).start()) {
            SyncerException e = failure(new BinlogDumpClient(RealPrimaryDumpTest.config(s).build(), new Collector()));
            assertThat(e.kind()).isEqualTo(SyncerException.Kind.INCOMPATIBLE_PRIMARY);
            assertThat(e.getMessage()).contains("has gtid_mode=OFF; kingbus needs gtid_mode=ON");
        }
    }

    @Test
    void primaryWithStatementFormatIsRefused() throws Exception {
        try (MySqlServer s = MySqlServer.builder(MySqlVersion.V5_7).extraArgs("--binlog-format=MIXED").start()) {
            SyncerException e = failure(new BinlogDumpClient(RealPrimaryDumpTest.config(s).build(), new Collector()));
            assertThat(e.kind()).isEqualTo(SyncerException.Kind.INCOMPATIBLE_PRIMARY);
            assertThat(e.getMessage()).contains("binlog_format=MIXED; kingbus needs binlog_format=ROW");
        }
    }

    @Test
    void purgedGtidsEndTheDumpWithMySqls1236() throws Exception {
        try (MySqlServer s = MySqlServer.start(MySqlVersion.V8_0)) {
            s.execute("CREATE DATABASE d", "FLUSH LOGS", "CREATE TABLE d.t (id INT PRIMARY KEY)", "FLUSH LOGS",
                    "INSERT INTO d.t VALUES (1)", "PURGE BINARY LOGS TO 'mysql-bin.000003'");
            BinlogDumpClient client = new BinlogDumpClient(RealPrimaryDumpTest.config(s).build(), new Collector());
            SyncerException e = failure(client);
            assertThat(e.kind()).isEqualTo(SyncerException.Kind.SERVER_ERROR);
            assertThat(e.errorCode()).isEqualTo(1236);
            // 8.0.15's text for 1236 with purged GTIDs (ER_MASTER_HAS_PURGED_REQUIRED_GTIDS)
            assertThat(e.getMessage()).contains("ERROR 1236 (HY000): Cannot replicate because the master purged "
                    + "required binary logs.");
            assertThat(client.status().lastErrorMessage()).isEqualTo(e.getMessage());

            // With the purged GTIDs in the set, the rest still streams.
            GtidSet purged = GtidSet.parse(s.queryString("SELECT @@GLOBAL.gtid_purged"));
            Collector c = RealPrimaryDumpTest.dumpAll(RealPrimaryDumpTest.config(s).gtids(purged).nonBlocking(true)
                    .build());
            assertThat(c.gtidSet()).isEqualTo(GtidSet.parse(s.gtidExecuted()).subtract(purged));
        }
    }

    @Test
    void primaryRestartMidStreamIsReportedAndTheDumpResumes() throws Exception {
        try (MySqlServer s = MySqlServer.start(MySqlVersion.V8_0)) {
            s.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)");
            Collector c = new Collector();
            BinlogDumpClient client = new BinlogDumpClient(RealPrimaryDumpTest.config(s).build(), c);
            client.start();
            c.awaitGtids(GtidSet.parse(s.gtidExecuted()), Duration.ofSeconds(30));
            // Idle: the primary sends heartbeats (period 1 s) carrying its current file and position.
            c.await(events -> events.stream().anyMatch(ReceivedEvent::isHeartbeat), Duration.ofSeconds(10));
            DumpStatus streaming = client.status();
            assertThat(streaming.connected()).isTrue();
            assertThat(streaming.state()).isEqualTo(DumpStatus.State.STREAMING);
            assertThat(streaming.heartbeatsReceived()).isPositive();
            assertThat(streaming.file()).isEqualTo("mysql-bin.000001");
            assertThat(streaming.position()).isEqualTo(java.nio.file.Files.size(s.binlogFiles().get(0)));
            assertThat(streaming.primary().serverUuid()).isEqualTo(s.serverUuid());
            assertThat(streaming.bytesReceived()).isPositive();

            s.restart();
            SyncerException e = failure(client);
            assertThat(e.isTransient()).as(e.toString()).isTrue();
            assertThat(client.status().connected()).isFalse();
            assertThat(client.status().state()).isEqualTo(DumpStatus.State.FAILED);
            assertThat(client.status().lastErrorMessage()).isNotBlank();

            // The wiring engineer's loop would reconnect from what it stored; here: from what we received.
            s.execute("INSERT INTO d.t VALUES (2)");
            Collector after = new Collector();
            BinlogDumpClient again = new BinlogDumpClient(RealPrimaryDumpTest.config(s).gtids(c.gtidSet())
                    .nonBlocking(true).build(), after);
            again.start().get(60, TimeUnit.SECONDS);
            assertThat(c.gtidSet().union(after.gtidSet())).isEqualTo(GtidSet.parse(s.gtidExecuted()));
            assertThat(after.gtids()).hasSize(1);
            assertThat(after.events().stream().filter(ev -> ev.event().type() == EventType.GTID)).hasSize(1);
        }
    }

    @Test
    void aSecondReplicaWithTheSameUuidEndsTheFirstDump() throws Exception {
        try (MySqlServer s = MySqlServer.start(MySqlVersion.V8_0)) {
            DumpConfig first = RealPrimaryDumpTest.config(s).build();
            Collector c1 = new Collector();
            BinlogDumpClient client1 = new BinlogDumpClient(first, c1);
            client1.start();
            c1.await(events -> events.stream().anyMatch(e -> e.event().type() == EventType.PREVIOUS_GTIDS),
                    Duration.ofSeconds(30));
            // MySQL ends the older dump of a replica that registers again with the same server_uuid
            Collector c2 = new Collector();
            BinlogDumpClient client2 = new BinlogDumpClient(RealPrimaryDumpTest.config(s)
                    .serverUuid(first.serverUuid()).build(), c2);
            client2.start();
            SyncerException e = failure(client1);
            assertThat(e.kind()).isEqualTo(SyncerException.Kind.SERVER_ERROR);
            assertThat(e.errorCode()).isEqualTo(1236);
            assertThat(e.getMessage()).contains("A slave with the same server_uuid/server_id as this slave has "
                    + "connected to the master");
            c2.await(events -> events.stream().anyMatch(ev -> ev.event().type() == EventType.PREVIOUS_GTIDS),
                    Duration.ofSeconds(30));
            assertThat(client2.status().connected()).isTrue();
            client2.close();
        }
    }

    @Test
    void closeEndsTheSessionQuietly() throws Exception {
        try (MySqlServer s = MySqlServer.start(MySqlVersion.V5_7)) {
            Collector c = new Collector();
            BinlogDumpClient client = new BinlogDumpClient(RealPrimaryDumpTest.config(s).build(), c);
            client.start();
            // 5.7 sends version-1 heartbeats: the file name is the body, the position the header's log_pos
            c.await(events -> events.stream().anyMatch(ReceivedEvent::isHeartbeat), Duration.ofSeconds(10));
            ReceivedEvent hb = c.events().stream().filter(ReceivedEvent::isHeartbeat).findFirst().orElseThrow();
            assertThat(hb.event().type()).isEqualTo(EventType.HEARTBEAT);
            assertThat(hb.file()).isEqualTo("mysql-bin.000001");
            assertThat(client.status().position()).isEqualTo(java.nio.file.Files.size(s.binlogFiles().get(0)));
            client.close();
            int seen = c.events().size();
            client.termination().get(10, TimeUnit.SECONDS);
            assertThat(client.status().state()).isEqualTo(DumpStatus.State.CLOSED);
            assertThat(client.status().lastError()).isNull();
            assertThat(client.status().connected()).isFalse();
            Thread.sleep(1500); // no heartbeat reaches the listener after close
            assertThat(c.events()).hasSize(seen);
        }
    }
}

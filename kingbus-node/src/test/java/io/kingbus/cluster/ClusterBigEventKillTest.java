package io.kingbus.cluster;

import io.kingbus.gtid.GtidSet;
import io.kingbus.node.KingbusNode;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of the raft leader between the parts of an event bigger than a raft entry (separate node JVMs, a real
 * MySQL 8.0.15 primary writing a ~100 MiB row): the leader is killed once its binlog file holds the first part past
 * its visible end. It restarts (its store truncates the half event, its raft log replays the parts), the new
 * leader's syncer fetches the transaction again, and every node ends with the primary's files byte for byte.
 */
class ClusterBigEventKillTest extends ClusterTestBase {

    @Test
    void killingTheLeaderBetweenPartsOfABigEventLosesNothing() throws Exception {
        int rowBytes = 100 << 20;
        try (MySqlServer primary = MySqlServer.builder(MySqlVersion.V8_0)
                .extraArgs("--max-allowed-packet=256M").start()) {
            primary.execute("CREATE DATABASE big", "CREATE TABLE big.t (id INT PRIMARY KEY, data LONGBLOB) ENGINE=MyISAM",
                    "INSERT INTO big.t VALUES (1, 'small')");
            // entries of at most 4 MiB: the event takes 25 parts, so the kill lands between two of them; the heap
            // holds the event once (the syncer's copy from the primary) plus a few entries
            cluster = ClusterHarness.create(tmp, 3, ClusterHarness.Options.tests().withJvmArgs(List.of("-Xmx512m",
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:+ExitOnOutOfMemoryError",
                    "-D" + KingbusNode.MAX_RAFT_ENTRY_PROPERTY + "=" + (4 << 20)))).startAll();
            NodeProcess leader = cluster.awaitLeader(LEADER);
            startSyncer(leader, 6201, primary);
            String small = GtidSet.parse(primary.gtidExecuted()).toString();
            cluster.await(leader + " stores the first transactions", CONVERGE,
                    () -> small.equals(SyncerLeaderKillTest.executed(leader)));

            primary.execute("INSERT INTO big.t VALUES (2, REPEAT('x', " + rowBytes + "))");
            String file = primary.binlogFiles().get(primary.binlogFiles().size() - 1).getFileName().toString();
            // the first parts are written to the leader's file, past its visible end, before the last one
            long[] unseen = new long[1];
            cluster.await(() -> leader + " holds part of the big event (" + unseen[0] + " bytes past its end)",
                    Duration.ofSeconds(120), () -> {
                        Map<String, Long> ends = ClusterHarness.storeEnds(leader);
                        Path f = leader.binlogDir().resolve(file);
                        try {
                            unseen[0] = Files.size(f) - ends.getOrDefault(file, Long.MAX_VALUE);
                        } catch (java.io.IOException e) {
                            return false;
                        }
                        return unseen[0] > (24L << 20);
                    });
            boolean between = small.equals(SyncerLeaderKillTest.executed(leader));
            leader.kill();
            System.out.printf("killed leader %s with %d bytes of the big event past its visible end (%s)%n", leader,
                    unseen[0], between ? "between parts" : "the event was complete already");
            assertThat(between).as("killed between parts").isTrue();
            NodeProcess next = cluster.awaitLeader(LEADER, cluster.nodes());
            assertThat(next).isNotEqualTo(leader);
            leader.start();

            primary.execute("INSERT INTO big.t VALUES (3, 'after')");
            String want = GtidSet.parse(primary.gtidExecuted()).toString();
            for (NodeProcess n : cluster.nodes()) {
                cluster.await(n + " to execute the primary's gtid_executed", Duration.ofSeconds(180),
                        () -> want.equals(SyncerLeaderKillTest.executed(n)));
            }
            for (NodeProcess n : cluster.nodes()) {
                SyncerLeaderKillTest.assertSameFiles(n, primary.binlogFiles(), GtidSet.parse(want));
            }
            // the killed node's store dropped the half-written event on restart (then the log replay redid it)
            assertThat(Files.readString(leader.log())).contains("binlog file " + file + ": truncated torn tail");
        }
    }
}

package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import io.kingbus.raft.TestStream.Batch;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event bigger than the largest raft entry (64 MiB by default) goes through the log in parts: three nodes end
 * with byte-identical files, and the transactions around it are stored as usual.
 */
class RaftProposalLimitsTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void anEventOverTheLargestEntryGoesInPartsToEveryNode() throws Exception {
        cluster = new TestCluster(tmp).startNew(3);
        TestNode leader = cluster.awaitLeader(WAIT);
        assertThat(leader.node.maxEventBytes()).isEqualTo(1 << 30);
        int perEntry = leader.node.maxEntryEventBytes();
        assertThat(perEntry).isEqualTo(RaftNodeConfig.DEFAULT_MAX_LARGE_ENTRY_BYTES - 8192);

        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        long before = cluster.propose(stream.transaction(2, 100));
        Batch big = TestStream.concat(List.of(stream.transaction(1, perEntry + (4 << 20)),
                stream.transaction(1, 10)));
        long last = cluster.propose(big);
        // [GTID, BEGIN, TABLE_MAP], two parts, [XID, next transaction] (members' PUBLISH_MEMBER may come between)
        assertThat(last - before).as("entries").isGreaterThanOrEqualTo(4);
        cluster.awaitApplied(last, WAIT);
        RaftReplicationTest.assertStores(cluster, stream);
        for (TestNode n : cluster.running()) {
            assertThat(n.store.executedGtids()).as("%s", n).isEqualTo(leader.store.executedGtids());
        }
    }
}

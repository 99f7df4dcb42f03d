package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import io.kingbus.raft.TestStream.Batch;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A batch with an event bigger than the largest raft entry is refused whole, before anything is proposed. */
class RaftProposalLimitsTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(30);


    @Test
    void anEventOverTheLargestEntryFailsWithItsSizeAndNothingIsProposed() throws Exception {
        cluster = new TestCluster(tmp).startNew(1);
        TestNode leader = cluster.awaitLeader(WAIT);
        TestStream stream = new TestStream(UUID.randomUUID());
        Batch start = stream.start();
        cluster.propose(start);
        long end = leader.store.lastFile().endPosition();

        int max = leader.node.maxEventBytes();
        assertThat(max).isEqualTo(RaftNodeConfig.DEFAULT_MAX_LARGE_ENTRY_BYTES - 8192);
        List<byte[]> events = new ArrayList<>(stream.transaction(1, 10).events());
        events.add(new byte[max + 1]); // its content does not matter: refused by size before any decoding
        assertThatThrownBy(() -> leader.node.proposeEvents(null, events).get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(EventTooLargeException.class)
                .hasMessageContaining((max + 1) + " bytes exceeds the largest raft entry");
        // the small transaction before it was not proposed either (the batch is refused whole)
        assertThat(leader.store.lastFile().endPosition()).as("nothing stored").isEqualTo(end);
    }
}

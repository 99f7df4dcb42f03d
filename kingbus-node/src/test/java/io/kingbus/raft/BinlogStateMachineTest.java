package io.kingbus.raft;

import io.kingbus.raft.TestStream.Batch;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The apply path without a raft group: entries handed to applyTransaction as Ratis would. */
class BinlogStateMachineTest {
    @TempDir
    Path tmp;

    /** Hands {@code data} to applyTransaction as the entry at {@code index}, as Ratis would (also for EventPartsTest). */
    static CompletableFuture<Message> apply(BinlogStateMachine sm, long index, byte[] data) {
        RaftProtos.LogEntryProto entry = RaftProtos.LogEntryProto.newBuilder()
                .setTerm(1)
                .setIndex(index)
                .setStateMachineLogEntry(RaftProtos.StateMachineLogEntryProto.newBuilder()
                        .setLogData(ByteString.copyFrom(data)))
                .build();
        TransactionContext trx = TransactionContext.newBuilder()
                .setStateMachine(sm)
                .setServerRole(RaftProtos.RaftPeerRole.FOLLOWER)
                .setLogEntry(entry)
                .build();
        return sm.applyTransaction(trx);
    }

    private static byte status(CompletableFuture<Message> f) {
        return f.join().getContent().byteAt(0);
    }

    @Test
    void appliesEventsIdempotentlySkipsConflictsAndMalformedEntries() throws Exception {
        try (BinlogStore store = BinlogStore.open(tmp.resolve("store"), StoreOptions.defaults().withFsync(false))) {
            BinlogStateMachine sm = new BinlogStateMachine(store, t -> {
                throw new AssertionError("not fatal: " + t);
            });
            TestStream s = new TestStream(UUID.randomUUID());
            Batch start = s.start();
            Batch t1 = s.transaction(2, 100);
            s.transaction(1, 10); // never applied: the next one leaves a gap
            Batch gap = s.transaction(1, 10);
            assertThat(status(apply(sm, 1, new RaftCommand.Events(start.file(), start.events()).encode())))
                    .isEqualTo(BinlogStateMachine.REPLY_OK);
            assertThat(status(apply(sm, 2, new RaftCommand.Events(t1.file(), t1.events()).encode())))
                    .isEqualTo(BinlogStateMachine.REPLY_OK);
            long size = store.sizeBytes();
            assertThat(status(apply(sm, 3, new RaftCommand.Events(t1.file(), t1.events()).encode())))
                    .isEqualTo(BinlogStateMachine.REPLY_OK);
            assertThat(store.sizeBytes()).isEqualTo(size);
            assertThat(status(apply(sm, 4, new RaftCommand.Events(gap.file(), gap.events()).encode())))
                    .isEqualTo(BinlogStateMachine.REPLY_CONFLICT);
            assertThat(status(apply(sm, 5, new byte[] {1, 2, 3}))).isEqualTo(BinlogStateMachine.REPLY_SKIPPED);
            assertThat(status(apply(sm, 6, new RaftCommand.PublishMember("n1@h_1", "http://h:2").encode())))
                    .isEqualTo(BinlogStateMachine.REPLY_OK);

            assertThat(store.sizeBytes()).isEqualTo(size);
            assertThat(store.recoveryTag()).as("the replay completed nothing new").isEqualTo(2);
            assertThat(sm.conflicts()).isEqualTo(1);
            assertThat(sm.lastAppliedIndex()).isEqualTo(6);
            assertThat(sm.adminUrls()).containsEntry("n1@h_1", "http://h:2");
            // events of entries applied without a conflict (a refused entry is counted in conflicts())
            assertThat(sm.eventsApplied()).isEqualTo(start.events().size() + 2L * t1.events().size());
        }
    }

    @Test
    void aStoreFailureHaltsTheNodeInsteadOfSkippingTheEntry() throws Exception {
        BinlogStore store = BinlogStore.open(tmp.resolve("store"), StoreOptions.defaults().withFsync(false));
        List<Throwable> fatal = new CopyOnWriteArrayList<>();
        BinlogStateMachine sm = new BinlogStateMachine(store, fatal::add);
        TestStream s = new TestStream(UUID.randomUUID());
        Batch start = s.start();
        apply(sm, 1, new RaftCommand.Events(start.file(), start.events()).encode()).join();
        store.close(); // every append fails now, as with a dead disk

        Batch t1 = s.transaction(1, 10);
        CompletableFuture<Message> f = apply(sm, 2, new RaftCommand.Events(t1.file(), t1.events()).encode());
        TestCluster.await("the fatal handler runs", Duration.ofSeconds(10), () -> !fatal.isEmpty());
        assertThat(f).as("never completed: Ratis must not move past it").isNotDone();
        assertThat(sm.failed()).isTrue();
        assertThat(sm.lastAppliedIndex()).isEqualTo(1);
        CompletableFuture<Message> next = apply(sm, 3, new RaftCommand.PublishMember("a", "b").encode());
        assertThat(next).isNotDone();
        assertThat(fatal).hasSize(1);
    }
}

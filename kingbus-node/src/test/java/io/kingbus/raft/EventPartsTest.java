package io.kingbus.raft;

import io.kingbus.gtid.Gtid;
import io.kingbus.raft.TestStream.Batch;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import org.apache.ratis.protocol.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events bigger than a raft entry go through the log in parts (EVENT_PART entries): applied in order, replayed,
 * duplicated, stale or with a gap, the stored files end byte-identical to the primary's, and no reader sees the
 * event's transaction before its last part.
 */
class EventPartsTest {
    /** Parts of 256 KiB: the big row event below (700 KB) takes three. */
    private static final int PART = 256 << 10;
    private static final int ROW = 700_000;

    @TempDir
    Path tmp;

    /** The entries of a stream: start, a small transaction, one with a big row event, another small one. */
    private record Stream(TestStream s, List<RaftCommand> before, List<RaftCommand> big, List<RaftCommand> after,
                          Gtid bigGtid) {
        List<RaftCommand> all() {
            List<RaftCommand> out = new ArrayList<>(before);
            out.addAll(big);
            out.addAll(after);
            return out;
        }
    }

    private static Stream stream() {
        UUID sid = UUID.randomUUID();
        TestStream s = new TestStream(sid);
        Batch start = s.start();
        Batch t1 = s.transaction(2, 100);
        Batch t2 = s.transaction(1, ROW);
        Batch t3 = s.transaction(1, 50);
        List<RaftCommand> before = new ArrayList<>(entries(start));
        before.addAll(entries(t1));
        return new Stream(s, before, entries(t2), entries(t3), new Gtid(sid, 2));
    }

    private static List<RaftCommand> entries(Batch b) {
        return RaftCommand.commands(b.file(), b.events(), 1 << 20, PART);
    }

    private static BinlogStore open(Path dir) throws IOException {
        return BinlogStore.open(dir, StoreOptions.defaults().withFsync(false));
    }

    private static BinlogStateMachine machine(BinlogStore store) {
        return new BinlogStateMachine(store, t -> {
            throw new AssertionError("not fatal: " + t);
        });
    }

    /** Applies one command as Ratis would (through its wire form); returns the reply status. */
    private static byte apply(BinlogStateMachine sm, long index, RaftCommand c) {
        Message m = BinlogStateMachineTest.apply(sm, index, c.encode()).join();
        return m.getContent().byteAt(0);
    }

    private static void assertFiles(Path storeDir, TestStream s) throws IOException {
        for (Map.Entry<String, byte[]> e : s.expectedFiles().entrySet()) {
            byte[] actual = Files.readAllBytes(storeDir.resolve("binlog").resolve(e.getKey()));
            assertThat(actual.length).as("size of %s", e.getKey()).isEqualTo(e.getValue().length);
            assertThat(actual).as("bytes of %s", e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void partsAppliedInOrderAreInvisibleUntilTheLastOneThenByteIdentical() throws Exception {
        Stream st = stream();
        assertThat(st.big().stream().filter(c -> c instanceof RaftCommand.EventPart).count()).isEqualTo(3);
        assertThat(st.big().get(0)).isInstanceOf(RaftCommand.Events.class); // GTID, BEGIN, TABLE_MAP
        Path dir = tmp.resolve("store");
        try (BinlogStore store = open(dir)) {
            BinlogStateMachine sm = machine(store);
            long index = 0;
            for (RaftCommand c : st.before()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            long visible = store.lastFile().endPosition();
            long tagBefore = store.recoveryTag();
            for (RaftCommand c : st.big()) {
                boolean complete = c == st.big().get(st.big().size() - 1);
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
                if (!complete) {
                    assertThat(store.lastFile().endPosition()).as("visible end after %s", c).isEqualTo(visible);
                    assertThat(store.executedGtids().contains(st.bigGtid())).isFalse();
                    assertThat(store.locate(st.bigGtid())).isNull();
                    // a snapshot here could not drop the entries of the unfinished transaction
                    assertThat(store.recoveryTag()).isEqualTo(tagBefore);
                }
            }
            assertThat(store.executedGtids().contains(st.bigGtid())).isTrue();
            assertThat(store.lastFile().endPosition()).isGreaterThan(visible + ROW);
            for (RaftCommand c : st.after()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertThat(sm.conflicts()).isZero();
            assertFiles(dir, st.s());

            // the whole log again (a replay from the start): no-ops by position
            long size = store.sizeBytes();
            for (RaftCommand c : st.all()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertThat(store.sizeBytes()).isEqualTo(size);
            assertThat(sm.conflicts()).isZero();
        }
        try (BinlogStore store = open(dir)) { // and after a clean reopen
            assertFiles(dir, st.s());
        }
    }

    @Test
    void everyEntryAppliedTwiceStoresTheSameBytes() throws Exception {
        Stream st = stream();
        Path dir = tmp.resolve("store");
        try (BinlogStore store = open(dir)) {
            BinlogStateMachine sm = machine(store);
            long index = 0;
            for (RaftCommand c : st.all()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertThat(sm.conflicts()).isZero();
            assertFiles(dir, st.s());
        }
    }

    /**
     * A node stops (the store is closed with the event half written, as a kill leaves it) between parts; on restart
     * the store truncates the partial tail and the log replays from the snapshot index the state machine would
     * have chosen (recovery tag - 1): the parts are all still there and the files end identical.
     */
    @Test
    void aRestartBetweenPartsReplaysFromTheRecoveryTag() throws Exception {
        Stream st = stream();
        List<RaftCommand> log = st.all();
        Path dir = tmp.resolve("store");
        int stopAfter = st.before().size() + 2; // GTID..TABLE_MAP and the first part applied
        long tag;
        try (BinlogStore store = open(dir)) {
            BinlogStateMachine sm = machine(store);
            for (int i = 0; i < stopAfter; i++) {
                apply(sm, i + 1, log.get(i));
            }
            tag = store.recoveryTag();
        }
        long onDisk = Files.size(dir.resolve("binlog").resolve(st.s().currentFile()));
        try (BinlogStore store = open(dir)) {
            long visible = store.lastFile().endPosition();
            assertThat(Files.size(dir.resolve("binlog").resolve(st.s().currentFile())))
                    .as("the half-stored event is truncated").isEqualTo(visible).isLessThan(onDisk - PART + 1);
            assertThat(store.recoveryTag()).isEqualTo(tag);
            // Ratis replays every entry after the snapshot marker; the marker is at most recoveryTag - 1
            assertThat(tag).isLessThanOrEqualTo(st.before().size());
            BinlogStateMachine sm = machine(store);
            for (long index = tag; index <= log.size(); index++) {
                assertThat(apply(sm, index, log.get((int) index - 1))).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertThat(sm.conflicts()).isZero();
            assertFiles(dir, st.s());
        }
    }

    /**
     * A deposed leader's parts: the old leader committed the transaction's start and one part; the new leader's
     * syncer resumes from the executed set and sends the whole transaction again, which restarts it; a late stale
     * part after that is a no-op, and a part that leaves a gap is refused identically everywhere.
     */
    @Test
    void staleAndOutOfOrderPartsAreDeterministic() throws Exception {
        Stream st = stream();
        Path dir = tmp.resolve("store");
        try (BinlogStore store = open(dir)) {
            BinlogStateMachine sm = machine(store);
            long index = 0;
            for (RaftCommand c : st.before()) {
                apply(sm, ++index, c);
            }
            long visible = store.lastFile().endPosition();
            // the old leader: the start and part 0; then a part that skips part 1 (a gap): refused, nothing visible
            apply(sm, ++index, st.big().get(0));
            apply(sm, ++index, st.big().get(1));
            assertThat(apply(sm, ++index, st.big().get(3))).isEqualTo(BinlogStateMachine.REPLY_CONFLICT);
            assertThat(store.lastFile().endPosition()).isEqualTo(visible);
            // the first part again restarts the event (a resend of the event alone)
            assertThat(apply(sm, ++index, st.big().get(1))).isEqualTo(BinlogStateMachine.REPLY_OK);
            // the new leader resends the whole transaction from its GTID
            for (RaftCommand c : st.big()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertThat(store.executedGtids().contains(st.bigGtid())).isTrue();
            long size = store.sizeBytes();
            // a stale part arriving after the event is stored: skipped by position
            assertThat(apply(sm, ++index, st.big().get(2))).isEqualTo(BinlogStateMachine.REPLY_OK);
            assertThat(store.sizeBytes()).isEqualTo(size);
            for (RaftCommand c : st.after()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertThat(sm.conflicts()).isEqualTo(1);
            assertFiles(dir, st.s());
        }
    }

    /** A part whose bytes were damaged is refused when the checksum over all parts does not match. */
    @Test
    void aDamagedPartFailsTheEventsChecksumAndIsDiscarded() throws Exception {
        Stream st = stream();
        Path dir = tmp.resolve("store");
        try (BinlogStore store = open(dir)) {
            BinlogStateMachine sm = machine(store);
            long index = 0;
            for (RaftCommand c : st.before()) {
                apply(sm, ++index, c);
            }
            apply(sm, ++index, st.big().get(0));
            apply(sm, ++index, st.big().get(1));
            RaftCommand.EventPart middle = (RaftCommand.EventPart) st.big().get(2);
            ByteBuffer copy = ByteBuffer.allocate(middle.dataLength()).put(middle.data()).flip();
            copy.put(100, (byte) (copy.get(100) ^ 1));
            apply(sm, ++index, new RaftCommand.EventPart(middle.file(), middle.header(), middle.offset(), copy));
            long written = Files.size(dir.resolve("binlog").resolve(st.s().currentFile()));
            assertThat(apply(sm, ++index, st.big().get(3))).isEqualTo(BinlogStateMachine.REPLY_CONFLICT);
            assertThat(Files.size(dir.resolve("binlog").resolve(st.s().currentFile())))
                    .as("the event's bytes are dropped").isLessThan(written - PART);
            assertThat(store.executedGtids().contains(st.bigGtid())).isFalse();
            // the resend from the GTID stores it
            for (RaftCommand c : st.big()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            for (RaftCommand c : st.after()) {
                assertThat(apply(sm, ++index, c)).isEqualTo(BinlogStateMachine.REPLY_OK);
            }
            assertFiles(dir, st.s());
        }
    }

    @Test
    void partsRoundTripThroughTheWireForm() {
        byte[] header = new byte[19];
        header[9] = 100; // an event of 100 bytes
        RaftCommand.EventPart p = new RaftCommand.EventPart("mysql-bin.000001", header, 40,
                ByteBuffer.wrap(new byte[60], 0, 60));
        RaftCommand.EventPart back = (RaftCommand.EventPart) RaftCommand.decode(p.encode());
        assertThat(back.file()).isEqualTo(p.file());
        assertThat(back.header()).isEqualTo(header);
        assertThat(back.offset()).isEqualTo(40);
        assertThat(back.data()).isEqualTo(p.data());
        assertThat(back.last()).isTrue();
        RaftCommand.EventPart outside = new RaftCommand.EventPart("f", header, 50, ByteBuffer.wrap(new byte[60]));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RaftCommand.decode(outside.encode()))
                .isInstanceOf(RaftCommandFormatException.class).hasMessageContaining("outside its event");
    }
}

package io.kingbus.store;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.GtidSet;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The child process of {@link BinlogStoreKillTest}: opens the store (fsync off), has the deterministic primary
 * stream of {@code seed} resend what the store lacks, prints {@code READY}, then appends new transactions in
 * random batches forever, printing {@code ACK uuid:gno} once the append that completed a transaction returned.
 * The parent kills it with SIGKILL. In {@code tag} mode it resumes as a raft state machine does instead: the
 * same deterministic batches, tagged with their index, re-applied from the store's recovery tag on.
 *
 * <p>Usage: {@code StoreCrashChild <storeDir> <seed> <CRC32|OFF> [gtid|tag]}
 */
public final class StoreCrashChild {
    static final UUID SID = UUID.fromString("c0ffee00-71ca-11e1-9e33-c80aa9429562");

    private StoreCrashChild() {
    }

    /** The primary's stream, generated (deterministically) until it covers what the store holds. */
    static PrimaryStream streamCovering(BinlogStore store, long seed, ChecksumType c, Random gen) {
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        GtidSet have = store.executedGtids();
        BinlogFileInfo last = store.lastFile();
        while (!s.executed().containsAll(have) || (last != null && (!s.fileNames().contains(last.name())
                || s.fileLength(last.name()) < last.endPosition()))) {
            s.randomStep(gen);
        }
        return s;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        // as a node does: RocksDB's default is a temp file per process, which the kill would leave in /tmp
        RocksDbLibrary.loadFrom(dir.resolveSibling("native"));
        long seed = Long.parseLong(args[1]);
        ChecksumType c = ChecksumType.valueOf(args[2]);
        boolean byTag = args.length > 3 && args[3].equals("tag");
        PrintStream out = System.out;
        try (BinlogStore store = BinlogStore.open(dir, StoreOptions.defaults().withFsync(false))) {
            if (byTag) {
                replayFromRecoveryTag(store, seed, c, out);
            }
            Random batching = new Random(System.nanoTime());
            long tag = System.currentTimeMillis();
            Random gen = new Random(seed);
            PrimaryStream s = streamCovering(store, seed, c, gen);
            appendAcked(store, s.dumpFrom(store.executedGtids()), batching, tag++, out);
            out.println("READY");
            out.flush();
            while (true) {
                int mark = s.eventCount();
                s.randomStep(gen);
                List<PrimaryStream.StreamEvent> fresh = s.eventsFrom(mark);
                tag = appendAcked(store, fresh, batching, tag, out);
            }
        }
    }

    /**
     * As a raft state machine restarts: the batches are the same every time (deterministic stream and batching),
     * tagged with their index; those from the store's recovery tag on are applied again, then new ones.
     */
    private static void replayFromRecoveryTag(BinlogStore store, long seed, ChecksumType c, PrintStream out) {
        long from = store.recoveryTag();
        Random gen = new Random(seed);
        Random batching = new Random(~seed);
        PrimaryStream s = new PrimaryStream(SID, c);
        s.start();
        long tag = 0;
        boolean ready = false;
        int mark = 0;
        while (true) {
            for (PrimaryStream.Batch b : PrimaryStream.randomBatches(s.eventsFrom(mark), batching, 6)) {
                if (tag >= from) {
                    store.append(b.file(), b.events(), tag);
                    ack(b.events(), s.eventsFrom(mark), out);
                    if (!ready) {
                        out.println("READY");
                        ready = true;
                    }
                    out.flush();
                }
                tag++;
            }
            mark = s.eventCount();
            s.randomStep(gen);
        }
    }

    private static void ack(List<byte[]> batch, List<PrimaryStream.StreamEvent> events, PrintStream out) {
        for (PrimaryStream.StreamEvent e : events) {
            if (e.completes() && e.gtid() != null && containsSame(batch, e.bytes())) {
                out.println("ACK " + e.gtid());
            }
        }
    }

    private static long appendAcked(BinlogStore store, List<PrimaryStream.StreamEvent> events, Random batching,
                                    long tag, PrintStream out) {
        for (PrimaryStream.Batch b : PrimaryStream.randomBatches(events, batching, 6)) {
            store.append(b.file(), b.events(), tag++);
            ack(b.events(), events, out); // the GTIDs this batch completed are acknowledged now
            out.flush();
        }
        return tag;
    }

    private static boolean containsSame(List<byte[]> batch, byte[] event) {
        for (byte[] b : batch) {
            if (b == event) {
                return true;
            }
        }
        return false;
    }
}

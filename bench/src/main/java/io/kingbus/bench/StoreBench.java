package io.kingbus.bench;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.GtidSet;
import io.kingbus.store.BinlogReader;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Binlog store throughput: append (batched, fsync per batch on and off) and sequential read, beside the
 * raw sequential write and fsync speed of the same disk.
 */
public final class StoreBench {
    private static final ChecksumType CRC = ChecksumType.CRC32;
    private static final String FILE = "mysql-bin.000001";

    public static void main(String[] args) throws Exception {
        int transactions = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path root = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")).toAbsolutePath(),
                "store-bench");
        try {
            run(root, transactions);
        } finally {
            deleteTree(root);
        }
    }

    static void run(Path root, int transactions) throws IOException, InterruptedException {
        System.out.printf("Store benchmark: %,d transactions of 5 events (GTID, BEGIN, TABLE_MAP, WRITE_ROWS 200 B, XID), "
                + "CRC32, dir %s%n%n", transactions, root);
        List<byte[]> events = workload(transactions);
        long bytes = events.stream().mapToLong(e -> e.length).sum();

        // Warm the JIT up on a throwaway store so the first measured row is not the slowest by accident.
        Path warm = root.resolve("warm-up");
        append(warm, workload(Math.min(transactions, 50_000)), 64 << 10, false);
        deleteTree(warm);

        Table t = new Table("measurement", "batch", "events/s", "trx/s", "MB/s", "notes");
        Disk disk = Disk.measure(root.resolve("raw"), 256L << 20);
        t.row("raw sequential write", "1 MiB", "-", "-", Table.f1(disk.writeMBps),
                "256 MiB, page cache, then one fsync");
        t.row("raw write+fsync", "64 KiB", "-", "-", Table.f1(disk.fsyncMBps),
                Table.f0(disk.fsyncPerSec) + " fsync/s of 64 KiB appends");
        for (int batchBytes : new int[] {16 << 10, 64 << 10, 1 << 20}) {
            for (boolean fsync : new boolean[] {true, false}) {
                Path dir = root.resolve("store-" + batchBytes + "-" + fsync);
                double seconds = append(dir, events, batchBytes, fsync);
                t.row("store append" + (fsync ? " (fsync per batch)" : " (no fsync)"), kib(batchBytes),
                        Table.f0(events.size() / seconds), Table.f0(transactions / seconds),
                        Table.f1(bytes / seconds / 1e6), "");
                if (batchBytes == 64 << 10 && !fsync) {
                    double[] read = read(dir, events.size());
                    t.row("store read (GTID seek from empty set)", "-", Table.f0(read[0]),
                            Table.f0(read[0] / 5), Table.f1(read[1] / 1e6), "checksum verified per event");
                }
                deleteTree(dir);
            }
        }
        t.print();
    }

    private static String kib(int bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : (bytes >> 10) + " KiB";
    }

    /** A primary's stream: fake rotate, FDE, PREVIOUS_GTIDS, then small row transactions. */
    static List<byte[]> workload(int transactions) {
        UUID sid = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
        List<byte[]> out = new ArrayList<>(transactions * 5 + 3);
        out.add(RotateEvent.fake(1, FILE, 4, CRC).bytes());
        long pos = 4;
        pos = add(out, p -> TestEvents.fde("8.0.15", CRC, p), pos);
        pos = add(out, p -> TestEvents.previousGtids(GtidSet.empty(), p, CRC), pos);
        for (long gno = 1; gno <= transactions; gno++) {
            final long g = gno;
            pos = add(out, p -> TestEvents.gtid(sid, g, p, CRC), pos);
            pos = add(out, p -> TestEvents.query("", "BEGIN", p, CRC), pos);
            pos = add(out, p -> TestEvents.tableMap(108, "shop", "orders", p, CRC), pos);
            pos = add(out, p -> TestEvents.writeRows(108, 200, true, p, CRC), pos);
            pos = add(out, p -> TestEvents.xid(g, p, CRC), pos);
        }
        return out;
    }

    private static long add(List<byte[]> out, TestEvents.Builder b, long pos) {
        long end = pos + b.at(0).length();
        out.add(b.at(end).bytes());
        return end;
    }

    private static double append(Path dir, List<byte[]> events, int batchBytes, boolean fsync) throws IOException {
        try (BinlogStore store = BinlogStore.open(dir, StoreOptions.defaults().withFsync(fsync))) {
            long start = System.nanoTime();
            List<byte[]> batch = new ArrayList<>();
            int size = 0;
            long tag = 0;
            for (byte[] e : events) {
                batch.add(e);
                size += e.length;
                if (size >= batchBytes) {
                    store.append(FILE, batch, ++tag);
                    batch = new ArrayList<>();
                    size = 0;
                }
            }
            store.append(FILE, batch, ++tag);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static double[] read(Path dir, int expected) throws IOException, InterruptedException {
        try (BinlogStore store = BinlogStore.open(dir, StoreOptions.defaults());
             BinlogReader reader = store.openReader(GtidSet.empty())) {
            long start = System.nanoTime();
            long n = 0;
            long bytes = 0;
            PositionedEvent e;
            while ((e = reader.poll()) != null) {
                n++;
                bytes += e.event().length();
            }
            double s = (System.nanoTime() - start) / 1e9;
            if (n != expected - 1) { // the fake rotate is not stored
                throw new IllegalStateException("read " + n + " events, expected " + (expected - 1));
            }
            return new double[] {n / s, bytes / s};
        }
    }

    /** Raw speed of the disk under the bench directory. */
    record Disk(double writeMBps, double fsyncMBps, double fsyncPerSec) {
        static Disk measure(Path file, long total) throws IOException {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            while (chunk.hasRemaining()) {
                chunk.put((byte) 'k');
            }
            double write;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                long start = System.nanoTime();
                for (long done = 0; done < total; done += chunk.capacity()) {
                    chunk.rewind();
                    while (chunk.hasRemaining()) {
                        ch.write(chunk);
                    }
                }
                ch.force(false);
                write = total / ((System.nanoTime() - start) / 1e9) / 1e6;
            }
            Files.delete(file);
            ByteBuffer small = ByteBuffer.allocateDirect(64 << 10);
            int rounds = 300;
            double fsyncSeconds;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                long start = System.nanoTime();
                for (int i = 0; i < rounds; i++) {
                    small.rewind();
                    ch.write(small);
                    ch.force(false);
                }
                fsyncSeconds = (System.nanoTime() - start) / 1e9;
            }
            Files.delete(file);
            return new Disk(write, rounds * (64 << 10) / fsyncSeconds / 1e6, rounds / fsyncSeconds);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private StoreBench() {
    }

}

package io.kingbus.store;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.kingbus.store.StoreAssertions.FAST;
import static io.kingbus.store.StoreAssertions.appendAll;
import static io.kingbus.store.StoreAssertions.assertSameBytes;
import static io.kingbus.store.StoreAssertions.assertStoreEquals;
import static io.kingbus.store.StoreAssertions.binlogFile;
import static io.kingbus.store.StoreAssertions.completeGtidsOnDisk;
import static io.kingbus.store.StoreAssertions.drain;
import static io.kingbus.store.StoreAssertions.gtids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of a process appending with fsync off: nothing acknowledged is lost, the index agrees with the files,
 * every stored checksum verifies, and the store continues.
 */
class BinlogStoreKillTest {
    private static final int ROUNDS = 5;

    @TempDir
    Path dir;

    /** The writer resumes from the store's executed set (a GTID dump), checksums CRC32. */
    @Test
    void killedWriterResumingByGtidLosesNothingAcknowledged() throws Exception {
        killRounds(20240611L, ChecksumType.CRC32, "gtid");
    }

    /** The writer resumes by re-applying its batches from the store's recovery tag, checksums OFF. */
    @Test
    void killedWriterReplayingFromTheRecoveryTagLosesNothingAcknowledged() throws Exception {
        killRounds(777L, ChecksumType.OFF, "tag");
    }

    private void killRounds(long seed, ChecksumType c, String mode) throws Exception {
        Path store = dir.resolve("store");
        classpath = snapshotClasspath();
        Random random = new Random(seed);
        GtidSet acked = GtidSet.empty();
        for (int round = 0; round < ROUNDS; round++) {
            long runFor = 30 + random.nextInt(600);
            List<String> lines;
            try {
                lines = runAndKill(store, seed, c, mode, runFor, round);
            } catch (ClassesMissing e) { // a concurrent build removed class files before the copy: copy again
                classpath = snapshotClasspath();
                lines = runAndKill(store, seed, c, mode, runFor, round);
            }
            GtidSet roundAcks = GtidSet.empty();
            for (String line : lines) {
                if (line.startsWith("ACK ") && line.length() > 40) {
                    try {
                        roundAcks.add(Gtid.parse(line.substring(4)));
                    } catch (IllegalArgumentException torn) {
                        // a line cut by the kill: not an acknowledgement
                    }
                }
            }
            acked.addAll(roundAcks);
            verify(store, seed, c, acked, round);
        }
        assertThat(acked.count()).as("transactions acknowledged by the children").isGreaterThan(100);
        // the parent takes over and appends more: the store ends byte-identical to the primary's stream
        try (BinlogStore s = BinlogStore.open(store, FAST)) {
            Random gen = new Random(seed);
            PrimaryStream stream = StoreCrashChild.streamCovering(s, seed, c, gen);
            // (the dump is asked for before the primary moves on: a GTID dump that starts after a rotation the
            // store has not seen would never deliver the ROTATE ending the store's last file)
            appendAll(s, PrimaryStream.batches(stream.dumpFrom(s.executedGtids()), 5));
            for (int i = 0; i < 50; i++) {
                int mark = stream.eventCount();
                stream.randomStep(gen);
                appendAll(s, PrimaryStream.batches(stream.eventsFrom(mark), 3));
            }
            assertStoreEquals(s, store, stream);
        }
    }

    private String classpath;

    /**
     * The test classpath with its directories (target/classes, target/test-classes) copied: the children load
     * classes lazily, and a concurrent build recompiling those directories must not pull classes from under them.
     * A copy taken while such a build had deleted class files is taken again.
     */
    private String snapshotClasspath() throws Exception {
        for (int attempt = 0; ; attempt++) {
            List<String> entries = new ArrayList<>();
            List<Path> copies = new ArrayList<>();
            for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
                Path p = Path.of(entry);
                if (Files.isDirectory(p)) {
                    Path copy = dir.resolve("cp" + attempt + "-" + copies.size());
                    BinlogStoreRecoveryTest.copyDir(p, copy);
                    copies.add(copy);
                    entries.add(copy.toString());
                } else {
                    entries.add(entry);
                }
            }
            if (complete(copies) || attempt == 20) {
                return String.join(java.io.File.pathSeparator, entries);
            }
            Thread.sleep(500);
        }
    }

    /** The classes a child needs are all there (a crude check: one per package and the child's own). */
    private static boolean complete(List<Path> copies) {
        for (Class<?> c : List.of(StoreCrashChild.class, PrimaryStream.class, BinlogStore.class, StoreOptions.class,
                BinlogReader.class, StoreIndex.class, io.kingbus.binlog.TestEvents.class,
                io.kingbus.binlog.BinlogEvent.class, io.kingbus.binlog.TransactionTracker.class, GtidSet.class)) {
            String file = c.getName().replace('.', '/') + ".class";
            if (copies.stream().noneMatch(d -> Files.exists(d.resolve(file)))) {
                return false;
            }
        }
        return true;
    }

    /** Runs the child until it has appended for a while, then kills it; returns its stdout lines. */
    private List<String> runAndKill(Path store, long seed, ChecksumType c, String mode, long afterReadyMillis,
                                    int round)
            throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("child-" + mode + "-" + round + ".log");
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classpath, StoreCrashChild.class.getName(),
                store.toString(), String.valueOf(seed), c.name(), mode)
                .redirectError(log.toFile());
        Process p = pb.start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch ready = new CountDownLatch(1);
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                    if (line.equals("READY")) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                // the process died
            }
        }, "child-stdout");
        pump.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean started = false;
            while (!started && p.isAlive() && System.nanoTime() < deadline) {
                started = ready.await(50, TimeUnit.MILLISECONDS);
            }
            started |= ready.await(500, TimeUnit.MILLISECONDS); // READY printed just before a crash
            if (!started && tail(log).contains("NoClassDefFoundError")) {
                throw new ClassesMissing();
            }
            assertThat(started).as("child ready (round %d); its log:\n%s", round, tail(log)).isTrue();
            Thread.sleep(afterReadyMillis);
            assertThat(p.isAlive()).as("child alive before the kill (round %d); its log:\n%s", round, tail(log))
                    .isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        pump.join(10_000);
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    private static final class ClassesMissing extends Exception {
    }

    private static String tail(Path log) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 30), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void verify(Path storeDir, long seed, ChecksumType c, GtidSet acked, int round) throws IOException {
        long sizeBefore = 0;
        try (java.util.stream.Stream<Path> files = Files.list(storeDir.resolve("binlog"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                sizeBefore += Files.size(f);
            }
        }
        try (BinlogStore store = BinlogStore.open(storeDir, FAST)) {
            GtidSet executed = store.executedGtids();
            assertThat(executed.containsAll(acked)).as("round %d: acknowledged %s, executed %s, missing %s", round,
                    acked, executed, acked.subtract(executed)).isTrue();
            List<String> names = store.files().stream().map(BinlogFileInfo::name).toList();
            System.out.printf("%s round %d: %d acknowledged, %d executed, %d files, %d bytes dropped by recovery%n",
                    storeDir, round, acked.count(), executed.count(), names.size(), sizeBefore - store.sizeBytes());
            // the files hold exactly the indexed transactions (read with the codec: every checksum verified)
            List<Gtid> onDisk = new ArrayList<>();
            GtidSet diskSet = completeGtidsOnDisk(storeDir, names, onDisk);
            assertThat(diskSet).as("round %d: complete transactions in the files", round).isEqualTo(executed);
            long total = 0;
            for (BinlogFileInfo f : store.files()) {
                assertThat(Files.size(binlogFile(storeDir, f.name()))).as("round %d: size of %s", round, f.name())
                        .isEqualTo(f.endPosition());
                total += f.endPosition();
            }
            assertThat(store.sizeBytes()).isEqualTo(total);
            assertThat(store.files().stream().mapToLong(BinlogFileInfo::transactions).sum()).isEqualTo(onDisk.size());
            try (BinlogReader r = store.openReader(GtidSet.empty())) {
                assertThat(gtids(drain(r))).containsExactlyElementsOf(onDisk);
            }
            for (Gtid g : onDisk) {
                assertThat(store.locate(g)).isNotNull();
            }
            // and every file is what the primary wrote (the last one up to where the store got)
            PrimaryStream stream = StoreCrashChild.streamCovering(store, seed, c, new Random(seed));
            for (BinlogFileInfo f : store.files()) {
                byte[] expected = stream.expectedFile(f.name());
                byte[] actual = Files.readAllBytes(binlogFile(storeDir, f.name()));
                assertSameBytes(f.name(), actual, f.name().equals(stream.currentFile())
                        ? java.util.Arrays.copyOf(expected, actual.length) : expected);
            }
        }
    }
}

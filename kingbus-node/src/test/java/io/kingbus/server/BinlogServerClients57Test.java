package io.kingbus.server;

import io.kingbus.store.BinlogFileInfo;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * mysql-binlog-connector-java and MariaDB's mariadb-binlog against a real 5.7.22 primary and against kingbus serving
 * its binlog (mariadb-binlog refuses 8.0 servers, so it is tested with 5.7-shaped ones).
 */
class BinlogServerClients57Test extends ClientsTestBase {
    private static final Logger log = LoggerFactory.getLogger(BinlogServerClients57Test.class);

    BinlogServerClients57Test() {
        super(MySqlVersion.V5_7);
    }

    @Test
    void mariadbBinlogRawByFileReadsTheSameFiles() throws Exception {
        String first = store.files().get(0).name();
        Path real = dir.resolve("raw-primary");
        Path ours = dir.resolve("raw-kingbus");
        Files.createDirectories(real);
        Files.createDirectories(ours);
        Result r1 = mariadbBinlog(primary.port(), MySqlServer.USER, "", List.of("--raw", "--to-last-log",
                "--result-file=" + real + "/", first), Duration.ofSeconds(60));
        Result r2 = mariadbBinlog(server.port(), USER, PASSWORD, List.of("--raw", "--to-last-log",
                "--result-file=" + ours + "/", first), Duration.ofSeconds(60));
        assertThat(r1.exit()).as(r1.stderr()).isZero();
        assertThat(r2.exit()).as(r2.stderr()).isZero();
        List<String> names = store.files().stream().map(BinlogFileInfo::name).toList();
        for (String name : names) {
            byte[] a = Files.readAllBytes(real.resolve(name));
            byte[] b = Files.readAllBytes(ours.resolve(name));
            assertThat(b.length).as("size of %s", name).isEqualTo(a.length);
            assertThat(b).as("bytes of %s", name).isEqualTo(a);
        }
        try (var s = Files.list(ours)) {
            assertThat(s.count()).isEqualTo(names.size());
        }
    }

    @Test
    void mariadbBinlogTextFromAPositionIsTheSame() throws Exception {
        BinlogFileInfo second = store.files().get(1);
        StoredPositions p = StoredPositions.of(store, second.name());
        long mid = p.transactionStarts().get(p.transactionStarts().size() / 3);
        List<String> args = List.of("--start-position=" + mid, second.name());
        Result real = mariadbBinlog(primary.port(), MySqlServer.USER, "", args, Duration.ofSeconds(60));
        Result ours = mariadbBinlog(server.port(), USER, PASSWORD, args, Duration.ofSeconds(60));
        assertThat(real.exit()).as(real.stderr()).isZero();
        assertThat(ours.exit()).as(ours.stderr()).isZero();
        assertThat(real.stdout()).contains("# at " + mid);
        assertThat(ours.stdout()).isEqualTo(real.stdout());
    }

    @Test
    void mariadbBinlogStopNeverFollowsTheStore() throws Exception {
        Path out = dir.resolve("raw-stop-never");
        Files.createDirectories(out);
        String first = store.files().get(0).name();
        List<String> cmd = command(server.port(), USER, PASSWORD, List.of("--raw", "--stop-never",
                "--stop-never-slave-server-id=777", "--result-file=" + out + "/", first));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stop-never.log").toFile()).start();
        try {
            // while it follows: more transactions (and a new file) reach the store
            Thread.sleep(500);
            Workloads.mixed(primary, 8, false);
            Workloads.small(primary, 8, 25);
            feeder.sync();
            BinlogFileInfo last = store.lastFile();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && !(Files.exists(out.resolve(last.name()))
                    && Files.size(out.resolve(last.name())) == last.endPosition())) {
                Thread.sleep(50);
            }
            assertThat(proc.isAlive()).as("mariadb-binlog --stop-never is still waiting").isTrue();
            assertThat(server.status().slaves()).extracting(BinlogServerStatus.ReplicaStatus::serverId).contains(777L);
        } finally {
            proc.destroy();
            proc.waitFor(10, TimeUnit.SECONDS);
        }
        // what it wrote is the primary's binlog, as the primary itself serves it
        Path real = dir.resolve("raw-primary-after");
        Files.createDirectories(real);
        Result r = mariadbBinlog(primary.port(), MySqlServer.USER, "", List.of("--raw", "--to-last-log",
                "--result-file=" + real + "/", first), Duration.ofSeconds(60));
        assertThat(r.exit()).as(r.stderr()).isZero();
        for (BinlogFileInfo f : store.files()) {
            assertThat(Files.readAllBytes(out.resolve(f.name()))).as("bytes of %s", f.name())
                    .isEqualTo(Files.readAllBytes(real.resolve(f.name())));
        }
        log.info("mariadb-binlog --stop-never followed {} files", store.files().size());
    }

    record Result(int exit, String stdout, String stderr) {
    }

    private List<String> command(int port, String user, String password, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("mariadb-binlog", "--no-defaults", "--read-from-remote-server",
                "--host=127.0.0.1", "--port=" + port, "--user=" + user));
        if (!password.isEmpty()) {
            cmd.add("--password=" + password);
        }
        cmd.addAll(args);
        return cmd;
    }

    private Result mariadbBinlog(int port, String user, String password, List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        Path stdout = Files.createTempFile(dir, "mb-out", ".txt");
        Path stderr = Files.createTempFile(dir, "mb-err", ".txt");
        Process p = new ProcessBuilder(command(port, user, password, args)).redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("mariadb-binlog did not finish within " + timeout);
        }
        return new Result(p.exitValue(), Files.readString(stdout, StandardCharsets.ISO_8859_1),
                Files.readString(stderr, StandardCharsets.ISO_8859_1));
    }
}

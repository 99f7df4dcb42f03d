package io.kingbus.testkit;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A kill -9 of the JVM skips shutdown hooks: the watchdog must still take mysqld (and its temp dir) down. */
class OrphanTest {

    /** The child JVM: starts a server, reports it, then waits to be killed. */
    public static void main(String[] args) throws Exception {
        MySqlServer s = MySqlServer.start(MySqlVersion.V5_7);
        long pid = ProcessHandle.current().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/mysqld")).orElse(false))
                .findFirst().orElseThrow().pid();
        System.out.println("READY " + pid + " " + s.dataDir());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    @Test
    void mysqldDiesWithTheJvm() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                OrphanTest.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            String line;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                do {
                    line = r.readLine();
                } while (line != null && !line.startsWith("READY "));
            }
            assertThat(line).as("child JVM reported a running server").isNotNull();
            String[] parts = line.split(" ");
            ProcessHandle mysqld = ProcessHandle.of(Long.parseLong(parts[1])).orElseThrow();
            Path dataDir = Path.of(parts[2]);
            assertThat(dataDir).isDirectory();

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor(10, TimeUnit.SECONDS);

            mysqld.onExit().get(10, TimeUnit.SECONDS);
            assertThat(mysqld.isAlive()).isFalse();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (dataDir.getParent().toFile().exists() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(dataDir.getParent()).doesNotExist();
        } finally {
            child.destroyForcibly();
        }
    }
}

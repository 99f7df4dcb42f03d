package io.kingbus.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RocksDB unpacks its 17 MB JNI library to a new temp file per JVM and removes it only on a clean exit: every node
 * killed with kill -9 used to leave one in /tmp (thousands over a day of tests and benches). A node unpacks it under
 * its data directory, under one name that the next start reuses.
 */
class NodeNativeLibraryTest {
    @Test
    void aKilledNodeLeavesNoCopyOfRocksDbsLibraryInTheTempDirectory(@TempDir Path root) throws Exception {
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        List<String> jvm = new ArrayList<>(ClusterHarness.Options.tests().jvmArgs());
        jvm.add("-Djava.io.tmpdir=" + tmp);
        try (ClusterHarness cluster = ClusterHarness.create(root.resolve("cluster"), 1,
                ClusterHarness.Options.tests().withJvmArgs(jvm))) {
            NodeProcess node = cluster.nodes().get(0);
            for (int start = 0; start < 2; start++) {
                node.start();
                cluster.awaitLeader(Duration.ofSeconds(60));
                assertThat(node.storeOrNull()).as("the store is open").isNotNull();
                node.kill();
            }
            assertThat(libraries(tmp)).as("RocksDB libraries left in the temp directory").isEmpty();
            assertThat(libraries(node.dataDir().resolve("native"))).hasSize(1);
        }
    }

    private static List<String> libraries(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("librocksdbjni")).toList();
        }
    }
}

package io.kingbus.raft;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** An in-process {@link TestCluster} per test, in its own temporary directory, closed after the test. */
abstract class RaftClusterTestBase {
    @TempDir
    Path tmp;
    TestCluster cluster;

    @AfterEach
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
            assertThat(cluster.fatal).as("fatal store failures").isEmpty();
        }
    }
}

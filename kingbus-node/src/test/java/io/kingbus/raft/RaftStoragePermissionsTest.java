package io.kingbus.raft;

import io.kingbus.raft.TestCluster.TestNode;
import io.kingbus.raft.TestStream.Batch;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SYNCER_START carries the primary's password into the raft log (and the snapshot markers): the raft storage
 * directory is owner-only, also when it existed before with a wider mode, and the markers are 0600.
 */
class RaftStoragePermissionsTest extends RaftClusterTestBase {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PASSWORD = "pw-in-the-raft-log-7f3a";


    @Test
    void raftStorageIsOwnerOnlyAndHoldsThePasswordOnlyThere() throws Exception {
        cluster = new TestCluster(tmp);
        cluster.snapshotThreshold = 3;
        TestNode n1 = cluster.add("n1");
        Path raftDir = n1.dir.resolve("raft");
        Files.createDirectories(raftDir);
        Files.setPosixFilePermissions(raftDir, PosixFilePermissions.fromString("rwxr-xr-x")); // an older node's
        n1.start(cluster.initialCluster(), RaftNodeConfig.ClusterState.NEW);
        TestNode leader = cluster.awaitLeader(WAIT);

        leader.node.proposeCommand(new RaftCommand.SyncerStart(7, UUID.randomUUID().toString(), "127.0.0.1:3306",
                "repl", PASSWORD, false)).get(30, TimeUnit.SECONDS);
        TestStream stream = new TestStream(UUID.randomUUID());
        cluster.propose(stream.start());
        for (int i = 0; i < 5; i++) {
            Batch b = stream.transaction(1, 50);
            cluster.propose(b);
        }
        TestCluster.await("a snapshot marker", WAIT, () -> leader.node.snapshotIndex() > 0);
        n1.stop(); // look at the files at rest: a running node takes and purges markers meanwhile

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(raftDir))).isEqualTo("rwx------");
        List<Path> withPassword = filesContaining(n1.dir, PASSWORD);
        assertThat(withPassword).as("the raft log and the marker hold the password").isNotEmpty();
        assertThat(withPassword).allSatisfy(p -> assertThat(p).startsWith(raftDir));
        List<Path> markers = new ArrayList<>();
        try (Stream<Path> all = Files.walk(raftDir)) {
            // the markers themselves (snapshot.TERM_INDEX), not their .md5 sidecars (no secret in those)
            all.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).forEach(markers::add);
        }
        assertThat(markers).isNotEmpty();
        for (Path m : markers) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(m))).as(m.toString())
                    .isEqualTo("rw-------");
        }

        // a restart keeps it so (and re-tightens a mode widened meanwhile)
        Files.setPosixFilePermissions(raftDir, PosixFilePermissions.fromString("rwxrwxr-x"));
        n1.start(cluster.initialCluster(), RaftNodeConfig.ClusterState.NEW);
        cluster.awaitLeader(WAIT);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(raftDir))).isEqualTo("rwx------");
    }

    private static List<Path> filesContaining(Path root, String text) throws Exception {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        List<Path> out = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                byte[] b = Files.readAllBytes(p);
                if (indexOf(b, needle) >= 0) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

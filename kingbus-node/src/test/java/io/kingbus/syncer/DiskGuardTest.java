package io.kingbus.syncer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** When the syncer's disk guard asks it to wait, and when it lets it go on again. */
class DiskGuardTest {
    private static final long MIB = 1L << 20;

    @Test
    void aBatchMustLeaveTheReserveFreeAfterItIsWrittenTwice() {
        AtomicLong usable = new AtomicLong(600 * MIB);
        DiskGuard g = new DiskGuard(usable::get, 512 * MIB, "/data");
        assertThat(g.shortage(0)).isNull();
        assertThat(g.shortage(44 * MIB)).isNull();
        assertThat(g.shortage(45 * MIB)).startsWith("disk space low: 600.0 MiB usable under /data")
                .contains("keeps 512.0 MiB free after writing 45.0 MiB");
        usable.set(500 * MIB);
        assertThat(g.shortage(0)).contains("500.0 MiB usable").doesNotContain("after writing");
    }

    @Test
    void goingOnAgainNeedsAQuarterOfTheReserveMore() {
        AtomicLong usable = new AtomicLong(600 * MIB);
        DiskGuard g = new DiskGuard(usable::get, 512 * MIB, "/data");
        assertThat(g.roomFor(0)).isFalse();
        usable.set(640 * MIB);
        assertThat(g.roomFor(0)).isTrue();
        assertThat(g.roomFor(10 * MIB)).isFalse();
        usable.set(660 * MIB);
        assertThat(g.roomFor(10 * MIB)).isTrue();
    }

    @Test
    void theNodesGuardReadsTheFileSystemOfItsDirectoriesOnce(@TempDir Path tmp) throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Path raft = Files.createDirectories(tmp.resolve("raft"));
        DiskGuard g = DiskGuard.of(store, raft);
        long usable = Files.getFileStore(store).getUsableSpace();
        assertThat(g.usableBytes()).isBetween(usable - 64 * MIB, usable + 64 * MIB);
        assertThat(g.shortage(0)).as("this machine has room").isNull();
        String low = g.shortage(usable); // a batch as big as the disk
        assertThat(low).contains("usable under " + store).doesNotContain(raft.toString());
    }
}

package io.kingbus.syncer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SyncerOptionsTest {
    @Test
    void proposalsAreAboutAMegabyteOnlyWhereThatStaysUnderHalfAG1Region() {
        assertThat(Syncer.Options.batchBytesFor(4L << 20)).isEqualTo(1_000_000);
        assertThat(Syncer.Options.batchBytesFor(32L << 20)).isEqualTo(1_000_000);
        assertThat(Syncer.Options.batchBytesFor(2L << 20)).as("half a region is 1 MiB: humongous").isEqualTo(256 << 10);
        assertThat(Syncer.Options.batchBytesFor(1L << 20)).isEqualTo(256 << 10);
        assertThat(Syncer.Options.batchBytesFor(0)).as("not G1").isEqualTo(256 << 10);
        assertThat(Syncer.Options.windowFor(1_000_000)).isEqualTo(8);
        assertThat(Syncer.Options.windowFor(256 << 10)).isEqualTo(16);
    }

    @Test
    void defaultsFollowThisJvmsRegionSize() {
        Syncer.Options d = Syncer.Options.defaults();
        assertThat(Syncer.Options.g1RegionBytes()).as("the test JVM runs G1").isPositive();
        assertThat(d.batchBytes()).isEqualTo(Syncer.Options.batchBytesFor(Syncer.Options.g1RegionBytes()));
        assertThat(d.maxOutstanding()).isEqualTo(Syncer.Options.windowFor(d.batchBytes()));
    }
}

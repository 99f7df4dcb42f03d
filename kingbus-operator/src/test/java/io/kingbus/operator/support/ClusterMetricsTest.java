package io.kingbus.operator.support;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ClusterMetrics metrics = new ClusterMetrics(registry);

    private Double members(String cluster) {
        var g = registry.find("kingbus.cluster.members").tag("cluster", cluster).gauge();
        return g == null ? null : g.value();
    }

    @Test
    void aDeletedClusterStaysGoneEvenIfAReconcileRunningDuringTheDeleteReportsItLate() {
        metrics.update("ns", "kb", "uid-1", 3, 3, true);
        assertThat(members("kb")).isEqualTo(3.0);
        metrics.remove("ns", "kb");
        assertThat(members("kb")).isNull();
        metrics.update("ns", "kb", "uid-1", 3, 2, true);
        assertThat(members("kb")).as("the late update of the deleted cluster").isNull();
        // A new cluster under the same name is another object (another uid) and is reported.
        metrics.update("ns", "kb", "uid-2", 1, 1, true);
        assertThat(members("kb")).isEqualTo(1.0);
        assertThat(registry.getMeters()).hasSize(3);
    }
}

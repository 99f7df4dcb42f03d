package io.kingbus.operator.support;

import io.fabric8.kubernetes.api.model.Condition;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConditionsTest {

    @Test
    void transitionTimeMovesOnlyWhenTheStatusChanges() {
        List<Condition> list = new ArrayList<>();
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        assertThat(Conditions.set(list, "Ready", false, "Creating", "m1", 1L, t0)).isTrue();
        Instant t1 = t0.plusSeconds(10);
        assertThat(Conditions.set(list, "Ready", false, "Scaling", "m2", 2L, t1)).isFalse();
        Condition c = Conditions.find(list, "Ready");
        assertThat(c.getLastTransitionTime()).isEqualTo(t0.toString());
        assertThat(c.getReason()).isEqualTo("Scaling");
        assertThat(c.getObservedGeneration()).isEqualTo(2L);
        Instant t2 = t0.plusSeconds(20);
        assertThat(Conditions.set(list, "Ready", true, "AllMembersReady", "m3", 2L, t2)).isTrue();
        assertThat(c.getLastTransitionTime()).isEqualTo(t2.toString());
        assertThat(Conditions.isTrue(list, "Ready")).isTrue();
        assertThat(list).hasSize(1);
    }
}

package io.kingbus.operator.support;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** Status conditions in the Kubernetes convention: lastTransitionTime changes only when the status does. */
public final class Conditions {
    public static final String TRUE = "True";
    public static final String FALSE = "False";

    private Conditions() {
    }

    /**
     * Sets condition {@code type} in {@code conditions}. Returns true when its status changed (or it is new), the
     * moment to emit an Event.
     */
    public static boolean set(List<Condition> conditions, String type, boolean status, String reason, String message,
                              Long generation, Instant now) {
        String value = status ? TRUE : FALSE;
        Condition existing = find(conditions, type);
        if (existing == null) {
            conditions.add(new ConditionBuilder().withType(type).withStatus(value).withReason(reason)
                    .withMessage(message).withObservedGeneration(generation)
                    .withLastTransitionTime(now.toString()).build());
            return true;
        }
        boolean changed = !value.equals(existing.getStatus());
        if (changed) {
            existing.setLastTransitionTime(now.toString());
        }
        existing.setStatus(value);
        existing.setReason(reason);
        existing.setMessage(message);
        existing.setObservedGeneration(generation);
        return changed;
    }

    public static Condition find(List<Condition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        for (Condition c : conditions) {
            if (Objects.equals(c.getType(), type)) {
                return c;
            }
        }
        return null;
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        Condition c = find(conditions, type);
        return c != null && TRUE.equals(c.getStatus());
    }
}

package io.kingbus.operator.support;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a custom resource's whole status: one JSON patch operation {@code add /status} on the status subresource,
 * which replaces the status as a whole. No resourceVersion is sent and no list index is patched, so a status computed
 * from a slightly stale copy never fails to apply (a diff-based JSON patch would), and a field left null is gone.
 */
public final class StatusWriter {
    private StatusWriter() {
    }

    /** The status as JSON, to tell later whether a write is needed. */
    public static String snapshot(KubernetesClient client, Object status) {
        return client.getKubernetesSerialization().asJson(status);
    }

    /** Writes {@code status} unless it serializes to {@code before} (a {@link #snapshot}; null: always write). */
    public static void write(KubernetesClient client, HasMetadata resource, Object status, String before) {
        if (before != null && before.equals(snapshot(client, status))) {
            return;
        }
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("op", "add");
        op.put("path", "/status");
        op.put("value", status);
        String json = client.getKubernetesSerialization().asJson(List.of(op));
        client.resources(resource.getClass()).inNamespace(resource.getMetadata().getNamespace())
                .withName(resource.getMetadata().getName()).subresource("status")
                .patch(PatchContext.of(PatchType.JSON), json);
    }
}

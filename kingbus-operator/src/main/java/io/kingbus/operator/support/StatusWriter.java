package io.kingbus.operator.support;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a custom resource's whole status on the status subresource, without a resourceVersion, so a status computed
 * from a slightly stale copy never fails to apply, and a field left null is gone.
 * <ul>
 * <li>server-side apply on: an apply of only {@code status} as field manager {@value FieldManager#NAME} (forced), so
 * the operator owns the status fields and no one else's;</li>
 * <li>off (Fabric8's mock server has no server-side apply): one JSON patch operation {@code add /status}, which
 * replaces the status as a whole.</li>
 * </ul>
 */
public final class StatusWriter {
    private final KubernetesClient client;
    private final boolean serverSideApply;

    public StatusWriter(KubernetesClient client, boolean serverSideApply) {
        this.client = client;
        this.serverSideApply = serverSideApply;
    }

    /** The status as JSON, to tell later whether a write is needed. */
    public String snapshot(Object status) {
        return client.getKubernetesSerialization().asJson(status);
    }

    /** Writes {@code status} unless it serializes to {@code before} (a {@link #snapshot}; null: always write). */
    public void write(HasMetadata resource, Object status, String before) {
        if (before != null && before.equals(snapshot(status))) {
            return;
        }
        var target = client.resources(resource.getClass()).inNamespace(resource.getMetadata().getNamespace())
                .withName(resource.getMetadata().getName()).subresource("status");
        if (serverSideApply) {
            Map<String, Object> metadata = new LinkedHashMap<>();
            metadata.put("name", resource.getMetadata().getName());
            metadata.put("namespace", resource.getMetadata().getNamespace());
            Map<String, Object> apply = new LinkedHashMap<>();
            apply.put("apiVersion", resource.getApiVersion());
            apply.put("kind", resource.getKind());
            apply.put("metadata", metadata);
            apply.put("status", status);
            target.patch(new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
                    .withFieldManager(FieldManager.NAME).withForce(true).build(),
                    client.getKubernetesSerialization().asJson(apply));
            return;
        }
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("op", "add");
        op.put("path", "/status");
        op.put("value", status);
        target.patch(PatchContext.of(PatchType.JSON), client.getKubernetesSerialization().asJson(List.of(op)));
    }
}

package io.kingbus.operator.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.support.FieldManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * The cluster's PodDisruptionBudget, allowing (members - quorum) voluntary disruptions. policy/v1 where the API
 * server offers it (1.21+), else policy/v1beta1 (1.20, the real kube-apiserver of the tests): asked once by discovery.
 */
final class PodDisruptionBudgets {
    private static final Logger log = LoggerFactory.getLogger(PodDisruptionBudgets.class);

    private final KubernetesClient client;
    private final boolean serverSideApply;
    private volatile Boolean v1;

    /** {@code serverSideApply}: written by server-side apply as {@value FieldManager#NAME}, else create/edit. */
    PodDisruptionBudgets(KubernetesClient client, boolean serverSideApply) {
        this.client = client;
        this.serverSideApply = serverSideApply;
    }

    /** True when the server offers policy/v1 PodDisruptionBudgets. */
    boolean useV1() {
        Boolean b = v1;
        if (b == null) {
            boolean hasV1;
            try {
                hasV1 = client.getApiResources("policy/v1") != null;
            } catch (KubernetesClientException e) {
                hasV1 = false;
            }
            boolean hasV1beta1;
            try {
                hasV1beta1 = !hasV1 && client.getApiResources("policy/v1beta1") != null;
            } catch (KubernetesClientException e) {
                hasV1beta1 = false;
            }
            // Neither answered (a server without discovery): assume a current server.
            b = hasV1 || !hasV1beta1;
            v1 = b;
            log.info("PodDisruptionBudgets use policy/{}", b ? "v1" : "v1beta1");
        }
        return b;
    }

    void apply(KingbusCluster c, int maxUnavailable) {
        var meta = new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(c.getMetadata().getName())
                .withNamespace(c.getMetadata().getNamespace())
                .withLabels(ClusterResources.labels(c)).withOwnerReferences(ClusterResources.ownerReference(c)).build();
        var selector = new LabelSelectorBuilder().withMatchLabels(ClusterResources.selectorLabels(c)).build();
        IntOrString max = new IntOrString(maxUnavailable);
        HasMetadata desired = useV1()
                ? new io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder().withMetadata(meta)
                .withNewSpec().withSelector(selector).withMaxUnavailable(max).endSpec().build()
                : new io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudgetBuilder().withMetadata(meta)
                .withNewSpec().withSelector(selector).withMaxUnavailable(max).endSpec().build();
        if (serverSideApply) {
            client.resource(desired).fieldManager(FieldManager.NAME).forceConflicts().serverSideApply();
            return;
        }
        HasMetadata existing = client.resource(desired).get();
        if (existing == null) {
            client.resource(desired).create();
        } else if (!Objects.equals(maxUnavailable(existing), max)) {
            client.resource(existing).edit(p -> setMaxUnavailable(p, max));
        }
    }

    private static IntOrString maxUnavailable(HasMetadata pdb) {
        return pdb instanceof io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget v1
                ? v1.getSpec().getMaxUnavailable()
                : ((io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget) pdb).getSpec().getMaxUnavailable();
    }

    private static HasMetadata setMaxUnavailable(HasMetadata pdb, IntOrString max) {
        if (pdb instanceof io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget v1) {
            v1.getSpec().setMaxUnavailable(max);
        } else {
            ((io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget) pdb).getSpec().setMaxUnavailable(max);
        }
        return pdb;
    }
}

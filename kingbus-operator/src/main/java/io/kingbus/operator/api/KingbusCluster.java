package io.kingbus.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A kingbus raft cluster: a StatefulSet of kingbus nodes whose membership the operator changes one step at a time. */
@Group(KingbusCluster.GROUP)
@Version(KingbusCluster.VERSION)
@Plural("kingbusclusters")
@ShortNames("kbc")
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyReplicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Leader", jsonPath = ".status.leader", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class KingbusCluster extends CustomResource<KingbusClusterSpec, KingbusClusterStatus> implements Namespaced {
    public static final String GROUP = "kingbus.io";
    public static final String VERSION = "v1alpha1";
    /** {@code "true"} stops reconciliation of the resource (status phase Paused). */
    public static final String PAUSED_ANNOTATION = "kingbus.io/paused";

    public boolean paused() {
        return getMetadata().getAnnotations() != null
                && "true".equalsIgnoreCase(getMetadata().getAnnotations().get(PAUSED_ANNOTATION));
    }
}

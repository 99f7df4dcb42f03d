package io.kingbus.operator.api;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** The syncer of a KingbusCluster: which MySQL primary its leader replicates, as an external resource. */
@Group(KingbusCluster.GROUP)
@Version(KingbusCluster.VERSION)
@Plural("binlogsyncers")
@ShortNames("kbs")
@AdditionalPrinterColumn(name = "Cluster", jsonPath = ".spec.clusterRef.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Primary", jsonPath = ".spec.mysqlAddr", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "State", jsonPath = ".status.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Lag", jsonPath = ".status.lagSeconds", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class BinlogSyncer extends CustomResource<BinlogSyncerSpec, BinlogSyncerStatus> implements Namespaced {

    public boolean paused() {
        return getMetadata().getAnnotations() != null
                && "true".equalsIgnoreCase(getMetadata().getAnnotations().get(KingbusCluster.PAUSED_ANNOTATION));
    }
}

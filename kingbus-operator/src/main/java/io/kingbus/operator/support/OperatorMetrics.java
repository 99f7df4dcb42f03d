package io.kingbus.operator.support;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.api.reconciler.Constants;
import io.javaoperatorsdk.operator.api.reconciler.RetryInfo;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * JOSDK's metrics, plus dropping a deleted KingbusCluster's own gauges: JOSDK reports every primary resource's
 * deletion here ({@link #cleanupDoneFor}), which a reconciler without a finalizer never sees.
 */
public final class OperatorMetrics implements Metrics {
    private static final Logger log = LoggerFactory.getLogger(OperatorMetrics.class);
    private final Metrics josdk;
    private final ClusterMetrics clusters;
    private final String clusterKind;

    public OperatorMetrics(Metrics josdk, ClusterMetrics clusters, String clusterKind) {
        this.josdk = josdk;
        this.clusters = clusters;
        this.clusterKind = clusterKind;
    }

    @Override
    public void cleanupDoneFor(ResourceID id, Map<String, Object> metadata) {
        josdk.cleanupDoneFor(id, metadata);
        if (metadata.get(Constants.RESOURCE_GVK_KEY) instanceof GroupVersionKind gvk
                && clusterKind.equals(gvk.getKind())) {
            clusters.remove(id.getNamespace().orElse(""), id.getName());
            log.info("KingbusCluster {}/{} deleted: its gauges are removed", id.getNamespace().orElse(""),
                    id.getName());
        }
    }

    @Override
    public void controllerRegistered(Controller<? extends HasMetadata> controller) {
        josdk.controllerRegistered(controller);
    }

    @Override
    public void receivedEvent(Event event, Map<String, Object> metadata) {
        josdk.receivedEvent(event, metadata);
    }

    @Override
    public void reconcileCustomResource(HasMetadata resource, RetryInfo retry, Map<String, Object> metadata) {
        josdk.reconcileCustomResource(resource, retry, metadata);
    }

    @Override
    public void failedReconciliation(HasMetadata resource, Exception exception, Map<String, Object> metadata) {
        josdk.failedReconciliation(resource, exception, metadata);
    }

    @Override
    public void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
        josdk.reconciliationExecutionStarted(resource, metadata);
    }

    @Override
    public void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
        josdk.reconciliationExecutionFinished(resource, metadata);
    }

    @Override
    public void finishedReconciliation(HasMetadata resource, Map<String, Object> metadata) {
        josdk.finishedReconciliation(resource, metadata);
    }

    @Override
    public <T> T timeControllerExecution(ControllerExecution<T> execution) throws Exception {
        return josdk.timeControllerExecution(execution);
    }

    @Override
    public <T extends Map<?, ?>> T monitorSizeOf(T map, String name) {
        return josdk.monitorSizeOf(map, name);
    }
}

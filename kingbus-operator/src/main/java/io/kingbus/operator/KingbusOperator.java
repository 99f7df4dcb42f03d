package io.kingbus.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.kingbus.operator.admin.DnsMemberAddresses;
import io.kingbus.operator.admin.MemberAddresses;
import io.kingbus.operator.admin.NodeAdminClient;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.cluster.KingbusClusterReconciler;
import io.kingbus.operator.support.ClusterMetrics;
import io.kingbus.operator.support.EventRecorder;
import io.kingbus.operator.support.FieldManager;
import io.kingbus.operator.support.OperatorMetrics;
import io.kingbus.operator.syncer.BinlogSyncerReconciler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The operator: both reconcilers on one JOSDK {@link Operator}, with Micrometer metrics.
 *
 * <pre>{@code
 * KingbusOperator op = KingbusOperator.builder(client)
 *         .memberAddresses(myAddresses)      // default: pod DNS names (DnsMemberAddresses)
 *         .namespaces(Set.of("db"))          // default: all namespaces
 *         .build();
 * op.start();  ...  op.close();
 * }</pre>
 *
 * With server-side apply on (the default), owned objects and statuses are applied as field manager
 * {@value FieldManager#NAME}, so fields others set survive; {@code serverSideApply(false)} creates and edits them and
 * writes statuses by JSON patch instead, for servers without server-side apply (Fabric8's mock server).
 */
public final class KingbusOperator implements AutoCloseable {
    /** The coordination.k8s.io Lease the operator instances compete for when leader election is on. */
    public static final String LEASE_NAME = "kingbus-operator";

    private final Operator operator;
    private final PrometheusMeterRegistry registry;

    private KingbusOperator(Builder b) {
        this.registry = b.registry;
        NodeAdminClient admin = new NodeAdminClient(b.adminTimeout);
        EventRecorder events = new EventRecorder(b.client);
        ClusterMetrics clusterMetrics = new ClusterMetrics(b.registry);
        this.operator = new Operator(o -> {
            o.withKubernetesClient(b.client)
                    .withUseSSAToPatchPrimaryResource(b.serverSideApply)
                    .withSSABasedCreateUpdateMatchForDependentResources(b.serverSideApply)
                    .withCloseClientOnStop(false)
                    .withMetrics(new OperatorMetrics(
                            MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(b.registry).build(),
                            clusterMetrics, HasMetadata.getKind(KingbusCluster.class)));
            if (b.leaseNamespace != null) {
                // Only the holder of the Lease reconciles: a second operator pod (a rollout, a partitioned node)
                // waits instead of changing membership concurrently.
                o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(LEASE_NAME, b.leaseNamespace));
            }
        });
        operator.register(new KingbusClusterReconciler(b.client, b.addresses, admin, events,
                        clusterMetrics, b.busyRequeue, b.idleRequeue, b.serverSideApply),
                c -> namespaces(c, b.namespaces));
        operator.register(new BinlogSyncerReconciler(b.client, b.addresses, admin, events, b.syncerPoll, b.serverSideApply),
                c -> namespaces(c, b.namespaces));
    }

    private static void namespaces(io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider<?> c,
                                   Set<String> namespaces) {
        if (namespaces.isEmpty()) {
            c.watchingAllNamespaces();
        } else {
            c.settingNamespaces(namespaces);
        }
    }

    public static Builder builder(KubernetesClient client) {
        return new Builder(client);
    }

    public void start() {
        operator.start();
    }

    /** The Prometheus text of the operator's metrics (JOSDK's and the per-cluster gauges). */
    public String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        operator.stop();
    }

    public static final class Builder {
        private final KubernetesClient client;
        private MemberAddresses addresses = new DnsMemberAddresses();
        private Set<String> namespaces = Set.of();
        private PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        private Duration adminTimeout = Duration.ofSeconds(5);
        private Duration busyRequeue = Duration.ofSeconds(3);
        private Duration idleRequeue = Duration.ofSeconds(30);
        private Duration syncerPoll = Duration.ofSeconds(5);
        private String leaseNamespace;
        private boolean serverSideApply = true;

        private Builder(KubernetesClient client) {
            this.client = Objects.requireNonNull(client, "client");
        }

        /** How the operator reaches members and which URLs it registers for them (default: pod DNS). */
        public Builder memberAddresses(MemberAddresses addresses) {
            this.addresses = Objects.requireNonNull(addresses, "addresses");
            return this;
        }

        /** Watched namespaces; empty: all. */
        public Builder namespaces(Set<String> namespaces) {
            this.namespaces = Set.copyOf(namespaces);
            return this;
        }

        public Builder meterRegistry(PrometheusMeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        public Builder adminTimeout(Duration timeout) {
            this.adminTimeout = timeout;
            return this;
        }

        /** How soon a cluster with a step in flight (or not yet settled) is looked at again. */
        public Builder busyRequeue(Duration d) {
            this.busyRequeue = d;
            return this;
        }

        /** How often a settled cluster is checked (the admin API's state changes without Kubernetes events). */
        public Builder idleRequeue(Duration d) {
            this.idleRequeue = d;
            return this;
        }

        /** How often a BinlogSyncer's status is polled from the cluster. */
        public Builder syncerPoll(Duration d) {
            this.syncerPoll = d;
            return this;
        }

        /** Leader election through the Lease {@value #LEASE_NAME} in this namespace; null (default): off. */
        public Builder leaderElection(String leaseNamespace) {
            this.leaseNamespace = leaseNamespace;
            return this;
        }

        /**
         * Server-side apply (default true) for owned objects, statuses and JOSDK's own writes; false: create/edit and
         * JSON patch, for servers without server-side apply (Fabric8's mock server).
         */
        public Builder serverSideApply(boolean on) {
            this.serverSideApply = on;
            return this;
        }

        public KingbusOperator build() {
            return new KingbusOperator(this);
        }
    }
}

package io.kingbus.admin;

import io.kingbus.raft.ClusterControl;
import io.kingbus.raft.RaftNodeStatus;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * The node's Prometheus metrics. Raft gauges read a snapshot of {@link ClusterControl#status()} taken once per
 * scrape, so a scrape costs one status call whatever the number of gauges.
 *
 * <pre>
 * kingbus_raft_role{role="leader"|"follower"|...} 1 for the current role, 0 for the others
 * kingbus_raft_is_leader, kingbus_raft_has_leader, kingbus_raft_caught_up   0/1
 * kingbus_raft_term, kingbus_raft_commit_index, kingbus_raft_applied_index, kingbus_raft_members
 * kingbus_store_size_bytes
 * kingbus_events_applied_total, kingbus_bytes_applied_total
 * kingbus_netty_direct_pinned_bytes, kingbus_netty_direct_used_bytes   Netty's pooled direct memory: held, reserved
 * kingbus_status_up                 0 when status() failed (gauges are then NaN, counters keep their last value)
 * jvm_*, process_*, system_*                                                   JVM metrics
 * </pre>
 */
final class AdminMetrics implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminMetrics.class);
    static final List<String> ROLES = List.of("LEADER", "FOLLOWER", "CANDIDATE", "LISTENER", "REMOVED");

    /** The status of the last scrape (null when it failed) and the last good one (for the counters). */
    private record Snapshot(RaftNodeStatus status, int members, RaftNodeStatus lastGood) {
    }

    private final ClusterControl control;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Set<String> roleGauges = ConcurrentHashMap.newKeySet();
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    private volatile Snapshot snapshot = new Snapshot(null, 0, null);

    AdminMetrics(ClusterControl control) {
        this.control = control;
        for (String role : ROLES) {
            roleGauge(role);
        }
        gauge("kingbus.raft.is.leader", "1 when this node is the raft leader",
                s -> "LEADER".equalsIgnoreCase(s.status().role()) ? 1 : 0);
        gauge("kingbus.raft.has.leader", "1 when this node knows a leader",
                s -> s.status().leaderName() != null ? 1 : 0);
        gauge("kingbus.raft.caught.up", "1 when this node is a caught-up voting member (the /ready condition)",
                s -> s.status().caughtUp() ? 1 : 0);
        gauge("kingbus.raft.term", "Current raft term", s -> s.status().term());
        gauge("kingbus.raft.commit.index", "Raft commit index known to this node", s -> s.status().commitIndex());
        gauge("kingbus.raft.applied.index", "Raft index applied to this node's store", s -> s.status().appliedIndex());
        Gauge.builder("kingbus.raft.members", this, m -> m.snapshot.members())
                .description("Members of the raft group as this node knows them")
                .strongReference(true)
                .register(registry);
        Gauge.builder("kingbus.store.size", this, m -> value(m.snapshot, s -> s.status().storeBytes()))
                .description("Size of the binlog store on disk")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder("kingbus.status.up", this, m -> m.snapshot.status() != null ? 1 : 0)
                .description("1 when the raft node answered the last status query")
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("kingbus.events.applied", this, m -> counter(m.snapshot, RaftNodeStatus::eventsApplied))
                .description("Binlog events applied to this node's store")
                .register(registry);
        FunctionCounter.builder("kingbus.bytes.applied", this, m -> counter(m.snapshot, RaftNodeStatus::bytesApplied))
                .description("Binlog event bytes applied to this node's store")
                .register(registry);
        // Netty's pooled direct memory (the binlog server's read buffers and socket queues) is invisible to the
        // JVM's buffer-pool metrics: it is allocated without a Cleaner
        Gauge.builder("kingbus.netty.direct.pinned", PooledByteBufAllocator.DEFAULT,
                        a -> a.pinnedDirectMemory())
                .description("Direct memory held by live buffers of Netty's pooled allocator")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("kingbus.netty.direct.used", PooledByteBufAllocator.DEFAULT,
                        a -> a.metric().usedDirectMemory())
                .description("Direct memory Netty's pooled allocator has reserved (its arenas' chunks)")
                .baseUnit("bytes")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Refreshes the raft snapshot and renders the Prometheus text format. */
    String scrape() {
        refresh();
        return registry.scrape();
    }

    void refresh() {
        RaftNodeStatus status = null;
        int members = 0;
        try {
            status = control.status();
            members = control.members().size();
        } catch (RuntimeException e) {
            LOG.debug("status for metrics failed", e);
        }
        if (status != null && status.role() != null) {
            roleGauge(status.role().toUpperCase(Locale.ROOT));
        }
        snapshot = new Snapshot(status, members, status != null ? status : snapshot.lastGood());
    }

    private void roleGauge(String role) {
        if (roleGauges.add(role)) {
            Gauge.builder("kingbus.raft.role", this,
                            m -> value(m.snapshot, s -> role.equalsIgnoreCase(s.status().role()) ? 1 : 0))
                    .description("1 for this node's current raft role")
                    .tag("role", role.toLowerCase(Locale.ROOT))
                    .strongReference(true)
                    .register(registry);
        }
    }

    private void gauge(String name, String help, ToDoubleFunction<Snapshot> f) {
        Gauge.builder(name, this, m -> value(m.snapshot, f))
                .description(help)
                .strongReference(true)
                .register(registry);
    }

    private static double value(Snapshot s, ToDoubleFunction<Snapshot> f) {
        return s.status() == null ? Double.NaN : f.applyAsDouble(s);
    }

    private static double counter(Snapshot s, ToDoubleFunction<RaftNodeStatus> f) {
        return s.lastGood() == null ? 0 : f.applyAsDouble(s.lastGood());
    }

    @Override
    public void close() {
        gcMetrics.close();
        registry.close();
    }
}

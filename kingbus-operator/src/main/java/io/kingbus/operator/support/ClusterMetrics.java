package io.kingbus.operator.support;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Per-cluster gauges: raft members, ready members, whether a leader is known. */
public final class ClusterMetrics {
    private final MeterRegistry registry;
    private final Map<String, Values> clusters = new ConcurrentHashMap<>();
    /** Uids of deleted clusters (bounded): a reconcile that was running during the delete must not bring them back. */
    private final Set<String> deleted = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 1000;
        }
    });

    public ClusterMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    private static final class Values {
        final AtomicInteger members = new AtomicInteger();
        final AtomicInteger ready = new AtomicInteger();
        final AtomicInteger leaderKnown = new AtomicInteger();
        List<Gauge> gauges = List.of();
        String uid;
    }

    public void update(String namespace, String name, String uid, int members, int ready, boolean leaderKnown) {
        Values v;
        synchronized (deleted) {
            if (deleted.contains(uid)) {
                return;
            }
            v = clusters.computeIfAbsent(namespace + "/" + name, k -> register(namespace, name));
            v.uid = uid;
        }
        v.members.set(members);
        v.ready.set(ready);
        v.leaderKnown.set(leaderKnown ? 1 : 0);
    }

    private Values register(String namespace, String name) {
        Values v = new Values();
        Tags tags = Tags.of("namespace", namespace, "cluster", name);
        v.gauges = List.of(
                Gauge.builder("kingbus.cluster.members", v.members, AtomicInteger::get).tags(tags)
                        .description("raft members of the cluster").register(registry),
                Gauge.builder("kingbus.cluster.ready.members", v.ready, AtomicInteger::get).tags(tags)
                        .description("members that are caught-up voters").register(registry),
                Gauge.builder("kingbus.cluster.leader.known", v.leaderKnown, AtomicInteger::get).tags(tags)
                        .description("1 when the cluster has a leader").register(registry));
        return v;
    }

    /** The cluster was deleted: its gauges go, rather than reporting its last state forever. */
    public void remove(String namespace, String name) {
        synchronized (deleted) {
            Values v = clusters.remove(namespace + "/" + name);
            if (v != null) {
                deleted.add(v.uid);
                v.gauges.forEach(registry::remove);
            }
        }
    }
}

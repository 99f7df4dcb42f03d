package io.kingbus.operator.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.kingbus.operator.admin.AdminApiException;
import io.kingbus.operator.admin.MemberAddresses;
import io.kingbus.operator.admin.NodeAdminClient;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.api.KingbusClusterStatus;
import io.kingbus.operator.api.MemberStatus;
import io.kingbus.operator.api.MembershipStep;
import io.kingbus.operator.support.ClusterMetrics;
import io.kingbus.operator.support.Conditions;
import io.kingbus.operator.support.EventRecorder;
import io.kingbus.operator.support.FieldManager;
import io.kingbus.operator.support.StatusWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Reconciles a KingbusCluster: owned objects, the bootstrap ConfigMap, one membership step at a time through the
 * admin API ({@link MembershipPlanner}), rolling restarts of outdated pods (leader last), status and conditions.
 */
@ControllerConfiguration(name = KingbusClusterReconciler.NAME)
public class KingbusClusterReconciler implements Reconciler<KingbusCluster> {
    public static final String NAME = "kingbuscluster";
    public static final String READY = "Ready";
    public static final String AVAILABLE = "Available";
    public static final String SCALE_HELD = "ScaleHeld";

    private static final Logger log = LoggerFactory.getLogger(KingbusClusterReconciler.class);

    private final KubernetesClient client;
    private final MemberAddresses addresses;
    private final NodeAdminClient admin;
    private final EventRecorder events;
    private final ClusterMetrics metrics;
    private final PodDisruptionBudgets pdbs;
    private final Duration busyRequeue;
    private final Duration idleRequeue;
    private final boolean serverSideApply;
    private final StatusWriter statusWriter;

    /**
     * {@code serverSideApply}: owned objects and the status are written by server-side apply as
     * {@value FieldManager#NAME}; off: created, edited field by field, status by JSON patch (for servers without it).
     */
    public KingbusClusterReconciler(KubernetesClient client, MemberAddresses addresses, NodeAdminClient admin,
                                    EventRecorder events, ClusterMetrics metrics, Duration busyRequeue,
                                    Duration idleRequeue, boolean serverSideApply) {
        this.client = client;
        this.serverSideApply = serverSideApply;
        this.statusWriter = new StatusWriter(client, serverSideApply);
        this.addresses = addresses;
        this.admin = admin;
        this.events = events;
        this.metrics = metrics;
        this.pdbs = new PodDisruptionBudgets(client, serverSideApply);
        this.busyRequeue = busyRequeue;
        this.idleRequeue = idleRequeue;
    }

    @Override
    public List<EventSource<?, KingbusCluster>> prepareEventSources(EventSourceContext<KingbusCluster> context) {
        var statefulSets = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(StatefulSet.class, KingbusCluster.class)
                .withName("statefulsets")
                .withLabelSelector(ClusterResources.LABEL_MANAGED_BY + "=" + ClusterResources.MANAGER)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(KingbusCluster.class))
                .build(), context);
        // Pods belong to the StatefulSet, not to the cluster: map them by their instance label.
        var pods = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(Pod.class, KingbusCluster.class)
                .withName("pods")
                .withLabelSelector(ClusterResources.LABEL_MANAGED_BY + "=" + ClusterResources.MANAGER)
                .withSecondaryToPrimaryMapper(Mappers.fromLabel(ClusterResources.LABEL_INSTANCE, null,
                        KingbusCluster.class))
                .build(), context);
        return List.of(statefulSets, pods);
    }

    @Override
    public UpdateControl<KingbusCluster> reconcile(KingbusCluster cached, Context<KingbusCluster> context) {
        // The informer's copy may not show the status this reconciler wrote a moment ago; the step in flight must.
        KingbusCluster cluster = client.resources(KingbusCluster.class).inNamespace(cached.getMetadata().getNamespace())
                .withName(cached.getMetadata().getName()).get();
        if (cluster == null) {
            return UpdateControl.noUpdate();
        }
        String before = cluster.getStatus() == null ? null : statusWriter.snapshot(cluster.getStatus());
        KingbusClusterStatus status = cluster.getStatus() == null ? new KingbusClusterStatus() : cluster.getStatus();
        cluster.setStatus(status);
        String ns = cluster.getMetadata().getNamespace();
        String name = cluster.getMetadata().getName();
        status.selector = ClusterResources.selectorString(cluster);
        if (cluster.paused()) {
            if (!"Paused".equals(status.phase)) {
                log.info("KingbusCluster {}/{} paused ({}=true): not reconciling", ns, name,
                        KingbusCluster.PAUSED_ANNOTATION);
            }
            status.phase = "Paused";
            // Annotation changes do not bump the generation, so JOSDK sends no event for them: look again later.
            statusWriter.write(cluster, status, before);
            return UpdateControl.<KingbusCluster>noUpdate().rescheduleAfter(idleRequeue);
        }
        // RFC 3339 seconds, as Kubernetes writes times.
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Long generation = cluster.getMetadata().getGeneration();
        int desired = cluster.getSpec().replicasOrDefault();

        // 1. Owned objects.
        StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName(name).get();
        ConfigMap cm = client.configMaps().inNamespace(ns).withName(ClusterResources.configMapName(cluster)).get();
        List<String> bootstrap;
        String clusterState;
        if (cm != null && cm.getData() != null && cm.getData().get(ClusterResources.BOOTSTRAP_MEMBERS) != null) {
            bootstrap = List.of(cm.getData().get(ClusterResources.BOOTSTRAP_MEMBERS).split(","));
            clusterState = cm.getData().getOrDefault(ClusterResources.CLUSTER_STATE, "existing");
        } else {
            int n = sts == null ? desired : Objects.requireNonNullElse(sts.getSpec().getReplicas(), desired);
            bootstrap = IntStream.range(0, n).mapToObj(i -> name + "-" + i).toList();
            // A lost ConfigMap next to a StatefulSet: the group formed long ago, or its nodes have data anyway.
            clusterState = sts == null ? "new" : "existing";
        }
        applyService(ClusterResources.peersService(cluster));
        applyService(ClusterResources.clientService(cluster));
        applyConfigMap(cm, ClusterResources.configMap(cluster, bootstrap, clusterState));
        if (sts == null) {
            StatefulSet created = ClusterResources.statefulSet(cluster, bootstrap.size());
            sts = serverSideApply ? apply(created) : client.resource(created).create();
            events.normal(cluster, "Created", "created StatefulSet " + name + " bootstrapping members " + bootstrap);
        } else if (serverSideApply) {
            sts = applyStatefulSet(cluster, sts, Objects.requireNonNullElse(sts.getSpec().getReplicas(), 0));
        } else {
            sts = applyTemplate(sts, ClusterResources.statefulSet(cluster, 0));
        }
        int stsReplicas = Objects.requireNonNullElse(sts.getSpec().getReplicas(), 0);

        // 2. Observe pods and the raft group.
        List<Pod> pods = client.pods().inNamespace(ns).withLabels(ClusterResources.selectorLabels(cluster)).list()
                .getItems();
        Map<String, Pod> podsByName = new LinkedHashMap<>();
        pods.stream().sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .forEach(p -> podsByName.put(p.getMetadata().getName(), p));
        Set<String> running = new LinkedHashSet<>();
        podsByName.forEach((n, p) -> {
            if (p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
                    && "Running".equals(p.getStatus().getPhase())) {
                running.add(n);
            }
        });
        RaftView view = observeRaft(cluster, podsByName.keySet(), status.membershipStep);
        metrics.update(ns, name, cluster.getMetadata().getUid(), view.members == null ? 0 : view.members.size(),
                view.ready.size(), view.leader != null);

        // 3. The group formed: from now on every fresh node joins as "existing".
        if ("new".equals(clusterState) && view.leader != null) {
            clusterState = "existing";
            applyConfigMap(client.configMaps().inNamespace(ns).withName(ClusterResources.configMapName(cluster))
                    .get(), ClusterResources.configMap(cluster, bootstrap, clusterState));
            events.normal(cluster, "Formed", "raft group formed with leader " + view.leader + "; new members join "
                    + "an existing cluster from now on");
        }

        // 4. Membership.
        boolean held = false;
        boolean busy = false;
        boolean formed = "existing".equals(clusterState);
        if (formed) {
            MembershipStep step = status.membershipStep;
            if (step == null && view.members != null) {
                step = impliedStep(name, desired, stsReplicas, view.members, now);
                if (step != null) {
                    log.info("KingbusCluster {}/{}: resuming an unrecorded {} of {} (StatefulSet has {} pods, raft "
                            + "{} members)", ns, name, step.action, step.member, stsReplicas, view.members.size());
                    status.membershipStep = step;
                }
            }
            ClusterObservation o = new ClusterObservation(name, desired, stsReplicas, view.members, view.leader,
                    view.ready, running, podsByName.keySet(), status.membershipStep);
            MembershipPlanner.Action action = MembershipPlanner.plan(o);
            held = execute(cluster, action, view, now);
            busy = status.membershipStep != null || !(action instanceof MembershipPlanner.Idle);
            if (!busy && view.members != null && !held) {
                busy = rollOutdatedPod(cluster, sts, podsByName, view);
            }
        }
        if (!held) {
            Conditions.set(status.conditions, SCALE_HELD, false, "NoUnsafeStep", "no membership change is held",
                    generation, now);
        }
        int memberCount = view.members == null ? stsReplicas : view.members.size();
        pdbs.apply(cluster, Quorum.tolerableFailures(Math.max(1, memberCount)));

        // 5. Status.
        fillStatus(cluster, view, memberCount, formed, busy, held, now);
        boolean settled = formed && !busy && "Running".equals(status.phase);
        statusWriter.write(cluster, status, before);
        return UpdateControl.<KingbusCluster>noUpdate().rescheduleAfter(settled ? idleRequeue : busyRequeue);
    }

    // ------------------------------------------------------------------------------------------------ observation

    /** The raft group as the nodes report it. */
    private static final class RaftView {
        List<String> members;
        Map<String, String> ids = new LinkedHashMap<>();
        String leader;
        Set<String> ready = new LinkedHashSet<>();
        Map<String, NodeAdminClient.Readiness> readiness = new LinkedHashMap<>();
    }

    /**
     * Asks the pods' nodes: GET /cluster from the first that answers (the leader's answer preferred when found), and
     * GET /ready from every member and pod.
     */
    private RaftView observeRaft(KingbusCluster c, Set<String> podNames, MembershipStep step) {
        String ns = c.getMetadata().getNamespace();
        String name = c.getMetadata().getName();
        RaftView v = new RaftView();
        Set<String> ask = new LinkedHashSet<>(podNames);
        for (String pod : ask) {
            try {
                NodeAdminClient.Readiness r = admin.ready(addresses.adminUrl(ns, name, pod));
                v.readiness.put(pod, r);
            } catch (AdminApiException e) {
                log.debug("{}/{}: /ready: {}", ns, pod, e.getMessage());
            }
        }
        // Prefer a node that reports itself ready (a voter with a leader), and not the one being removed.
        List<String> order = new ArrayList<>();
        v.readiness.forEach((pod, r) -> {
            if (r.ready()) {
                order.add(pod);
            }
        });
        for (String pod : ask) {
            if (!order.contains(pod)) {
                order.add(pod);
            }
        }
        if (step != null && !step.isAdd()) {
            order.remove(step.member);
            order.add(step.member);
        }
        for (String pod : order) {
            try {
                List<NodeAdminClient.ClusterMember> members = admin.cluster(addresses.adminUrl(ns, name, pod));
                if (members.isEmpty()) {
                    continue;
                }
                v.members = new ArrayList<>();
                for (NodeAdminClient.ClusterMember m : members) {
                    v.members.add(m.name());
                    v.ids.put(m.name(), m.id());
                    if (m.leader()) {
                        v.leader = m.name();
                    }
                }
                break;
            } catch (AdminApiException e) {
                log.debug("{}/{}: /cluster: {}", ns, pod, e.getMessage());
            }
        }
        if (v.members != null) {
            for (String m : v.members) {
                NodeAdminClient.Readiness r = v.readiness.get(m);
                if (r != null && r.ready()) {
                    v.ready.add(m);
                }
            }
            // A step's new member is not in GET /cluster until its add commits; its readiness still counts.
            if (step != null && step.isAdd() && v.readiness.containsKey(step.member)
                    && v.readiness.get(step.member).ready()) {
                v.ready.add(step.member);
            }
        }
        return v;
    }

    /**
     * A step the operator took but did not record (it stopped between acting and writing the status): the StatefulSet
     * has one pod more than the raft group has members, and that pod is the next ordinal.
     */
    static MembershipStep impliedStep(String name, int desired, int stsReplicas, List<String> members, Instant now) {
        int count = members.size();
        if (stsReplicas != count + 1) {
            return null;
        }
        for (int i = 0; i < count; i++) {
            if (!members.contains(name + "-" + i)) {
                return null;
            }
        }
        String extra = name + "-" + count;
        return desired > count
                ? new MembershipStep(MembershipStep.ADD, extra, now.toString(), MembershipStep.WAITING_FOR_POD)
                : new MembershipStep(MembershipStep.REMOVE, extra, now.toString(), MembershipStep.SHRINKING);
    }

    // ------------------------------------------------------------------------------------------------ actions

    /** Carries out one planned action. Returns true when a scale-down is held. */
    private boolean execute(KingbusCluster c, MembershipPlanner.Action action, RaftView view, Instant now) {
        KingbusClusterStatus status = c.getStatus();
        String ns = c.getMetadata().getNamespace();
        String name = c.getMetadata().getName();
        if (action instanceof MembershipPlanner.Idle) {
            return false;
        }
        if (action instanceof MembershipPlanner.Wait w) {
            log.debug("KingbusCluster {}/{}: {}", ns, name, w.reason());
            return false;
        }
        if (action instanceof MembershipPlanner.StartAdd a) {
            status.membershipStep = new MembershipStep(MembershipStep.ADD, a.member(), now.toString(),
                    MembershipStep.WAITING_FOR_POD);
            scaleStatefulSet(c, a.replicas());
            events.normal(c, "ScalingUp", "adding member " + a.member() + ": StatefulSet raised to "
                    + a.replicas() + " pods; the member is added once its pod runs");
            return false;
        }
        if (action instanceof MembershipPlanner.ScaleStatefulSet s) {
            scaleStatefulSet(c, s.replicas());
            return false;
        }
        if (action instanceof MembershipPlanner.AddMember a) {
            URI target = changeTarget(c, view, null);
            if (target == null) {
                log.info("KingbusCluster {}/{}: adding {} waits for a ready member to ask", ns, name, a.member());
                return false;
            }
            try {
                admin.addMember(target, a.member(), addresses.peerUrl(ns, name, a.member()),
                        addresses.adminUrl(ns, name, a.member()));
                if (!MembershipStep.JOINING.equals(status.membershipStep.state)) {
                    events.normal(c, "MemberJoining", "POST /members " + a.member() + " accepted; waiting for it "
                            + "to catch up and become a voter");
                }
                status.membershipStep.state = MembershipStep.JOINING;
            } catch (AdminApiException e) {
                if (e.isConflict() && e.getMessage().contains("already exists")) {
                    status.membershipStep.state = MembershipStep.JOINING;
                } else if (e.isConflict()) {
                    // Expected while the node's own change runs: it waits for the new member to start and catch up.
                    log.debug("KingbusCluster {}/{}: adding {}: {}", ns, name, a.member(), e.getMessage());
                } else {
                    log.info("KingbusCluster {}/{}: adding {} not accepted yet: {}", ns, name, a.member(),
                            e.getMessage());
                }
            }
            return false;
        }
        if (action instanceof MembershipPlanner.CancelAdd a) {
            status.membershipStep = new MembershipStep(MembershipStep.REMOVE, a.member(), now.toString(),
                    a.inRaft() ? MembershipStep.REMOVING : MembershipStep.SHRINKING);
            events.normal(c, "AddCancelled", "replicas lowered to " + c.getSpec().replicasOrDefault() + " before "
                    + a.member() + " became a ready voter; "
                    + (a.inRaft() ? "removing it from the raft group, then " : "") + "shrinking the StatefulSet");
            return false;
        }
        if (action instanceof MembershipPlanner.FinishAdd a) {
            status.membershipStep = null;
            events.normal(c, "MemberAdded", "member " + a.member() + " is a caught-up voting member");
            return false;
        }
        if (action instanceof MembershipPlanner.RemoveMember r) {
            URI target = changeTarget(c, view, r.member());
            if (target == null) {
                return hold(c, "NoReadyMember", "removing " + r.member() + " needs another ready member to ask",
                        now);
            }
            try {
                admin.removeMember(target, r.member(), addresses.peerUrl(ns, name, r.member()));
                if (!r.resend()) {
                    events.normal(c, "RemovingMember", "DELETE /members " + r.member() + " accepted; the "
                            + "StatefulSet shrinks once it has left the raft group");
                }
            } catch (AdminApiException e) {
                if (e.status() == 404) {
                    log.info("KingbusCluster {}/{}: {} is no member any more", ns, name, r.member());
                } else if (!r.resend() && e.isConflict() && !e.getMessage().contains("in progress")
                        && !e.getMessage().contains("still changing")) {
                    return hold(c, "RefusedByCluster", "removing " + r.member() + " refused: " + e.getMessage(),
                            now);
                } else {
                    if (r.resend() && e.isConflict()) {
                        log.debug("KingbusCluster {}/{}: removing {}: {}", ns, name, r.member(), e.getMessage());
                    } else {
                        log.info("KingbusCluster {}/{}: removing {} not accepted yet: {}", ns, name, r.member(),
                                e.getMessage());
                    }
                    return false;
                }
            }
            if (status.membershipStep == null) {
                status.membershipStep = new MembershipStep(MembershipStep.REMOVE, r.member(), now.toString(),
                        MembershipStep.REMOVING);
            }
            return false;
        }
        if (action instanceof MembershipPlanner.Shrink s) {
            status.membershipStep.state = MembershipStep.SHRINKING;
            scaleStatefulSet(c, s.replicas());
            return false;
        }
        if (action instanceof MembershipPlanner.FinishRemove r) {
            status.membershipStep = null;
            // A removed member's data is stale raft state; a later scale-up must start it afresh.
            client.persistentVolumeClaims().inNamespace(ns).withName(ClusterResources.claimName(r.member()))
                    .delete();
            events.normal(c, "MemberRemoved", "member " + r.member() + " left the raft group; its pod and "
                    + "volume claim " + ClusterResources.claimName(r.member()) + " are deleted");
            return false;
        }
        if (action instanceof MembershipPlanner.Hold h) {
            return hold(c, h.reason(), h.message(), now);
        }
        throw new IllegalStateException("unplanned action " + action);
    }

    private boolean hold(KingbusCluster c, String reason, String message, Instant now) {
        KingbusClusterStatus status = c.getStatus();
        var before = Conditions.find(status.conditions, SCALE_HELD);
        String previousMessage = before == null ? null : before.getMessage();
        boolean changed = Conditions.set(status.conditions, SCALE_HELD, true, reason, message,
                c.getMetadata().getGeneration(), now);
        if (changed || !message.equals(previousMessage)) {
            events.warning(c, "ScaleHeld", message);
        }
        return true;
    }

    /** The admin URL to send a membership change to: the leader, else any ready member other than {@code not}. */
    private URI changeTarget(KingbusCluster c, RaftView view, String not) {
        String ns = c.getMetadata().getNamespace();
        String name = c.getMetadata().getName();
        if (view.leader != null && !view.leader.equals(not) && view.ready.contains(view.leader)) {
            return addresses.adminUrl(ns, name, view.leader);
        }
        for (String m : view.ready) {
            if (!m.equals(not)) {
                return addresses.adminUrl(ns, name, m);
            }
        }
        return null;
    }

    private void scaleStatefulSet(KingbusCluster c, int replicas) {
        if (serverSideApply) {
            StatefulSet existing = client.apps().statefulSets().inNamespace(c.getMetadata().getNamespace())
                    .withName(c.getMetadata().getName()).get();
            applyStatefulSet(c, existing, replicas);
        } else {
            client.apps().statefulSets().inNamespace(c.getMetadata().getNamespace())
                    .withName(c.getMetadata().getName()).edit(s -> {
                        s.getSpec().setReplicas(replicas);
                        return s;
                    });
        }
        log.info("KingbusCluster {}/{}: StatefulSet scaled to {}", c.getMetadata().getNamespace(),
                c.getMetadata().getName(), replicas);
    }

    /**
     * Deletes one pod whose template is outdated (the StatefulSet's OnDelete strategy recreates it from the new
     * template): followers first, highest ordinal first, the leader last; only while every member is ready.
     * Returns true while an update is in progress.
     */
    private boolean rollOutdatedPod(KingbusCluster c, StatefulSet sts, Map<String, Pod> pods, RaftView view) {
        String want = ClusterResources.templateHash(sts.getSpec().getTemplate().getMetadata().getAnnotations());
        List<String> outdated = new ArrayList<>();
        for (String m : view.members) {
            Pod p = pods.get(m);
            if (p == null || !Objects.equals(want, ClusterResources.templateHash(p.getMetadata().getAnnotations()))) {
                outdated.add(m);
            }
        }
        if (outdated.isEmpty()) {
            return false;
        }
        if (view.leader == null || !view.ready.containsAll(view.members) || pods.size() != view.members.size()) {
            return true; // wait until the previous restart is back and caught up
        }
        outdated.sort(Comparator.comparingInt((String m) -> m.equals(view.leader) ? 1 : 0)
                .thenComparing(Comparator.comparingInt((String m) -> ordinal(c, m)).reversed()));
        String victim = outdated.get(0);
        client.pods().inNamespace(c.getMetadata().getNamespace()).withName(victim).delete();
        events.normal(c, "RestartingMember", "restarting " + victim + (victim.equals(view.leader) ? " (the leader, "
                + "last)" : "") + " to apply the new pod template; " + (outdated.size() - 1) + " more after it");
        return true;
    }

    private static int ordinal(KingbusCluster c, String member) {
        String prefix = c.getMetadata().getName() + "-";
        try {
            return Integer.parseInt(member.substring(prefix.length()));
        } catch (RuntimeException e) {
            return -1;
        }
    }

    // ------------------------------------------------------------------------------------------------ status

    private void fillStatus(KingbusCluster c, RaftView view, int memberCount, boolean formed, boolean busy,
                            boolean held, Instant now) {
        KingbusClusterStatus s = c.getStatus();
        Long generation = c.getMetadata().getGeneration();
        int desired = c.getSpec().replicasOrDefault();
        s.observedGeneration = generation;
        s.leader = view.leader;
        s.replicas = memberCount;
        List<MemberStatus> members = new ArrayList<>();
        if (view.members != null) {
            for (String m : view.members) {
                NodeAdminClient.Readiness r = view.readiness.get(m);
                members.add(new MemberStatus(m, view.ids.get(m), r == null ? "unreachable"
                        : r.role() == null ? "not-ready" : r.role().toLowerCase(java.util.Locale.ROOT),
                        r == null || !r.ready() ? null : r.appliedIndex(), view.ready.contains(m)));
            }
        }
        s.members = members;
        int ready = (int) members.stream().filter(m -> Boolean.TRUE.equals(m.ready)).count();
        s.readyReplicas = ready;
        boolean quorum = view.leader != null && memberCount > 0 && ready >= Quorum.of(memberCount);
        boolean allReady = view.members != null && ready == memberCount && view.leader != null;
        boolean complete = allReady && memberCount == desired && s.membershipStep == null && !busy;
        if (!formed) {
            s.phase = "Creating";
        } else if (s.membershipStep != null || memberCount != desired) {
            s.phase = "Scaling";
        } else if (!allReady) {
            s.phase = "Degraded";
        } else if (busy) {
            s.phase = "Updating";
        } else {
            s.phase = "Running";
        }
        Conditions.set(s.conditions, READY, complete, complete ? "AllMembersReady" : s.phase,
                complete ? memberCount + " of " + desired + " members are caught-up voters with leader " + view.leader
                        : ready + " of " + memberCount + " members ready, " + desired + " wanted, leader "
                        + (view.leader == null ? "unknown" : view.leader) + (held ? " (scaling held)" : ""),
                generation, now);
        boolean changed = Conditions.set(s.conditions, AVAILABLE, quorum, quorum ? "QuorumAvailable"
                        : view.leader == null ? "NoLeader" : "NoQuorum",
                quorum ? ready + " ready members, quorum " + Quorum.of(memberCount)
                        : "leader " + (view.leader == null ? "unknown" : view.leader) + ", " + ready + " of "
                        + memberCount + " members ready", generation, now);
        if (changed && formed && !quorum) {
            events.warning(c, "QuorumLost", "the cluster has no working quorum: " + ready + " of " + memberCount
                    + " members ready, leader " + (view.leader == null ? "unknown" : view.leader));
        }
    }

    // ------------------------------------------------------------------------------------------------ apply

    /** Server-side apply as {@value FieldManager#NAME}: only {@code desired}'s fields are owned; others' survive. */
    private <T extends io.fabric8.kubernetes.api.model.HasMetadata> T apply(T desired) {
        return client.resource(desired).fieldManager(FieldManager.NAME).forceConflicts().serverSideApply();
    }

    private void applyService(Service desired) {
        if (serverSideApply) {
            apply(desired);
            return;
        }
        Service existing = client.services().inNamespace(desired.getMetadata().getNamespace())
                .withName(desired.getMetadata().getName()).get();
        if (existing == null) {
            client.resource(desired).create();
            return;
        }
        if (!Objects.equals(existing.getSpec().getPorts(), desired.getSpec().getPorts())
                || !Objects.equals(existing.getSpec().getSelector(), desired.getSpec().getSelector())) {
            client.resource(existing).edit(s -> {
                s.getSpec().setPorts(desired.getSpec().getPorts());
                s.getSpec().setSelector(desired.getSpec().getSelector());
                return s;
            });
        }
    }

    private void applyConfigMap(ConfigMap existing, ConfigMap desired) {
        if (serverSideApply) {
            apply(desired);
        } else if (existing == null) {
            client.resource(desired).create();
        } else if (!Objects.equals(existing.getData(), desired.getData())) {
            client.resource(existing).edit(m -> {
                m.setData(desired.getData());
                return m;
            });
        }
    }

    /** Brings the StatefulSet's pod template up to date; its replicas stay as the membership steps left them. */
    private StatefulSet applyTemplate(StatefulSet existing, StatefulSet desired) {
        String have = ClusterResources.templateHash(existing.getSpec().getTemplate().getMetadata().getAnnotations());
        String want = ClusterResources.templateHash(desired.getSpec().getTemplate().getMetadata().getAnnotations());
        if (Objects.equals(have, want)) {
            return existing;
        }
        log.info("StatefulSet {}/{}: pod template changed ({} -> {}); pods are restarted one at a time",
                existing.getMetadata().getNamespace(), existing.getMetadata().getName(), have, want);
        return client.resource(existing).edit(s -> {
            s.getSpec().setTemplate(desired.getSpec().getTemplate());
            return s;
        });
    }

    /**
     * Applies the whole StatefulSet with {@code replicas} (always what the membership steps want, never the spec's
     * target). Its volume claim template cannot change after creation, so the existing one's size and class are kept.
     */
    private StatefulSet applyStatefulSet(KingbusCluster c, StatefulSet existing, int replicas) {
        StatefulSet desired = ClusterResources.statefulSet(c, replicas);
        if (existing != null) {
            String have = ClusterResources.templateHash(existing.getSpec().getTemplate().getMetadata()
                    .getAnnotations());
            String want = ClusterResources.templateHash(desired.getSpec().getTemplate().getMetadata()
                    .getAnnotations());
            if (!Objects.equals(have, want)) {
                log.info("StatefulSet {}/{}: pod template changed ({} -> {}); pods are restarted one at a time",
                        existing.getMetadata().getNamespace(), existing.getMetadata().getName(), have, want);
            }
            var existingClaims = existing.getSpec().getVolumeClaimTemplates();
            var claims = desired.getSpec().getVolumeClaimTemplates();
            if (existingClaims != null && existingClaims.size() == 1 && claims.size() == 1) {
                var was = existingClaims.get(0).getSpec();
                var want0 = claims.get(0).getSpec();
                want0.setStorageClassName(was.getStorageClassName());
                if (was.getResources() != null && was.getResources().getRequests() != null) {
                    want0.getResources().setRequests(was.getResources().getRequests());
                }
            }
        }
        return apply(desired);
    }
}

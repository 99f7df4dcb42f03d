package io.kingbus.operator.syncer;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.kingbus.operator.admin.AdminApiException;
import io.kingbus.operator.admin.MemberAddresses;
import io.kingbus.operator.admin.NodeAdminClient;
import io.kingbus.operator.api.BinlogSyncer;
import io.kingbus.operator.api.BinlogSyncerSpec;
import io.kingbus.operator.api.BinlogSyncerStatus;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.api.SecretKeys;
import io.kingbus.operator.cluster.ClusterResources;
import io.kingbus.operator.support.Conditions;
import io.kingbus.operator.support.EventRecorder;
import io.kingbus.operator.support.StatusWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Reconciles a BinlogSyncer: starts the cluster's syncer with the spec's arguments (PUT /binlog/syncer/start through
 * any ready member; followers forward to the leader), restarts it (stop, then start) when the arguments or the
 * credentials Secret change, stops it while {@code spec.paused}, polls GET /binlog/syncer/status into the status, and
 * stops it before the resource goes (finalizer). The MySQL password is read from the Secret for each start and never
 * written anywhere else.
 */
@ControllerConfiguration(name = BinlogSyncerReconciler.NAME)
public class BinlogSyncerReconciler implements Reconciler<BinlogSyncer>, Cleaner<BinlogSyncer> {
    public static final String NAME = "binlogsyncer";
    /** Condition: the syncer runs (or is stopped) as the spec says. */
    public static final String SYNCED = "Synced";
    /** Condition: the node reports the syncer running (replicating from the primary). */
    public static final String RUNNING = "Running";

    private static final Logger log = LoggerFactory.getLogger(BinlogSyncerReconciler.class);

    private final KubernetesClient client;
    private final MemberAddresses addresses;
    private final NodeAdminClient admin;
    private final EventRecorder events;
    private final Duration pollInterval;
    private final StatusWriter statusWriter;

    /** {@code serverSideApply}: the status is written by server-side apply, else by JSON patch. */
    public BinlogSyncerReconciler(KubernetesClient client, MemberAddresses addresses, NodeAdminClient admin,
                                  EventRecorder events, Duration pollInterval, boolean serverSideApply) {
        this.client = client;
        this.statusWriter = new StatusWriter(client, serverSideApply);
        this.addresses = addresses;
        this.admin = admin;
        this.events = events;
        this.pollInterval = pollInterval;
    }

    @Override
    public UpdateControl<BinlogSyncer> reconcile(BinlogSyncer cached, Context<BinlogSyncer> context) {
        // The informer's copy may lag behind the status written a moment ago (credentialsVersion matters).
        BinlogSyncer syncer = client.resources(BinlogSyncer.class).inNamespace(cached.getMetadata().getNamespace())
                .withName(cached.getMetadata().getName()).get();
        if (syncer == null || syncer.getMetadata().getDeletionTimestamp() != null) {
            return UpdateControl.noUpdate();
        }
        String before = syncer.getStatus() == null ? null : statusWriter.snapshot(syncer.getStatus());
        BinlogSyncerStatus status = syncer.getStatus() == null ? new BinlogSyncerStatus() : syncer.getStatus();
        syncer.setStatus(status);
        // RFC 3339 seconds, as Kubernetes writes times.
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Long generation = syncer.getMetadata().getGeneration();
        if (syncer.paused()) {
            Conditions.set(status.conditions, SYNCED, false, "Paused", KingbusCluster.PAUSED_ANNOTATION
                    + " is true: not reconciling", generation, now);
            // Annotation changes do not bump the generation, so JOSDK sends no event for them: look again later.
            return writeStatus(syncer, before);
        }
        BinlogSyncerSpec spec = syncer.getSpec();
        URI target;
        try {
            target = readyMember(syncer);
        } catch (IllegalStateException e) {
            return notSynced(syncer, before, "ClusterUnavailable", e.getMessage(), now);
        }
        try {
            NodeAdminClient.SyncerReport report = admin.syncerStatus(target);
            boolean stopped = "stopped".equals(report.status());
            if (spec.stopRequested()) {
                if (!stopped) {
                    admin.stopSyncer(target);
                    events.normal(syncer, "SyncerStopped", "spec.paused is true: syncer stopped");
                }
                status.credentialsVersion = null;
            } else {
                Secret secret = client.secrets().inNamespace(syncer.getMetadata().getNamespace())
                        .withName(spec.credentialsSecret.name).get();
                NodeAdminClient.SyncerArgs args;
                try {
                    args = arguments(spec, secret);
                } catch (IllegalStateException e) {
                    return notSynced(syncer, before, "CredentialsUnavailable", e.getMessage(), now);
                }
                String secretVersion = secret.getMetadata().getResourceVersion();
                if (stopped) {
                    admin.startSyncer(target, args);
                    events.normal(syncer, "SyncerStarted", "syncer started: " + args);
                } else if (!sameArguments(report, args) || (status.credentialsVersion != null
                        && !status.credentialsVersion.equals(secretVersion))) {
                    admin.stopSyncer(target);
                    admin.startSyncer(target, args);
                    events.normal(syncer, "SyncerRestarted", "syncer restarted with new arguments: " + args);
                }
                status.credentialsVersion = secretVersion;
            }
            report = admin.syncerStatus(target);
            fill(status, report);
        } catch (AdminApiException e) {
            return notSynced(syncer, before, "AdminApiError", e.getMessage(), now);
        }
        status.observedGeneration = generation;
        Conditions.set(status.conditions, SYNCED, true, spec.stopRequested() ? "Stopped" : "Started",
                spec.stopRequested() ? "the syncer is stopped (spec.paused)" : "the syncer runs with the spec's arguments",
                generation, now);
        boolean running = "running".equals(status.state);
        Conditions.set(status.conditions, RUNNING, running, status.state == null ? "Unknown" : status.state,
                running ? "replicating from " + spec.mysqlAddr
                        : status.lastError == null || status.lastError.isEmpty() ? "syncer " + status.state
                        : status.lastError, generation, now);
        return writeStatus(syncer, before);
    }

    private UpdateControl<BinlogSyncer> writeStatus(BinlogSyncer syncer, String before) {
        statusWriter.write(syncer, syncer.getStatus(), before);
        return UpdateControl.<BinlogSyncer>noUpdate().rescheduleAfter(pollInterval);
    }

    @Override
    public DeleteControl cleanup(BinlogSyncer syncer, Context<BinlogSyncer> context) {
        String ns = syncer.getMetadata().getNamespace();
        KingbusCluster cluster = client.resources(KingbusCluster.class).inNamespace(ns)
                .withName(syncer.getSpec().clusterRef.name).get();
        if (cluster == null || cluster.getMetadata().getDeletionTimestamp() != null) {
            log.info("BinlogSyncer {}/{} deleted; cluster {} is gone, no syncer to stop", ns,
                    syncer.getMetadata().getName(), syncer.getSpec().clusterRef.name);
            return DeleteControl.defaultDelete();
        }
        try {
            admin.stopSyncer(readyMember(syncer));
            events.normal(syncer, "SyncerStopped", "syncer stopped: the BinlogSyncer is being deleted");
            return DeleteControl.defaultDelete();
        } catch (IllegalStateException | AdminApiException e) {
            log.info("BinlogSyncer {}/{} deleted, but its syncer cannot be stopped yet: {}", ns,
                    syncer.getMetadata().getName(), e.getMessage());
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(pollInterval);
        }
    }

    private UpdateControl<BinlogSyncer> notSynced(BinlogSyncer syncer, String before, String reason, String message,
                                                  Instant now) {
        BinlogSyncerStatus status = syncer.getStatus();
        var previous = Conditions.find(status.conditions, SYNCED);
        String reasonBefore = previous == null ? null : previous.getReason();
        boolean changed = Conditions.set(status.conditions, SYNCED, false, reason, message,
                syncer.getMetadata().getGeneration(), now);
        if (changed || !reason.equals(reasonBefore)) {
            events.warning(syncer, reason, message); // once per new problem, not once per poll
        } else {
            log.debug("BinlogSyncer {}/{}: {}: {}", syncer.getMetadata().getNamespace(),
                    syncer.getMetadata().getName(), reason, message);
        }
        if (!"AdminApiError".equals(reason)) {
            status.state = "unknown";
        }
        return writeStatus(syncer, before);
    }

    /** The admin URL of a ready member of the referenced cluster (lowest ordinal first). */
    private URI readyMember(BinlogSyncer syncer) {
        String ns = syncer.getMetadata().getNamespace();
        String clusterName = syncer.getSpec().clusterRef.name;
        KingbusCluster cluster = client.resources(KingbusCluster.class).inNamespace(ns).withName(clusterName).get();
        if (cluster == null) {
            throw new IllegalStateException("KingbusCluster " + clusterName + " does not exist");
        }
        List<Pod> pods = client.pods().inNamespace(ns).withLabels(ClusterResources.selectorLabels(cluster)).list()
                .getItems();
        pods.sort(Comparator.comparing(p -> p.getMetadata().getName()));
        for (Pod p : pods) {
            URI url = addresses.adminUrl(ns, clusterName, p.getMetadata().getName());
            try {
                if (admin.ready(url).ready()) {
                    return url;
                }
            } catch (AdminApiException e) {
                log.debug("{}/{}: {}", ns, p.getMetadata().getName(), e.getMessage());
            }
        }
        throw new IllegalStateException("KingbusCluster " + clusterName + " has no ready member to ask");
    }

    /** The start arguments; the user and password from the Secret. Messages never include the values. */
    static NodeAdminClient.SyncerArgs arguments(BinlogSyncerSpec spec, Secret secret) {
        SecretKeys keys = spec.credentialsSecret;
        if (secret == null) {
            throw new IllegalStateException("Secret " + keys.name + " does not exist");
        }
        String user = secretValue(secret, keys.userKey);
        String password = secretValue(secret, keys.passwordKey);
        return new NodeAdminClient.SyncerArgs(spec.syncerId, spec.syncerUuid, spec.mysqlAddr, user, password,
                spec.semiSyncOn());
    }

    private static String secretValue(Secret secret, String key) {
        String encoded = secret.getData() == null ? null : secret.getData().get(key);
        if (encoded != null) {
            return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        }
        String plain = secret.getStringData() == null ? null : secret.getStringData().get(key);
        if (plain != null) {
            return plain;
        }
        throw new IllegalStateException("Secret " + secret.getMetadata().getName() + " has no key " + key);
    }

    /** Whether the node runs the syncer with these arguments (the password is compared through the Secret). */
    static boolean sameArguments(NodeAdminClient.SyncerReport r, NodeAdminClient.SyncerArgs a) {
        return r.syncerId() == a.syncerId() && a.syncerUuid().equalsIgnoreCase(Objects.toString(r.syncerUuid(), ""))
                && a.mysqlAddr().equals(r.mysqlAddr()) && a.mysqlUser().equals(r.mysqlUser())
                && r.semiSync() == a.semiSync();
    }

    private static void fill(BinlogSyncerStatus s, NodeAdminClient.SyncerReport r) {
        s.state = r.status();
        // The node reports "" for what it does not have yet; the real API server (1.20) refuses those status
        // fields as "null" of the wrong type, so they are left out instead (found by the real-apiserver scenarios).
        s.executedGtidSet = emptyToNull(r.executedGtidSet());
        s.purgedGtidSet = emptyToNull(r.purgedGtidSet());
        s.lastBinlogFile = emptyToNull(r.lastBinlogFile());
        s.lastFilePosition = r.lastFilePosition();
        s.lagSeconds = r.lagSeconds();
        s.lastError = emptyToNull(r.lastError());
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}

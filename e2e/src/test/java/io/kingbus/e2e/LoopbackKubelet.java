package io.kingbus.e2e;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.node.NodeConfig;
import io.kingbus.operator.admin.MemberAddresses;
import io.kingbus.operator.cluster.ClusterResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Plays the StatefulSet controller and the kubelet for the KingbusClusters of one namespace on a real API server,
 * with real kingbus nodes as JVMs on loopback ({@link ClusterHarness} / {@link NodeProcess}): the API server alone
 * runs no controllers and no pods, and there is no container runtime here.
 *
 * <p>Every 200 ms, for each StatefulSet: an ordinal below {@code replicas} without a Pod gets its PersistentVolumeClaim
 * {@code data-<pod>} (a new claim means an empty data dir), its container "started" — the pod's real entrypoint.sh
 * from the ConfigMap run under /bin/sh with the environment the template gives it (field, ConfigMap and plain values),
 * its kingbus command replaced by one that reports what it would run — and a real node started with that name,
 * initial-cluster and initial-cluster-state, each DNS peer URL translated to the member's loopback URL; then the Pod
 * (template labels and annotations, controller owner reference to the StatefulSet) is created and its status set
 * Running. The Ready condition mirrors the node's {@code GET /ready}, written through the status subresource. Pods at
 * or beyond {@code replicas} are deleted and their node stopped (SIGTERM). A deleted claim's pvc-protection finalizer
 * is removed once no pod uses it (that controller does not run either). A node that dies is restarted, like a
 * container, unless a test {@link #takeDown took it down}.
 *
 * <p>As a {@link MemberAddresses} it maps each member to the loopback peer and admin URLs of its node, so the
 * operator under test registers and calls exactly what the node was started with.
 */
final class LoopbackKubelet implements MemberAddresses, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LoopbackKubelet.class);
    private static final String PVC_PROTECTION = "kubernetes.io/pvc-protection";

    private final KubernetesClient client;
    private final String namespace;
    private final Path root;
    private final ClusterHarness.Options nodeOptions;
    private final Map<String, ClusterHarness> harnesses = new ConcurrentHashMap<>();
    private final Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
    private final Set<String> takenDown = ConcurrentHashMap.newKeySet();
    private final Map<String, Boolean> readyWritten = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "loopback-kubelet");
        t.setDaemon(true);
        return t;
    });
    private volatile String lastFailure;

    /** {@code nodeJvmArgs}: options of every node JVM (heap, GC); raft timings and token come from the ConfigMap. */
    LoopbackKubelet(KubernetesClient client, String namespace, Path root, List<String> nodeJvmArgs) {
        this.client = client;
        this.namespace = namespace;
        this.root = root;
        this.nodeOptions = ClusterHarness.Options.tests().withJvmArgs(nodeJvmArgs);
        // The controller-manager would create it; the ServiceAccount admission plugin wants it for every pod.
        if (client.serviceAccounts().inNamespace(namespace).withName("default").get() == null) {
            client.resource(new ServiceAccountBuilder().withNewMetadata().withName("default").withNamespace(namespace)
                    .endMetadata().build()).create();
        }
    }

    LoopbackKubelet start() {
        loop.scheduleWithFixedDelay(this::tick, 0, 200, TimeUnit.MILLISECONDS);
        return this;
    }

    // ------------------------------------------------------------------------------------- for the tests

    /** The node of a member (created on first use: the URLs of a member exist before its pod). */
    NodeProcess node(String cluster, String member) {
        return nodeOf(cluster, member);
    }

    /** kill -9 of a member's node, which stays down (its pod not ready) until {@link #bringUp}. */
    void takeDown(String cluster, String member) throws InterruptedException {
        takenDown.add(key(cluster, member));
        nodeOf(cluster, member).kill();
        log.info("took down {} (kill -9)", member);
    }

    /** Lets the kubelet restart a member's node again (at its next tick). */
    void bringUp(String cluster, String member) {
        takenDown.remove(key(cluster, member));
    }

    /** The last failure of a tick, for timeouts' messages (null if the last tick went through). */
    String lastFailure() {
        return lastFailure;
    }

    /** The tails of the node logs of a cluster. */
    String diagnostics(String cluster) {
        ClusterHarness h = harnesses.get(cluster);
        return h == null ? "(no nodes)" : h.diagnostics();
    }

    /** Pids of the node JVMs still running. */
    List<Long> livePids() {
        return nodes.values().stream().filter(NodeProcess::alive).map(NodeProcess::pid).toList();
    }

    // ------------------------------------------------------------------------------------- MemberAddresses

    @Override
    public URI peerUrl(String ns, String cluster, String member) {
        checkNamespace(ns);
        return URI.create(nodeOf(cluster, member).peerUrl());
    }

    @Override
    public URI adminUrl(String ns, String cluster, String member) {
        checkNamespace(ns);
        return URI.create(nodeOf(cluster, member).adminUrl());
    }

    private void checkNamespace(String ns) {
        if (!namespace.equals(ns)) {
            throw new IllegalArgumentException("this kubelet runs the pods of namespace " + namespace + ", not " + ns);
        }
    }

    private static String key(String cluster, String member) {
        return cluster + "/" + member;
    }

    private synchronized NodeProcess nodeOf(String cluster, String member) {
        ClusterHarness h = harnesses.get(cluster);
        if (h == null) {
            throw new IllegalStateException("no pod of " + cluster + " has started yet: no address for " + member);
        }
        return nodes.computeIfAbsent(key(cluster, member), k -> h.newNode(member));
    }

    /** The cluster's nodes, with the token and raft timings of the first node's configuration (the ConfigMap's). */
    private synchronized ClusterHarness harness(String cluster, NodeConfig config) {
        ClusterHarness h = harnesses.computeIfAbsent(cluster, c -> {
            try {
                return ClusterHarness.create(root.resolve(c), 0, new ClusterHarness.Options(config.heartbeatInterval(),
                        config.electionTimeout(), config.initialClusterToken(), nodeOptions.jvmArgs(),
                        config.binlogServerNice(), config.binlogServerSendBuffer()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!config.initialClusterToken().equals(h.options.token())
                || !config.heartbeatInterval().equals(h.options.heartbeat())
                || !config.electionTimeout().equals(h.options.electionTimeout())) {
            throw new IllegalStateException("the ConfigMap now gives token " + config.initialClusterToken()
                    + ", heartbeat " + config.heartbeatInterval() + ", election timeout " + config.electionTimeout()
                    + "; this kubelet's nodes of " + cluster + " run with " + h.options);
        }
        return h;
    }

    // ------------------------------------------------------------------------------------- the loop

    private void tick() {
        try {
            for (StatefulSet sts : client.apps().statefulSets().inNamespace(namespace).list().getItems()) {
                syncStatefulSet(sts);
            }
            releaseDeletedClaims();
            lastFailure = null;
        } catch (KubernetesClientException e) {
            // e.g. a conflict with the operator's writes; the next tick looks again
            lastFailure = e.getMessage();
        } catch (RuntimeException | IOException e) {
            lastFailure = e.toString();
            log.warn("loopback kubelet: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void syncStatefulSet(StatefulSet sts) throws IOException, InterruptedException {
        String cluster = sts.getMetadata().getName();
        int replicas = sts.getSpec().getReplicas() == null ? 1 : sts.getSpec().getReplicas();
        Map<String, Pod> pods = new HashMap<>();
        client.pods().inNamespace(namespace).withLabels(sts.getSpec().getSelector().getMatchLabels()).list()
                .getItems().forEach(p -> pods.put(p.getMetadata().getName(), p));

        // Beyond replicas: delete (Parallel pod management: all at once), the container gets SIGTERM.
        for (Pod p : pods.values()) {
            String name = p.getMetadata().getName();
            int ordinal = Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
            if (ordinal >= replicas) {
                NodeProcess n = nodes.get(key(cluster, name));
                int exit = n == null ? -1 : n.stop();
                client.pods().inNamespace(namespace).withName(name).delete();
                readyWritten.remove(key(cluster, name));
                log.info("StatefulSet {} has {} replicas: deleted pod {}, its node stopped (exit {})", cluster,
                        replicas, name, exit);
            }
        }
        for (int i = 0; i < replicas; i++) {
            String name = cluster + "-" + i;
            Pod pod = pods.get(name);
            NodeProcess node = nodes.get(key(cluster, name));
            if (pod == null) {
                if (node != null && node.alive()) {
                    node.stop(); // a deleted pod's container goes with it
                }
                createPod(sts, name);
                continue;
            }
            if (node == null || !node.alive() && !takenDown.contains(key(cluster, name))) {
                log.info("node {} is not running: restarting its container", name);
                node = startNode(sts, name);
            }
            boolean ready = node.alive() && answersReady(node);
            if (!Boolean.valueOf(ready).equals(readyWritten.get(key(cluster, name)))) {
                writeStatus(pod, ready);
                readyWritten.put(key(cluster, name), ready);
            }
        }
    }

    private void createPod(StatefulSet sts, String name) throws IOException, InterruptedException {
        String claim = ClusterResources.claimName(name);
        PersistentVolumeClaim pvc = client.persistentVolumeClaims().inNamespace(namespace).withName(claim).get();
        if (pvc != null && pvc.getMetadata().getDeletionTimestamp() != null) {
            return; // the old claim is still going; the StatefulSet controller waits for it too
        }
        if (pvc == null) {
            // A new claim is a new, empty volume.
            deleteTree(root.resolve(sts.getMetadata().getName()).resolve(name).resolve("data"));
            PersistentVolumeClaim template = sts.getSpec().getVolumeClaimTemplates().get(0);
            client.resource(new PersistentVolumeClaimBuilder(template).editMetadata().withName(claim)
                    .withNamespace(namespace).endMetadata().build()).create();
        }
        NodeProcess node = startNode(sts, name);
        var t = sts.getSpec().getTemplate();
        PodSpec spec = new io.fabric8.kubernetes.api.model.PodSpecBuilder(t.getSpec())
                .withHostname(name).withSubdomain(sts.getSpec().getServiceName())
                // No token controller runs, so the ServiceAccount has no token to mount.
                .withAutomountServiceAccountToken(false)
                .addNewVolume().withName(ClusterResources.DATA_VOLUME).withNewPersistentVolumeClaim()
                .withClaimName(claim).endPersistentVolumeClaim().endVolume()
                .build();
        Map<String, String> labels = new LinkedHashMap<>(t.getMetadata().getLabels());
        labels.put("statefulset.kubernetes.io/pod-name", name);
        Pod created = client.resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels)
                .withAnnotations(t.getMetadata().getAnnotations())
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                        .withName(sts.getMetadata().getName()).withUid(sts.getMetadata().getUid())
                        .withController(true).withBlockOwnerDeletion(true).build())
                .endMetadata()
                .withSpec(spec)
                .build()).create();
        writeStatus(created, false);
        readyWritten.put(key(sts.getMetadata().getName(), name), false);
        log.info("created pod {} (node pid {}, peer {}, admin {})", name, node.pid(), node.peerUrl(), node.adminUrl());
    }

    /** Runs the pod's entrypoint to learn the node's configuration, then starts the node on loopback. */
    private NodeProcess startNode(StatefulSet sts, String name) throws IOException, InterruptedException {
        String cluster = sts.getMetadata().getName();
        NodeConfig config = entrypointConfig(sts, name);
        harness(cluster, config);
        Map<String, String> initial = new LinkedHashMap<>();
        for (String member : config.initialCluster().keySet()) {
            initial.put(member, nodeOf(cluster, member).peerUrl());
        }
        NodeProcess node = nodeOf(cluster, name);
        node.setInitialCluster(initial, config.initialClusterState());
        node.start();
        log.info("started node {}: initial-cluster-state {}, initial-cluster {}", name, config.initialClusterState(),
                initial.keySet());
        return node;
    }

    private NodeConfig entrypointConfig(StatefulSet sts, String pod) throws IOException, InterruptedException {
        var container = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        ConfigMap cm = client.configMaps().inNamespace(namespace)
                .withName(sts.getSpec().getTemplate().getSpec().getVolumes().stream()
                        .filter(v -> v.getConfigMap() != null).findFirst().orElseThrow().getConfigMap().getName())
                .get();
        Path dir = Files.createDirectories(root.resolve("entrypoint"));
        Path script = dir.resolve(ClusterResources.ENTRYPOINT);
        Files.writeString(script, cm.getData().get(ClusterResources.ENTRYPOINT));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        // The pod's command is `kingbus node --config ...`; this one prints the environment it was given instead.
        Path kingbus = bin.resolve("kingbus");
        Files.writeString(kingbus, "#!/bin/sh\nenv | grep '^KINGBUS_'\n");
        kingbus.toFile().setExecutable(true);
        // The headless Service's DNS records exist in a real cluster; here every name "resolves".
        Path getent = bin.resolve("getent");
        Files.writeString(getent, "#!/bin/sh\nexit 0\n");
        getent.toFile().setExecutable(true);

        ProcessBuilder pb = new ProcessBuilder(container.getCommand()).redirectErrorStream(true);
        pb.command().replaceAll(arg -> arg.replace("/etc/kingbus/" + ClusterResources.ENTRYPOINT, script.toString()));
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("KINGBUS_"));
        env.put("PATH", bin + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        for (EnvVar e : container.getEnv()) {
            String value = envValue(e, pod, cm);
            if (value != null && !e.getName().startsWith("KINGBUS_BINLOG_SERVER")) {
                env.put(e.getName(), value);
            }
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("entrypoint of " + pod + " failed: " + out);
        }
        Map<String, String> vars = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("KINGBUS_") && eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return NodeConfig.parse(cm.getData().get(ClusterResources.CONFIG_FILE), "kingbus.yaml", vars);
    }

    private String envValue(EnvVar e, String pod, ConfigMap cm) {
        if (e.getValueFrom() == null) {
            return e.getValue();
        }
        var from = e.getValueFrom();
        if (from.getFieldRef() != null) {
            return switch (from.getFieldRef().getFieldPath()) {
                case "metadata.name" -> pod;
                case "metadata.namespace" -> namespace;
                default -> throw new IllegalStateException("unsupported fieldRef " + from.getFieldRef().getFieldPath());
            };
        }
        if (from.getConfigMapKeyRef() != null) {
            ConfigMap source = from.getConfigMapKeyRef().getName().equals(cm.getMetadata().getName()) ? cm
                    : client.configMaps().inNamespace(namespace).withName(from.getConfigMapKeyRef().getName()).get();
            return source.getData().get(from.getConfigMapKeyRef().getKey());
        }
        if (from.getSecretKeyRef() != null) {
            Secret s = client.secrets().inNamespace(namespace).withName(from.getSecretKeyRef().getName()).get();
            String b64 = s == null || s.getData() == null ? null : s.getData().get(from.getSecretKeyRef().getKey());
            return b64 == null ? null : new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
        }
        throw new IllegalStateException("unsupported env source of " + e.getName());
    }

    private static boolean answersReady(NodeProcess node) {
        try {
            return Http.get(node.adminUrl(), "/ready", Duration.ofSeconds(2)).status() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Phase Running and the Ready condition, through the status subresource. */
    private void writeStatus(Pod pod, boolean ready) {
        String now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).editStatus(p -> {
            p.getStatus().setPhase("Running");
            p.getStatus().setPodIP("127.0.0.1");
            if (p.getStatus().getStartTime() == null) {
                p.getStatus().setStartTime(now);
            }
            String s = ready ? "True" : "False";
            p.getStatus().setConditions(new ArrayList<>(List.of(
                    new PodConditionBuilder().withType("Ready").withStatus(s).withLastTransitionTime(now).build(),
                    new PodConditionBuilder().withType("ContainersReady").withStatus(s).withLastTransitionTime(now)
                            .build())));
            return p;
        });
    }

    private void releaseDeletedClaims() {
        for (PersistentVolumeClaim pvc : client.persistentVolumeClaims().inNamespace(namespace).list().getItems()) {
            if (pvc.getMetadata().getDeletionTimestamp() == null
                    || !pvc.getMetadata().getFinalizers().contains(PVC_PROTECTION)) {
                continue;
            }
            String claim = pvc.getMetadata().getName();
            boolean inUse = client.pods().inNamespace(namespace).list().getItems().stream()
                    .anyMatch(p -> p.getSpec().getVolumes().stream().anyMatch(v -> v.getPersistentVolumeClaim() != null
                            && claim.equals(v.getPersistentVolumeClaim().getClaimName())));
            if (!inUse) {
                client.persistentVolumeClaims().inNamespace(namespace).withName(claim).edit(c -> {
                    c.getMetadata().getFinalizers().remove(PVC_PROTECTION);
                    return c;
                });
                log.info("claim {} deleted (no pod uses it)", claim);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        loop.shutdownNow();
        loop.awaitTermination(30, TimeUnit.SECONDS);
        for (ClusterHarness h : harnesses.values()) {
            h.close();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

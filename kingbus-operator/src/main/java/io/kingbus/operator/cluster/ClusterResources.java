package io.kingbus.operator.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.kingbus.operator.admin.DnsMemberAddresses;
import io.kingbus.operator.api.BinlogServerSpec;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.api.KingbusClusterSpec;
import io.kingbus.operator.api.PodTemplateOverrides;
import io.kingbus.operator.api.SecretKeys;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The Kubernetes objects of a KingbusCluster, built from its spec: headless peer Service, client Service, ConfigMap
 * (node config, entrypoint, bootstrap member set), StatefulSet and PodDisruptionBudget parameters. Pure functions.
 */
public final class ClusterResources {
    public static final String LABEL_NAME = "app.kubernetes.io/name";
    public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "kingbus-operator";
    /** Hash of the pod template; a pod whose annotation differs runs an old template (OnDelete rolling). */
    public static final String TEMPLATE_HASH_ANNOTATION = "kingbus.io/template-hash";

    /** Hash of the node configuration file the pods were started with. */
    public static final String CONFIG_HASH_ANNOTATION = "kingbus.io/config-hash";

    public static final String CONFIG_FILE = "kingbus.yaml";
    public static final String ENTRYPOINT = "entrypoint.sh";
    public static final String BOOTSTRAP_MEMBERS = "bootstrap-members";
    public static final String CLUSTER_STATE = "cluster-state";
    public static final String DATA_VOLUME = "data";
    public static final String DATA_DIR = "/var/lib/kingbus";
    public static final String CONTAINER = "kingbus";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ENTRYPOINT_SCRIPT = readResource("entrypoint.sh");

    private ClusterResources() {
    }

    public static String peersServiceName(KingbusCluster c) {
        return DnsMemberAddresses.peersServiceName(c.getMetadata().getName());
    }

    public static String configMapName(KingbusCluster c) {
        return c.getMetadata().getName() + "-config";
    }

    /** The PersistentVolumeClaim the StatefulSet made for a member. */
    public static String claimName(String member) {
        return DATA_VOLUME + "-" + member;
    }

    public static Map<String, String> selectorLabels(KingbusCluster c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(LABEL_NAME, "kingbus");
        m.put(LABEL_INSTANCE, c.getMetadata().getName());
        return m;
    }

    /** status.selector: the selector labels as a label-selector string. */
    public static String selectorString(KingbusCluster c) {
        StringJoiner j = new StringJoiner(",");
        selectorLabels(c).forEach((k, v) -> j.add(k + "=" + v));
        return j.toString();
    }

    public static Map<String, String> labels(KingbusCluster c) {
        Map<String, String> m = selectorLabels(c);
        m.put(LABEL_MANAGED_BY, MANAGER);
        return m;
    }

    public static OwnerReference ownerReference(HasMetadata owner) {
        return new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }

    public static Service peersService(KingbusCluster c) {
        return new ServiceBuilder()
                .withNewMetadata().withName(peersServiceName(c)).withNamespace(c.getMetadata().getNamespace())
                .withLabels(labels(c)).withOwnerReferences(ownerReference(c)).endMetadata()
                .withNewSpec()
                .withClusterIP("None")
                // Raft peers must resolve each other before they are ready (a joining node is not ready).
                .withPublishNotReadyAddresses(true)
                .withSelector(selectorLabels(c))
                .withPorts(port("peer", DnsMemberAddresses.PEER_PORT), port("admin", DnsMemberAddresses.ADMIN_PORT))
                .endSpec().build();
    }

    public static Service clientService(KingbusCluster c) {
        List<ServicePort> ports = new ArrayList<>();
        BinlogServerSpec bs = c.getSpec().binlogServer;
        if (bs != null && bs.serverEnabled()) {
            ports.add(port("binlog", bs.portOrDefault()));
        }
        ports.add(port("admin", DnsMemberAddresses.ADMIN_PORT));
        return new ServiceBuilder()
                .withNewMetadata().withName(c.getMetadata().getName()).withNamespace(c.getMetadata().getNamespace())
                .withLabels(labels(c)).withOwnerReferences(ownerReference(c)).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(selectorLabels(c)).withPorts(ports).endSpec()
                .build();
    }

    private static ServicePort port(String name, int port) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(new IntOrString(port))
                .withProtocol("TCP").build();
    }

    /**
     * The ConfigMap. {@code bootstrapMembers} is the member set of the first start and {@code clusterState} is
     * {@code new} until the raft group has formed, then {@code existing} (see entrypoint.sh).
     */
    public static ConfigMap configMap(KingbusCluster c, List<String> bootstrapMembers, String clusterState) {
        Map<String, String> data = new LinkedHashMap<>();
        data.put(CONFIG_FILE, nodeConfigYaml(c));
        data.put(ENTRYPOINT, ENTRYPOINT_SCRIPT);
        data.put(BOOTSTRAP_MEMBERS, String.join(",", bootstrapMembers));
        data.put(CLUSTER_STATE, clusterState);
        return new ConfigMapBuilder()
                .withNewMetadata().withName(configMapName(c)).withNamespace(c.getMetadata().getNamespace())
                .withLabels(labels(c)).withOwnerReferences(ownerReference(c)).endMetadata()
                .withData(data).build();
    }

    /** The keys every node shares; name, URLs and initial-cluster come from the entrypoint's environment. */
    static String nodeConfigYaml(KingbusCluster c) {
        KingbusClusterSpec s = c.getSpec();
        StringBuilder y = new StringBuilder();
        y.append("# Written by kingbus-operator for KingbusCluster ").append(c.getMetadata().getName()).append('\n');
        y.append("initial-cluster-token: ").append(clusterToken(c)).append('\n');
        y.append("data-dir: ").append(DATA_DIR).append('\n');
        if (s.raft != null && s.raft.heartbeatInterval != null) {
            y.append("heartbeat-interval: ").append(s.raft.heartbeatInterval).append('\n');
        }
        if (s.raft != null && s.raft.electionTimeout != null) {
            y.append("election-timeout: ").append(s.raft.electionTimeout).append('\n');
        }
        if (s.reserveDataSize != null) {
            y.append("reserve-data-size: ").append(s.reserveDataSize).append('\n');
        }
        return y.toString();
    }

    /** Names the raft group: stable for the life of the resource. */
    public static String clusterToken(KingbusCluster c) {
        return c.getMetadata().getName() + "." + c.getMetadata().getNamespace();
    }

    /** The StatefulSet with {@code replicas} pods. */
    public static StatefulSet statefulSet(KingbusCluster c, int replicas) {
        KingbusClusterSpec s = c.getSpec();
        Quantity size = s.storage != null && s.storage.size != null ? s.storage.size : new Quantity("10Gi");
        PersistentVolumeClaim claim = new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName(DATA_VOLUME).withLabels(selectorLabels(c)).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce")
                .withStorageClassName(s.storage == null ? null : s.storage.storageClassName)
                .withNewResources().addToRequests("storage", size).endResources()
                .endSpec().build();
        return new StatefulSetBuilder()
                .withNewMetadata().withName(c.getMetadata().getName()).withNamespace(c.getMetadata().getNamespace())
                .withLabels(labels(c)).withOwnerReferences(ownerReference(c)).endMetadata()
                .withNewSpec()
                .withReplicas(replicas)
                .withServiceName(peersServiceName(c))
                // Bootstrap members must all start before any is ready (no quorum alone), so not OrderedReady.
                .withPodManagementPolicy("Parallel")
                // The operator deletes outdated pods itself, one at a time, leader last.
                .withNewUpdateStrategy().withType("OnDelete").endUpdateStrategy()
                .withNewSelector().withMatchLabels(selectorLabels(c)).endSelector()
                .withTemplate(podTemplate(c))
                .withVolumeClaimTemplates(claim)
                .endSpec().build();
    }

    /** The group id the kingbus-node image runs as. */
    public static final long NODE_GID = 10001L;

    public static PodTemplateSpec podTemplate(KingbusCluster c) {
        KingbusClusterSpec s = c.getSpec();
        PodTemplateOverrides o = s.podTemplate == null ? new PodTemplateOverrides() : s.podTemplate;
        Map<String, String> labels = new LinkedHashMap<>();
        if (o.labels != null) {
            labels.putAll(o.labels);
        }
        labels.putAll(labels(c));
        Map<String, String> annotations = new LinkedHashMap<>();
        if (o.annotations != null) {
            annotations.putAll(o.annotations);
        }
        // A node reads its file only at start: a changed file changes the template, so pods restart one by one.
        annotations.put(CONFIG_HASH_ANNOTATION, sha256(nodeConfigYaml(c).getBytes(StandardCharsets.UTF_8)));
        PodTemplateSpec template = new PodTemplateSpecBuilder()
                .withNewMetadata().withLabels(labels).withAnnotations(annotations).endMetadata()
                .withNewSpec()
                .withContainers(container(c))
                .addNewVolume().withName("config").withNewConfigMap().withName(configMapName(c))
                .withDefaultMode(0755).endConfigMap().endVolume()
                .withAffinity(o.affinity)
                .withTolerations(o.tolerations)
                .withNodeSelector(o.nodeSelector)
                .withTerminationGracePeriodSeconds(30L)
                // The node image runs as uid/gid 10001 (docker/kingbus-node.Dockerfile): fsGroup makes the data
                // volume writable for it whatever the provisioner's default ownership.
                .withNewSecurityContext().withFsGroup(NODE_GID).endSecurityContext()
                .endSpec().build();
        template.getMetadata().getAnnotations().put(TEMPLATE_HASH_ANNOTATION, hash(template));
        return template;
    }

    private static Container container(KingbusCluster c) {
        KingbusClusterSpec s = c.getSpec();
        List<EnvVar> env = new ArrayList<>();
        env.add(fieldEnv("POD_NAME", "metadata.name"));
        env.add(fieldEnv("POD_NAMESPACE", "metadata.namespace"));
        env.add(new EnvVar("PEERS_SERVICE", peersServiceName(c), null));
        env.add(new EnvVar("PEER_PORT", String.valueOf(DnsMemberAddresses.PEER_PORT), null));
        env.add(new EnvVar("ADMIN_PORT", String.valueOf(DnsMemberAddresses.ADMIN_PORT), null));
        env.add(configMapEnv("BOOTSTRAP_MEMBERS", c, BOOTSTRAP_MEMBERS));
        env.add(configMapEnv("CLUSTER_STATE", c, CLUSTER_STATE));
        ContainerBuilder b = new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(s.image)
                .withImagePullPolicy(s.imagePullPolicy)
                .withCommand("/bin/sh", "/etc/kingbus/" + ENTRYPOINT)
                .addNewPort().withName("peer").withContainerPort(DnsMemberAddresses.PEER_PORT).endPort()
                .addNewPort().withName("admin").withContainerPort(DnsMemberAddresses.ADMIN_PORT).endPort()
                .withResources(s.resources)
                .withLivenessProbe(probe("/health", 30, 10, 6))
                .withReadinessProbe(probe("/ready", 5, 5, 1))
                .addNewVolumeMount().withName(DATA_VOLUME).withMountPath(DATA_DIR).endVolumeMount()
                .addNewVolumeMount().withName("config").withMountPath("/etc/kingbus").endVolumeMount();
        BinlogServerSpec bs = s.binlogServer;
        if (bs != null && bs.serverEnabled()) {
            env.add(new EnvVar("KINGBUS_BINLOG_SERVER_ADDR", "0.0.0.0:" + bs.portOrDefault(), null));
            if (bs.credentialsSecret != null) {
                SecretKeys keys = bs.credentialsSecret;
                env.add(secretEnv("KINGBUS_BINLOG_SERVER_USER", keys.name, keys.userKey));
                // The password reaches the node only through this reference, never in the ConfigMap or the spec.
                env.add(secretEnv("KINGBUS_BINLOG_SERVER_PASSWORD", keys.name, keys.passwordKey));
            }
            if (bs.version != null) {
                env.add(new EnvVar("KINGBUS_BINLOG_SERVER_VERSION", bs.version, null));
            }
            b.addNewPort().withName("binlog").withContainerPort(bs.portOrDefault()).endPort();
        }
        if (bs != null && bs.threadNice != null) { // also for a server started through the admin API
            env.add(new EnvVar("KINGBUS_BINLOG_SERVER_NICE", bs.threadNice.toString(), null));
        }
        if (bs != null && bs.socketSendBuffer != null) {
            env.add(new EnvVar("KINGBUS_BINLOG_SERVER_SEND_BUFFER", bs.socketSendBuffer, null));
        }
        return b.withEnv(env).build();
    }

    private static Probe probe(String path, int initialDelay, int period, int failures) {
        return new ProbeBuilder().withNewHttpGet().withPath(path).withPort(new IntOrString("admin")).endHttpGet()
                .withInitialDelaySeconds(initialDelay).withPeriodSeconds(period).withTimeoutSeconds(3)
                .withFailureThreshold(failures).build();
    }

    private static EnvVar fieldEnv(String name, String path) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(path)
                .endFieldRef().endValueFrom().build();
    }

    private static EnvVar configMapEnv(String name, KingbusCluster c, String key) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewConfigMapKeyRef()
                .withName(configMapName(c)).withKey(key).endConfigMapKeyRef().endValueFrom().build();
    }

    private static EnvVar secretEnv(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef().withName(secret)
                .withKey(key).endSecretKeyRef().endValueFrom().build();
    }

    private static String hash(PodTemplateSpec template) {
        try {
            return sha256(JSON.writeValueAsBytes(template));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The template hash of a pod or template's metadata annotations; null if absent. */
    public static String templateHash(Map<String, String> annotations) {
        return annotations == null ? null : annotations.get(TEMPLATE_HASH_ANNOTATION);
    }

    private static String readResource(String name) {
        try (InputStream in = ClusterResources.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

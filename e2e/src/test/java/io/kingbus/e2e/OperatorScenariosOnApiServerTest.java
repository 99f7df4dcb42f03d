package io.kingbus.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kingbus.cluster.ClusterHarness;
import io.kingbus.cluster.Http;
import io.kingbus.cluster.NodeProcess;
import io.kingbus.operator.KingbusOperator;
import io.kingbus.operator.api.BinlogSyncer;
import io.kingbus.operator.api.BinlogSyncerSpec;
import io.kingbus.operator.api.ClusterRef;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.api.KingbusClusterSpec;
import io.kingbus.operator.api.RaftSpec;
import io.kingbus.operator.api.SecretKeys;
import io.kingbus.operator.cluster.ClusterResources;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator's scenarios on the real kube-apiserver v1.20.2 (the generated CRDs installed) with real kingbus nodes:
 * the operator runs in-process ({@link KingbusOperator}, as {@code bin/kingbus-operator} builds it) and
 * {@link LoopbackKubelet} plays the StatefulSet controller and kubelet, starting a real node JVM on loopback for each
 * pod. So every membership change runs against a real raft group, checked through the nodes' own GET /cluster.
 *
 * <p>One cluster lives through the scenarios in order (node JVMs are the expensive part): created with 3 members;
 * paused, so that a {@code kubectl scale --replicas=5} is not acted on; unpaused, so the operator adds kb-3 and kb-4 one
 * at a time; {@code kubectl scale --replicas=3} removes them from the raft group before their pods go; with kb-1 down
 * a 3→2 is held (it would break quorum) until kb-1 is back; a BinlogSyncer runs against a real MySQL 8.0 primary
 * (credentials from a Secret), is paused and is stopped by its finalizer; finally a 2→3 brings kb-2 back on a new
 * volume. The operator runs as {@link KingbusOperator} builds it (its status writes are JSON patches, server-side
 * apply off: the builder sets that).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorScenariosOnApiServerTest {
    private static final Logger log = LoggerFactory.getLogger(OperatorScenariosOnApiServerTest.class);
    private static final String CLUSTER = "kb";
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final String MYSQL_PASSWORD = "Repl-s3cret-pw";

    private static KubeApiServerFixture k8s;
    private static KubernetesClient client;
    private static KubernetesClient operatorClient;
    private static String ns;
    private static Path workDir;
    private static LoopbackKubelet kubelet;
    private static KingbusOperator operator;
    private static MySqlServer mysql;
    private static long startNanos;

    @BeforeAll
    static void start() throws IOException {
        startNanos = System.nanoTime();
        k8s = KubeApiServerFixture.shared();
        k8s.installRepoCrds();
        client = k8s.client();
        ns = k8s.createNamespace("scenarios");
        workDir = Files.createTempDirectory("kingbus-operator-e2e");
        kubelet = new LoopbackKubelet(client, ns, workDir, List.of("-Xmx160m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:+ExitOnOutOfMemoryError", "-XX:CICompilerCount=2"))
                .start();
        operatorClient = k8s.newClient();
        operator = KingbusOperator.builder(operatorClient).memberAddresses(kubelet).namespaces(Set.of(ns))
                .adminTimeout(Duration.ofSeconds(3)).busyRequeue(Duration.ofMillis(500))
                .idleRequeue(Duration.ofSeconds(2)).syncerPoll(Duration.ofSeconds(1)).build();
        operator.start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (operator != null) {
                operator.close();
            }
            if (operatorClient != null) {
                operatorClient.close();
            }
        } finally {
            if (kubelet != null) {
                kubelet.close();
                assertThat(kubelet.livePids()).as("node JVMs left running").isEmpty();
            }
            if (mysql != null) {
                mysql.close();
            }
            if (workDir != null) {
                keepNodeLogs();
                deleteTree(workDir);
            }
            log.info("operator scenarios took {} s (API server start included)",
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNanos));
        }
    }

    // ------------------------------------------------------------------------------------------------ scenarios

    @Test
    @Order(1)
    void createFormsARealThreeMemberGroupAndReportsIt() throws Exception {
        KingbusCluster kc = new KingbusCluster();
        kc.getMetadata().setName(CLUSTER);
        kc.getMetadata().setNamespace(ns);
        kc.setSpec(new KingbusClusterSpec());
        kc.getSpec().replicas = 3;
        kc.getSpec().raft = new RaftSpec();
        kc.getSpec().raft.heartbeatInterval = "300ms";
        kc.getSpec().raft.electionTimeout = "1500ms";
        client.resource(kc).create();

        await("3 ready members, a leader, Ready=True", () -> {
            KingbusCluster k = get();
            return k.getStatus() != null && "Running".equals(k.getStatus().phase)
                    && Objects.equals(k.getStatus().readyReplicas, 3) && Objects.equals(k.getStatus().replicas, 3)
                    && "True".equals(conditionStatus(k, "Ready"));
        });
        KingbusCluster k = get();
        assertThat(k.getStatus().members).extracting(m -> m.name).containsExactly("kb-0", "kb-1", "kb-2");
        assertThat(k.getStatus().members).allMatch(m -> Boolean.TRUE.equals(m.ready));
        assertThat(k.getStatus().members).filteredOn(m -> "leader".equals(m.role)).singleElement()
                .satisfies(m -> assertThat(m.name).isEqualTo(k.getStatus().leader));
        assertThat(k.getStatus().observedGeneration).isEqualTo(k.getMetadata().getGeneration());
        for (String type : List.of("Ready", "Available")) {
            Condition c = condition(k, type);
            assertThat(c.getStatus()).as(type).isEqualTo("True");
            assertThat(c.getObservedGeneration()).as(type + " observedGeneration")
                    .isEqualTo(k.getMetadata().getGeneration());
        }
        // The real nodes agree: each one's GET /cluster lists the same 3 members and the same leader.
        for (String member : List.of("kb-0", "kb-1", "kb-2")) {
            JsonNode cluster = kubelet.node(CLUSTER, member).clusterOrNull();
            assertThat(cluster).as(member + " GET /cluster").isNotNull();
            assertThat(ClusterHarness.names(cluster)).as(member).containsExactlyInAnyOrder("kb-0", "kb-1", "kb-2");
            assertThat(ClusterHarness.leaderSeenBy(kubelet.node(CLUSTER, member))).as(member + "'s leader")
                    .isEqualTo(k.getStatus().leader);
        }
        // Only the bootstrap set started "new"; the ConfigMap now says every later start joins.
        assertThat(client.configMaps().inNamespace(ns).withName("kb-config").get().getData()
                .get(ClusterResources.CLUSTER_STATE)).isEqualTo("existing");
        assertThat(eventReasons(CLUSTER)).contains("Created", "Formed");
        assertThat(client.pods().inNamespace(ns).withName("kb-0").get().getMetadata().getOwnerReferences())
                .singleElement().satisfies(o -> assertThat(o.getKind()).isEqualTo("StatefulSet"));
        // Server-side apply: the operator's fields are managed by kingbus-operator through Apply operations.
        assertAppliedByOperator("StatefulSet", client.apps().statefulSets().inNamespace(ns).withName(CLUSTER).get(),
                "f:spec");
        assertAppliedByOperator("Service", client.services().inNamespace(ns).withName(CLUSTER).get(), "f:spec");
        assertAppliedByOperator("ConfigMap", client.configMaps().inNamespace(ns).withName("kb-config").get(),
                "f:data");
        assertAppliedByOperator("KingbusCluster status", get(), "f:status");
    }

    private static void assertAppliedByOperator(String what, HasMetadata object, String field) {
        assertThat(object.getMetadata().getManagedFields()).as(what + " managedFields")
                .anySatisfy(m -> {
                    assertThat(m.getManager()).isEqualTo("kingbus-operator");
                    assertThat(m.getOperation()).isEqualTo("Apply");
                    assertThat(m.getFieldsV1().getAdditionalProperties()).containsKey(field);
                });
    }

    @Test
    @Order(2)
    void thePauseAnnotationHoldsAScaleChangeUntilRemoved() throws Exception {
        edit(KingbusCluster.class, CLUSTER, k -> {
            if (k.getMetadata().getAnnotations() == null) {
                k.getMetadata().setAnnotations(new java.util.HashMap<>());
            }
            k.getMetadata().getAnnotations().put(KingbusCluster.PAUSED_ANNOTATION, "true");
            return k;
        });
        await("phase Paused", () -> "Paused".equals(get().getStatus().phase));
        kubectl("scale", "kbc/" + CLUSTER, "--replicas=5");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // > 2 idle requeues
        while (System.nanoTime() < until) {
            assertThat(sts().getSpec().getReplicas()).isEqualTo(3);
            assertThat(get().getStatus().membershipStep).isNull();
            assertThat(get().getStatus().phase).isEqualTo("Paused");
            Thread.sleep(250);
        }
        assertThat(ClusterHarness.names(kubelet.node(CLUSTER, "kb-0").clusterOrNull())).hasSize(3);
        assertThat(eventReasons(CLUSTER)).doesNotContain("ScalingUp");
        assertThat(pods()).containsExactly("kb-0", "kb-1", "kb-2");
    }

    @Test
    @Order(3)
    void unpausedTheHeldScale3To5AddsOneRealMemberAtATime() throws Exception {
        try (Sampler sampler = new Sampler()) {
            // spec.replicas is 5 since the paused scenario: removing the annotation lets the operator act on it.
            edit(KingbusCluster.class, CLUSTER, k -> {
                k.getMetadata().getAnnotations().remove(KingbusCluster.PAUSED_ANNOTATION);
                return k;
            });
            awaitSettled(5);
            sampler.assertEverySample("the StatefulSet is at most one pod ahead of the raft group",
                    s -> s.stsReplicas <= s.members.size() + 1);
        }
        assertThat(eventMessages(CLUSTER, "MemberAdded")).hasSize(2)
                .satisfies(m -> assertThat(m.get(0)).contains("kb-3"), m -> assertThat(m.get(1)).contains("kb-4"));
        assertThat(eventMessages(CLUSTER, "ScalingUp")).hasSize(2);
        // The real raft group: 5 voting members, each caught up (a node's /ready is 200 only as a caught-up voter).
        for (int i = 0; i < 5; i++) {
            NodeProcess n = kubelet.node(CLUSTER, "kb-" + i);
            assertThat(ClusterHarness.names(n.clusterOrNull())).as("kb-" + i + " GET /cluster")
                    .containsExactlyInAnyOrder("kb-0", "kb-1", "kb-2", "kb-3", "kb-4");
            assertThat(n.get("/ready").status()).as("kb-" + i + " /ready").isEqualTo(200);
        }
        assertThat(sts().getSpec().getReplicas()).isEqualTo(5);
        assertThat(get().getStatus().membershipStep).isNull();
    }

    @Test
    @Order(4)
    void kubectlScale5To3RemovesEachMemberBeforeItsPod() throws Exception {
        try (Sampler sampler = new Sampler()) {
            kubectl("scale", "kbc/" + CLUSTER, "--replicas=3");
            awaitSettled(3);
            sampler.assertEverySample("every raft member still has its pod (removed from the group first)",
                    s -> s.members.stream().allMatch(m -> ordinal(m) < s.stsReplicas));
        }
        assertThat(eventMessages(CLUSTER, "MemberRemoved")).hasSize(2)
                .satisfies(m -> assertThat(m.get(0)).contains("kb-4"), m -> assertThat(m.get(1)).contains("kb-3"));
        for (int i = 0; i < 3; i++) {
            assertThat(ClusterHarness.names(kubelet.node(CLUSTER, "kb-" + i).clusterOrNull())).as("kb-" + i)
                    .containsExactlyInAnyOrder("kb-0", "kb-1", "kb-2");
        }
        assertThat(pods()).containsExactly("kb-0", "kb-1", "kb-2");
        assertThat(kubelet.node(CLUSTER, "kb-3").alive()).isFalse();
        assertThat(kubelet.node(CLUSTER, "kb-4").alive()).isFalse();
        await("the removed members' claims deleted", () -> client.persistentVolumeClaims().inNamespace(ns)
                .list().getItems().stream().map(c -> c.getMetadata().getName()).sorted().toList()
                .equals(List.of("data-kb-0", "data-kb-1", "data-kb-2")));
    }

    @Test
    @Order(5)
    void aScaleDownThatWouldBreakQuorumIsHeldUntilTheMemberIsBack() throws Exception {
        // kb-1 down: removing kb-2 would leave kb-0 and kb-1 with one of two ready, below the quorum of 2.
        kubelet.takeDown(CLUSTER, "kb-1");
        await("kb-1 not ready", () -> Objects.equals(get().getStatus().readyReplicas, 2));
        kubectl("scale", "kbc/" + CLUSTER, "--replicas=2");
        await("ScaleHeld=True", () -> "True".equals(conditionStatus(get(), "ScaleHeld")));
        KingbusCluster held = get();
        assertThat(condition(held, "ScaleHeld").getReason()).isEqualTo("QuorumAtRisk");
        assertThat(events(CLUSTER)).filteredOn(e -> "ScaleHeld".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning"));
        // Several reconciles (every 500 ms while busy) must not touch the group or the StatefulSet.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        while (System.nanoTime() < until) {
            assertThat(sts().getSpec().getReplicas()).isEqualTo(3);
            JsonNode members = kubelet.node(CLUSTER, "kb-0").clusterOrNull();
            if (members != null) {
                assertThat(ClusterHarness.names(members)).hasSize(3);
            }
            Thread.sleep(250);
        }
        assertThat(eventMessages(CLUSTER, "MemberRemoved")).hasSize(2); // only those of the 5→3

        kubelet.bringUp(CLUSTER, "kb-1");
        awaitSettled(2);
        assertThat(conditionStatus(get(), "ScaleHeld")).isEqualTo("False");
        for (String member : List.of("kb-0", "kb-1")) {
            assertThat(ClusterHarness.names(kubelet.node(CLUSTER, member).clusterOrNull())).as(member)
                    .containsExactlyInAnyOrder("kb-0", "kb-1");
        }
        assertThat(sts().getSpec().getReplicas()).isEqualTo(2);
    }

    @Test
    @Order(6)
    void binlogSyncerRunsAgainstARealPrimaryPausesAndIsStoppedByItsFinalizer() throws Exception {
        mysql = MySqlServer.builder(MySqlVersion.V8_0).serverId(801).start();
        mysql.execute("CREATE USER 'repl'@'%' IDENTIFIED BY '" + MYSQL_PASSWORD + "'",
                "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'%'",
                "CREATE DATABASE shop", "CREATE TABLE shop.orders (id INT PRIMARY KEY, note VARCHAR(64))");
        client.resource(new SecretBuilder().withNewMetadata().withName("mysql-repl").withNamespace(ns).endMetadata()
                .addToStringData("user", "repl").addToStringData("password", MYSQL_PASSWORD).build()).create();
        BinlogSyncer s = new BinlogSyncer();
        s.getMetadata().setName("primary");
        s.getMetadata().setNamespace(ns);
        s.setSpec(new BinlogSyncerSpec());
        s.getSpec().clusterRef = new ClusterRef(CLUSTER);
        s.getSpec().syncerId = 1001L;
        s.getSpec().syncerUuid = "f7e30637-f15a-11e8-accc-244427b6b60e";
        s.getSpec().mysqlAddr = mysql.host() + ":" + mysql.port();
        s.getSpec().credentialsSecret = new SecretKeys("mysql-repl");
        client.resource(s).create();

        await("syncer running", () -> "running".equals(syncerState()));
        for (int i = 1; i <= 20; i++) {
            mysql.execute("INSERT INTO shop.orders VALUES (" + i + ", 'order " + i + "')");
        }
        String primaryExecuted = normalize(mysql.gtidExecuted());
        await("the resource's status reaches the primary's gtid_executed " + primaryExecuted, () ->
                primaryExecuted.equals(normalize(getSyncer().getStatus().executedGtidSet)));
        // A follower answers too (it forwards to the leader): the real syncer runs and has it all.
        String follower = followerOf(get().getStatus().leader);
        JsonNode nodeStatus = syncerStatusOn(follower);
        assertThat(nodeStatus.path("status").asText()).isEqualTo("running");
        assertThat(normalize(nodeStatus.path("executed_gtid_set").asText())).isEqualTo(primaryExecuted);
        BinlogSyncer running = getSyncer();
        assertThat(running.getMetadata().getFinalizers()).isNotEmpty();
        assertThat(conditionStatus(running.getStatus().conditions, "Running")).isEqualTo("True");
        assertThat(running.getStatus().lastBinlogFile).isNotBlank();

        // paused=true stops it, on the nodes too.
        edit(BinlogSyncer.class, "primary", x -> {
            x.getSpec().paused = true;
            return x;
        });
        await("stopped", () -> "stopped".equals(syncerState())
                && "stopped".equals(syncerStatusOn("kb-0").path("status").asText()));
        mysql.execute("INSERT INTO shop.orders VALUES (100, 'while paused')");
        Thread.sleep(2000);
        assertThat(normalize(syncerStatusOn("kb-0").path("executed_gtid_set").asText())).isEqualTo(primaryExecuted);

        edit(BinlogSyncer.class, "primary", x -> {
            x.getSpec().paused = false;
            return x;
        });
        String afterPause = normalize(mysql.gtidExecuted());
        await("running again and caught up to " + afterPause, () -> "running".equals(syncerState())
                && afterPause.equals(normalize(getSyncer().getStatus().executedGtidSet)));

        // Delete: the finalizer stops the syncer before the resource goes.
        client.resources(BinlogSyncer.class).inNamespace(ns).withName("primary").delete();
        await("resource gone", () -> getSyncer() == null);
        assertThat(syncerStatusOn("kb-0").path("status").asText()).isEqualTo("stopped");
        assertThat(eventReasons("primary")).contains("SyncerStarted", "SyncerStopped");
        // The password is in no status, event or node answer.
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .noneMatch(e -> e.getMessage().contains(MYSQL_PASSWORD));
        assertThat(nodeStatus.toString()).doesNotContain(MYSQL_PASSWORD);
        assertThat(running.getStatus().toString() + client.resources(KingbusCluster.class).inNamespace(ns).list()
                .getItems()).doesNotContain(MYSQL_PASSWORD);
    }

    @Test
    @Order(7)
    void scaling2To3AgainReAddsARemovedMemberOnANewVolume() throws Exception {
        // kb-2 left the group in the held scale-down and its claim was deleted: it comes back empty and must join.
        kubectl("scale", "kbc/" + CLUSTER, "--replicas=3");
        awaitSettled(3);
        for (String member : List.of("kb-0", "kb-1", "kb-2")) {
            assertThat(ClusterHarness.names(kubelet.node(CLUSTER, member).clusterOrNull())).as(member)
                    .containsExactlyInAnyOrder("kb-0", "kb-1", "kb-2");
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Phase Running with {@code n} raft members, all ready, no step in flight, and the StatefulSet at n. */
    private static void awaitSettled(int n) throws InterruptedException {
        await(n + " ready members and nothing in flight", () -> {
            KingbusCluster k = get();
            return "Running".equals(k.getStatus().phase) && Objects.equals(k.getStatus().replicas, n)
                    && Objects.equals(k.getStatus().readyReplicas, n) && k.getStatus().membershipStep == null
                    && Objects.equals(sts().getSpec().getReplicas(), n);
        });
    }

    private static KingbusCluster get() {
        return client.resources(KingbusCluster.class).inNamespace(ns).withName(CLUSTER).get();
    }

    private static BinlogSyncer getSyncer() {
        return client.resources(BinlogSyncer.class).inNamespace(ns).withName("primary").get();
    }

    private static String syncerState() {
        BinlogSyncer b = getSyncer();
        return b == null || b.getStatus() == null ? null : b.getStatus().state;
    }

    private static StatefulSet sts() {
        return client.apps().statefulSets().inNamespace(ns).withName(CLUSTER).get();
    }

    private static List<String> pods() {
        return client.pods().inNamespace(ns).withLabel(ClusterResources.LABEL_INSTANCE, CLUSTER).list().getItems()
                .stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }

    private static String followerOf(String leader) {
        return get().getStatus().members.stream().map(m -> m.name).filter(m -> !m.equals(leader)).findFirst()
                .orElseThrow();
    }

    private static JsonNode syncerStatusOn(String member) throws IOException, InterruptedException {
        Http.Reply r = kubelet.node(CLUSTER, member).get("/binlog/syncer/status");
        assertThat(r.status()).as(member + " GET /binlog/syncer/status: " + r.body()).isEqualTo(200);
        return r.data();
    }

    private static String normalize(String gtidSet) {
        return gtidSet == null ? null : gtidSet.replaceAll("\\s", "").toLowerCase(java.util.Locale.ROOT);
    }

    private static int ordinal(String member) {
        return Integer.parseInt(member.substring(member.lastIndexOf('-') + 1));
    }

    private static void kubectl(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("-n");
        all.add(ns);
        // A fresh discovery cache: ~/.kube/cache may hold one of an earlier API server on the same port, without the CRDs.
        all.add("--cache-dir=" + workDir.resolve("kubectl-cache"));
        KubeApiServerFixture.CommandResult r = k8s.kubectl(null, all.toArray(String[]::new));
        assertThat(r.exitCode()).as("kubectl " + all + ": " + r.stderr()).isZero();
    }

    private static Condition condition(KingbusCluster k, String type) {
        return k.getStatus().conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private static String conditionStatus(KingbusCluster k, String type) {
        return k == null || k.getStatus() == null ? null : conditionStatus(k.getStatus().conditions, type);
    }

    private static String conditionStatus(List<Condition> conditions, String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).map(Condition::getStatus).findFirst()
                .orElse(null);
    }

    private static List<Event> events(String involved) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> involved.equals(e.getInvolvedObject().getName()))
                .sorted(Comparator.comparing(Event::getFirstTimestamp)
                        .thenComparing(e -> e.getMetadata().getCreationTimestamp())
                        .thenComparing(e -> Long.parseLong(e.getMetadata().getResourceVersion())))
                .toList();
    }

    private static List<String> eventReasons(String involved) {
        return events(involved).stream().map(Event::getReason).toList();
    }

    private static List<String> eventMessages(String involved, String reason) {
        return events(involved).stream().filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
    }

    /** Edits a resource, retrying when the operator's status write raced with it (409). */
    private static <T extends HasMetadata> void edit(Class<T> type, String name, UnaryOperator<T> change)
            throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                client.resources(type).inNamespace(ns).withName(name).edit(change);
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 20) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static void await(String what, ClusterHarness.Check check) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (check.test()) {
                    return;
                }
            } catch (Exception | AssertionError e) {
                last = e;
            }
            Thread.sleep(200);
        }
        KingbusCluster k = get();
        BinlogSyncer syncer = getSyncer();
        throw new AssertionError("timed out after " + TIMEOUT.toSeconds() + " s waiting for " + what
                + (last == null ? "" : "; last failure: " + last)
                + "\nKingbusCluster status: " + (k == null ? null : client.getKubernetesSerialization().asJson(k.getStatus()))
                + (syncer == null ? "" : "\nBinlogSyncer status: "
                + client.getKubernetesSerialization().asJson(syncer.getStatus()))
                + "\nevents: " + eventReasons(CLUSTER) + "\nkubelet: " + kubelet.lastFailure()
                + "\n" + kubelet.diagnostics(CLUSTER), last);
    }

    /** The node logs, into target/ for a look after the run (the work dir goes). */
    private static void keepNodeLogs() throws IOException {
        Path logs = Path.of("target", "operator-scenarios-logs");
        Files.createDirectories(logs);
        try (var paths = Files.walk(workDir)) {
            for (Path p : paths.filter(f -> f.getFileName().toString().equals("node.log")).toList()) {
                Files.copy(p, logs.resolve(p.getParent().getFileName() + ".log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Samples, every 100 ms while a scale runs, the StatefulSet's replicas and the real raft group's members (GET
     * /cluster on kb-0, which stays a member throughout), to check an invariant over the whole change.
     */
    private static final class Sampler implements AutoCloseable {
        record Sample(int stsReplicas, List<String> members) {
        }

        private final List<Sample> samples = new CopyOnWriteArrayList<>();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

        Sampler() {
            timer.scheduleWithFixedDelay(() -> {
                try {
                    StatefulSet sts = sts();
                    JsonNode cluster = kubelet.node(CLUSTER, "kb-0").clusterOrNull();
                    if (sts != null && cluster != null) {
                        samples.add(new Sample(sts.getSpec().getReplicas(), ClusterHarness.names(cluster)));
                    }
                } catch (RuntimeException e) {
                    // the next sample
                }
            }, 0, 100, TimeUnit.MILLISECONDS);
        }

        void assertEverySample(String invariant, java.util.function.Predicate<Sample> holds) {
            List<Sample> taken = List.copyOf(samples);
            assertThat(taken).as("samples").hasSizeGreaterThan(5);
            List<String> distinct = new ArrayList<>();
            for (Sample s : taken) {
                String d = "sts=" + s.stsReplicas + " raft=" + s.members.size();
                if (distinct.isEmpty() || !distinct.get(distinct.size() - 1).equals(d)) {
                    distinct.add(d);
                }
            }
            log.info("{}: observed {}", invariant, distinct);
            assertThat(taken).as(invariant + " (observed " + distinct + ")").allMatch(holds);
        }

        @Override
        public void close() throws InterruptedException {
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}

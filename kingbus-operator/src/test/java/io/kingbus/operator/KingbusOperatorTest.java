package io.kingbus.operator;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.kingbus.operator.admin.MemberAddresses;
import io.kingbus.operator.api.BinlogServerSpec;
import io.kingbus.operator.api.BinlogSyncer;
import io.kingbus.operator.api.BinlogSyncerSpec;
import io.kingbus.operator.api.ClusterRef;
import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.operator.api.KingbusClusterSpec;
import io.kingbus.operator.api.SecretKeys;
import io.kingbus.operator.cluster.ClusterResources;
import io.kingbus.operator.cluster.KingbusClusterReconciler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator against Fabric8's mock API server (CRUD mode; JOSDK's server-side apply is off) and fake kingbus admin
 * APIs ({@link FakeKingbusCluster}): the real node cannot run as a pod here. The mock server runs no controllers, so
 * {@link #syncPods} plays the StatefulSet controller and the kubelet: it creates the pods the StatefulSet asks for
 * (Running, with a Ready condition mirroring the fake node), deletes the ones beyond its replicas, and recreates
 * deleted ones from the current template (OnDelete). Each test uses its own cluster name.
 */
@EnableKubernetesMockClient(crud = true)
class KingbusOperatorTest {
    private static final String NS = "test";
    private static final String PASSWORD = "s3cret-Pa55";

    static KubernetesMockServer server;
    static KubernetesClient client;

    private static final Map<String, FakeKingbusCluster> fakes = new ConcurrentHashMap<>();
    /** Pods the kubelet stand-in leaves Pending (a bad image, nowhere to schedule). */
    private static final Set<String> neverStarting = ConcurrentHashMap.newKeySet();
    private static KingbusOperator operator;
    private static ScheduledExecutorService kubelet;

    /** Held: java.util.logging keeps loggers weakly. The mock server logs every request at INFO. */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    private static MemberAddresses addresses;

    private static KingbusOperator newOperator() {
        return KingbusOperator.builder(client).memberAddresses(addresses).namespaces(Set.of(NS))
                .serverSideApply(false) // the mock server has no server-side apply
                .adminTimeout(Duration.ofSeconds(2)).busyRequeue(Duration.ofMillis(200))
                .idleRequeue(Duration.ofMillis(500)).syncerPoll(Duration.ofMillis(300)).build();
    }

    @BeforeAll
    static void start() throws IOException {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        try (Stream<Path> crds = Files.list(Path.of("../crds"))) {
            for (Path p : crds.sorted().toList()) {
                client.apiextensions().v1().customResourceDefinitions().load(p.toFile()).create();
            }
        }
        addresses = new MemberAddresses() {
            @Override
            public URI peerUrl(String namespace, String cluster, String member) {
                return fakes.get(cluster).peerUrl(member);
            }

            @Override
            public URI adminUrl(String namespace, String cluster, String member) {
                return fakes.get(cluster).adminUrl(member);
            }
        };
        operator = newOperator();
        operator.start();
        kubelet = Executors.newSingleThreadScheduledExecutor();
        kubelet.scheduleWithFixedDelay(KingbusOperatorTest::syncAllPods, 200, 200, TimeUnit.MILLISECONDS);
    }

    @AfterAll
    static void stop() {
        kubelet.shutdownNow();
        operator.close();
        fakes.values().forEach(FakeKingbusCluster::close);
    }

    // ----------------------------------------------------------------------------------------------- tests

    @Test
    void createMakesEveryOwnedObjectAndTheClusterFormsAndRuns() throws Exception {
        FakeKingbusCluster fake = fake("kb-create", 3);
        client.resource(new SecretBuilder().withNewMetadata().withName("binlog-creds").withNamespace(NS).endMetadata()
                .addToStringData("user", "repl").addToStringData("password", PASSWORD).build()).create();
        KingbusCluster kc = cluster("kb-create", 3);
        kc.getSpec().binlogServer = new BinlogServerSpec();
        kc.getSpec().binlogServer.enabled = true;
        kc.getSpec().binlogServer.credentialsSecret = new SecretKeys("binlog-creds");
        kc.getSpec().binlogServer.threadNice = 15;
        kc.getSpec().binlogServer.socketSendBuffer = "256Ki";
        kc = client.resource(kc).create();
        String uid = kc.getMetadata().getUid();

        awaitPhase("kb-create", "Running");
        StatefulSet sts = client.apps().statefulSets().inNamespace(NS).withName("kb-create").get();
        Service peers = client.services().inNamespace(NS).withName("kb-create-peers").get();
        Service clientSvc = client.services().inNamespace(NS).withName("kb-create").get();
        ConfigMap cm = client.configMaps().inNamespace(NS).withName("kb-create-config").get();
        HasMetadata pdb = client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("kb-create").get();
        if (pdb == null) {
            pdb = client.policy().v1beta1().podDisruptionBudget().inNamespace(NS).withName("kb-create").get();
        }
        for (HasMetadata owned : List.of(sts, peers, clientSvc, cm, pdb)) {
            assertThat(owned.getMetadata().getOwnerReferences()).as(owned.getKind())
                    .singleElement().satisfies(o -> {
                        assertThat(o.getUid()).isEqualTo(uid);
                        assertThat(o.getKind()).isEqualTo("KingbusCluster");
                        assertThat(o.getController()).isTrue();
                    });
        }
        assertThat(peers.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(peers.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(clientSvc.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort())
                .contains("binlog:3390");
        assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
        assertThat(sts.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
        assertThat(sts.getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
        assertThat(sts.getSpec().getServiceName()).isEqualTo("kb-create-peers");
        assertThat(sts.getSpec().getVolumeClaimTemplates()).singleElement()
                .satisfies(c -> assertThat(c.getSpec().getResources().getRequests().get("storage").toString())
                        .isEqualTo("10Gi"));
        assertThat(sts.getSpec().getTemplate().getSpec().getSecurityContext().getFsGroup())
                .as("the data volume is writable for the image's uid/gid 10001").isEqualTo(10001L);
        Container c = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        EnvVar password = c.getEnv().stream().filter(e -> e.getName().equals("KINGBUS_BINLOG_SERVER_PASSWORD"))
                .findFirst().orElseThrow();
        assertThat(password.getValue()).isNull();
        assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo("binlog-creds");
        assertThat(password.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        assertThat(c.getEnv()).filteredOn(e -> e.getName().equals("KINGBUS_BINLOG_SERVER_NICE"))
                .extracting(EnvVar::getValue).as("spec.binlogServer.threadNice").containsExactly("15");
        assertThat(c.getEnv()).filteredOn(e -> e.getName().equals("KINGBUS_BINLOG_SERVER_SEND_BUFFER"))
                .extracting(EnvVar::getValue).as("spec.binlogServer.socketSendBuffer").containsExactly("256Ki");
        assertThat(cm.getData().get(ClusterResources.BOOTSTRAP_MEMBERS)).isEqualTo("kb-create-0,kb-create-1,kb-create-2");
        assertThat(cm.getData().get(ClusterResources.CONFIG_FILE)).contains("initial-cluster-token: kb-create.test")
                .contains("data-dir: /var/lib/kingbus").doesNotContain(PASSWORD);
        // Formed: every node that starts from now on joins an existing cluster.
        await("cluster-state existing", () -> "existing".equals(client.configMaps().inNamespace(NS)
                .withName("kb-create-config").get().getData().get(ClusterResources.CLUSTER_STATE)));
        pdb = client.policy().v1().podDisruptionBudget().inNamespace(NS).withName("kb-create").get();
        Object maxUnavailable = pdb != null ? ((io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget) pdb)
                .getSpec().getMaxUnavailable().getIntVal()
                : client.policy().v1beta1().podDisruptionBudget().inNamespace(NS).withName("kb-create").get()
                .getSpec().getMaxUnavailable().getIntVal();
        assertThat(maxUnavailable).isEqualTo(1);

        KingbusCluster got = get("kb-create");
        assertThat(got.getStatus().readyReplicas).isEqualTo(3);
        assertThat(got.getStatus().replicas).isEqualTo(3);
        assertThat(got.getStatus().leader).isEqualTo("kb-create-0");
        assertThat(got.getStatus().selector).isEqualTo("app.kubernetes.io/name=kingbus,app.kubernetes.io/instance=kb-create");
        assertThat(got.getStatus().members).extracting(m -> m.name + "/" + m.role + "/" + m.ready)
                .containsExactly("kb-create-0/leader/true", "kb-create-1/follower/true", "kb-create-2/follower/true");
        assertThat(condition(got, KingbusClusterReconciler.READY)).isEqualTo("True");
        assertThat(condition(got, KingbusClusterReconciler.AVAILABLE)).isEqualTo("True");
        assertThat(condition(got, KingbusClusterReconciler.SCALE_HELD)).isEqualTo("False");
        assertThat(fake.calls()).isEmpty();
        assertThat(scrapeMetrics()).contains("operator_sdk_reconciliations")
                .contains("kingbus_cluster_members{cluster=\"kb-create\",namespace=\"test\"} 3.0")
                .contains("kingbus_cluster_ready_members{cluster=\"kb-create\",namespace=\"test\"} 3.0")
                .contains("kingbus_cluster_leader_known{cluster=\"kb-create\",namespace=\"test\"} 1.0");

        client.resources(KingbusCluster.class).inNamespace(NS).withName("kb-create").delete();
        await("a deleted cluster's gauges leave /metrics",
                () -> !scrapeMetrics().contains("kingbus_cluster_members{cluster=\"kb-create\""));
        assertThat(scrapeMetrics().lines().filter(l -> l.startsWith("kingbus_cluster_")))
                .noneMatch(l -> l.contains("cluster=\"kb-create\""));
    }

    /** GET /metrics from the operator's metrics server, as Prometheus scrapes it. */
    private String scrapeMetrics() {
        try (MetricsServer metrics = new MetricsServer(0, operator::scrape)) {
            var http = java.net.http.HttpClient.newHttpClient();
            var response = http.send(java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + metrics.port() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void scaleUpFrom3To5AddsMembersOneAtATimeEachAfterThePreviousIsReady() throws Exception {
        FakeKingbusCluster fake = fake("kb-up", 3);
        client.resource(cluster("kb-up", 3)).create();
        awaitPhase("kb-up", "Running");
        scale("kb-up", 5);
        await("5 ready members", () -> {
            KingbusCluster k = get("kb-up");
            return "Running".equals(k.getStatus().phase) && Objects.equals(k.getStatus().readyReplicas, 5);
        });
        List<FakeKingbusCluster.Call> adds = fake.calls().stream().filter(c -> c.what().equals("add")).toList();
        assertThat(adds).extracting(FakeKingbusCluster.Call::member).startsWith("kb-up-3").containsOnly("kb-up-3",
                "kb-up-4");
        FakeKingbusCluster.Call firstAdd4 = adds.stream().filter(c -> c.member().equals("kb-up-4")).findFirst()
                .orElseThrow();
        // kb-up-4 was added only once kb-up-3 was a ready member, and each add came after its own pod ran.
        assertThat(firstAdd4.readyMembers()).contains("kb-up-3");
        assertThat(adds.get(0).runningNodes()).contains("kb-up-3").doesNotContain("kb-up-4");
        assertThat(firstAdd4.runningNodes()).contains("kb-up-4");
        assertThat(adds.get(0).body().path("peer_url").asText()).isEqualTo("http://kb-up-3.fake:9696");
        assertThat(adds.get(0).body().path("admin_url").asText()).isEqualTo(fake.adminUrl("kb-up-3").toString());
        assertThat(fake.members()).containsExactly("kb-up-0", "kb-up-1", "kb-up-2", "kb-up-3", "kb-up-4");
        assertThat(client.apps().statefulSets().inNamespace(NS).withName("kb-up").get().getSpec().getReplicas())
                .isEqualTo(5);
        assertThat(get("kb-up").getStatus().membershipStep).isNull();
        assertThat(eventReasons("kb-up")).contains("MemberAdded");
        assertThat(eventMessages("kb-up", "MemberAdded")).hasSize(2);
    }

    @Test
    void aRestartedOperatorResumesTheStepInFlight() throws Exception {
        FakeKingbusCluster fake = fake("kb-resume", 3);
        fake.joinDelayMillis(3000);
        client.resource(cluster("kb-resume", 3)).create();
        awaitPhase("kb-resume", "Running");
        scale("kb-resume", 4);
        await("joining", () -> {
            var step = get("kb-resume").getStatus().membershipStep;
            return step != null && "Joining".equals(step.state);
        });
        operator.close();
        operator = newOperator();
        operator.start();
        await("4 ready members", () -> Objects.equals(get("kb-resume").getStatus().readyReplicas, 4)
                && "Running".equals(get("kb-resume").getStatus().phase));
        assertThat(fake.members()).containsExactly("kb-resume-0", "kb-resume-1", "kb-resume-2", "kb-resume-3");
        assertThat(eventMessages("kb-resume", "ScalingUp")).as("the add was not started twice").hasSize(1);
        assertThat(eventMessages("kb-resume", "MemberAdded")).hasSize(1);
    }

    @Test
    void scaleDownFrom5To3RemovesEachMemberBeforeShrinkingTheStatefulSet() throws Exception {
        FakeKingbusCluster fake = fake("kb-down", 5);
        client.resource(cluster("kb-down", 5)).create();
        awaitPhase("kb-down", "Running");
        scale("kb-down", 3);
        await("3 members", () -> {
            KingbusCluster k = get("kb-down");
            return "Running".equals(k.getStatus().phase) && Objects.equals(k.getStatus().replicas, 3);
        });
        List<FakeKingbusCluster.Call> removes = fake.calls().stream().filter(c -> c.what().equals("remove")).toList();
        assertThat(removes).extracting(FakeKingbusCluster.Call::member).containsExactly("kb-down-4", "kb-down-3");
        // Each member left the raft group while its pod still ran: remove first, shrink after.
        assertThat(removes.get(0).runningNodes()).contains("kb-down-4", "kb-down-3");
        assertThat(removes.get(1).runningNodes()).contains("kb-down-3").doesNotContain("kb-down-4");
        assertThat(fake.members()).containsExactly("kb-down-0", "kb-down-1", "kb-down-2");
        assertThat(client.apps().statefulSets().inNamespace(NS).withName("kb-down").get().getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(pods("kb-down")).containsExactly("kb-down-0", "kb-down-1", "kb-down-2");
        assertThat(eventMessages("kb-down", "MemberRemoved")).hasSize(2);
    }

    @Test
    void loweringReplicasCancelsAnAddWhosePodNeverStarts() throws Exception {
        FakeKingbusCluster fake = fake("kb-cancel", 3);
        neverStarting.add("kb-cancel-3");
        client.resource(cluster("kb-cancel", 3)).create();
        awaitPhase("kb-cancel", "Running");
        scale("kb-cancel", 4);
        await("the add waits for its pod", () -> {
            var step = get("kb-cancel").getStatus().membershipStep;
            return step != null && step.member.equals("kb-cancel-3") && pods("kb-cancel").contains("kb-cancel-3");
        });
        scale("kb-cancel", 3);
        await("the add is cancelled and the cluster is back to 3", () -> {
            KingbusCluster k = get("kb-cancel");
            return k.getStatus().membershipStep == null && "Running".equals(k.getStatus().phase)
                    && pods("kb-cancel").size() == 3;
        });
        assertThat(client.apps().statefulSets().inNamespace(NS).withName("kb-cancel").get().getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(fake.calls()).as("no member was ever added or removed").isEmpty();
        assertThat(fake.members()).containsExactly("kb-cancel-0", "kb-cancel-1", "kb-cancel-2");
        assertThat(eventMessages("kb-cancel", "AddCancelled")).singleElement().asString()
                .contains("kb-cancel-3").contains("replicas lowered to 3");
        assertThat(eventMessages("kb-cancel", "MemberRemoved")).singleElement().asString().contains("kb-cancel-3");
        assertThat(condition(get("kb-cancel"), KingbusClusterReconciler.SCALE_HELD)).isEqualTo("False");
    }

    @Test
    void anUnsafeScaleDownIsHeldWithAWarningAndTheStatefulSetKeepsItsPods() throws Exception {
        FakeKingbusCluster fake = fake("kb-held", 3);
        client.resource(cluster("kb-held", 3)).create();
        awaitPhase("kb-held", "Running");
        // Two of three members fall behind: removing kb-held-2 would leave 2 members with 1 ready, quorum 2.
        fake.setHealthy("kb-held-1", false);
        fake.setHealthy("kb-held-2", false);
        await("degraded", () -> "Degraded".equals(get("kb-held").getStatus().phase));
        scale("kb-held", 2);
        await("ScaleHeld", () -> "True".equals(condition(get("kb-held"), KingbusClusterReconciler.SCALE_HELD)));
        KingbusCluster k = get("kb-held");
        assertThat(conditionReason(k, KingbusClusterReconciler.SCALE_HELD)).isEqualTo("QuorumAtRisk");
        assertThat(eventTypes("kb-held", "ScaleHeld")).contains("Warning");
        Thread.sleep(1000); // several reconciles (busy requeue 200 ms) must not shrink anything
        assertThat(client.apps().statefulSets().inNamespace(NS).withName("kb-held").get().getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(fake.calls()).noneMatch(c -> c.what().equals("remove"));
        assertThat(fake.members()).hasSize(3);
        assertThat(eventTypes("kb-held", "ScaleHeld")).as("one event per hold, not per reconcile").hasSize(1);

        // kb-held-1 catches up: kb-held-0 and kb-held-1 are a quorum of 2, so kb-held-2 may go.
        fake.setHealthy("kb-held-1", true);
        await("2 members", () -> Objects.equals(get("kb-held").getStatus().replicas, 2)
                && client.apps().statefulSets().inNamespace(NS).withName("kb-held").get().getSpec().getReplicas() == 2);
        assertThat(condition(get("kb-held"), KingbusClusterReconciler.SCALE_HELD)).isEqualTo("False");
        assertThat(fake.members()).containsExactly("kb-held-0", "kb-held-1");
    }

    @Test
    void aRemovalTheClusterRefusesIsHeldToo() throws Exception {
        FakeKingbusCluster fake = fake("kb-refused", 3);
        client.resource(cluster("kb-refused", 3)).create();
        awaitPhase("kb-refused", "Running");
        fake.refuseRemovals("removing kb-refused-2 would leave a configuration of 2 voters with only 1 running");
        scale("kb-refused", 2);
        await("ScaleHeld", () -> "True".equals(condition(get("kb-refused"), KingbusClusterReconciler.SCALE_HELD)));
        assertThat(conditionReason(get("kb-refused"), KingbusClusterReconciler.SCALE_HELD)).isEqualTo("RefusedByCluster");
        assertThat(eventMessages("kb-refused", "ScaleHeld")).singleElement().asString()
                .contains("would leave a configuration of 2 voters");
        assertThat(get("kb-refused").getStatus().membershipStep).isNull();
        assertThat(client.apps().statefulSets().inNamespace(NS).withName("kb-refused").get().getSpec().getReplicas())
                .isEqualTo(3);
        fake.refuseRemovals(null);
        await("2 members", () -> Objects.equals(get("kb-refused").getStatus().replicas, 2)
                && "Running".equals(get("kb-refused").getStatus().phase));
    }

    @Test
    void pauseAnnotationStopsReconciliation() throws Exception {
        FakeKingbusCluster fake = fake("kb-pause", 3);
        client.resource(cluster("kb-pause", 3)).create();
        awaitPhase("kb-pause", "Running");
        edit(KingbusCluster.class, "kb-pause", k -> {
            k.getMetadata().getAnnotations().put(KingbusCluster.PAUSED_ANNOTATION, "true");
            k.getSpec().replicas = 4;
            return k;
        });
        awaitPhase("kb-pause", "Paused");
        Thread.sleep(1000);
        assertThat(client.apps().statefulSets().inNamespace(NS).withName("kb-pause").get().getSpec().getReplicas())
                .isEqualTo(3);
        assertThat(fake.calls()).isEmpty();
        edit(KingbusCluster.class, "kb-pause", k -> {
            k.getMetadata().getAnnotations().remove(KingbusCluster.PAUSED_ANNOTATION);
            return k;
        });
        await("4 ready members", () -> Objects.equals(get("kb-pause").getStatus().readyReplicas, 4)
                && "Running".equals(get("kb-pause").getStatus().phase));
        assertThat(fake.members()).hasSize(4);
    }

    @Test
    void aChangedPodTemplateRestartsPodsOneAtATimeLeaderLast() throws Exception {
        FakeKingbusCluster fake = fake("kb-roll", 3);
        client.resource(cluster("kb-roll", 3)).create();
        awaitPhase("kb-roll", "Running");
        String before = templateHash("kb-roll");
        // A changed node setting restarts the pods too: the node reads its file only at start.
        edit(KingbusCluster.class, "kb-roll", k -> {
            k.getSpec().raft = new io.kingbus.operator.api.RaftSpec();
            k.getSpec().raft.electionTimeout = "3s";
            return k;
        });
        await("new template", () -> !before.equals(templateHash("kb-roll")));
        String after = templateHash("kb-roll");
        await("all pods updated", () -> {
            List<Pod> pods = client.pods().inNamespace(NS).withLabel(ClusterResources.LABEL_INSTANCE, "kb-roll").list()
                    .getItems();
            return pods.size() == 3 && pods.stream().allMatch(p -> after.equals(
                    p.getMetadata().getAnnotations().get(ClusterResources.TEMPLATE_HASH_ANNOTATION)))
                    && "Running".equals(get("kb-roll").getStatus().phase);
        });
        assertThat(eventMessages("kb-roll", "RestartingMember")).hasSize(3)
                .satisfies(m -> assertThat(m.get(2)).startsWith("restarting kb-roll-0 (the leader, last)"));
        assertThat(fake.members()).hasSize(3);
    }

    @Test
    void binlogSyncerStartsRestartsOnChangeStopsWhenPausedAndOnDelete() throws Exception {
        FakeKingbusCluster fake = fake("kb-sync", 3);
        client.resource(cluster("kb-sync", 3)).create();
        client.resource(new SecretBuilder().withNewMetadata().withName("mysql-creds").withNamespace(NS).endMetadata()
                .addToStringData("user", "kb").addToStringData("password", PASSWORD).build()).create();
        awaitPhase("kb-sync", "Running");
        BinlogSyncer s = new BinlogSyncer();
        s.getMetadata().setName("sync");
        s.getMetadata().setNamespace(NS);
        s.setSpec(new BinlogSyncerSpec());
        s.getSpec().clusterRef = new ClusterRef("kb-sync");
        s.getSpec().syncerId = 1001L;
        s.getSpec().syncerUuid = "f7e30637-f15a-11e8-accc-244427b6b60e";
        s.getSpec().mysqlAddr = "10.0.0.5:3306";
        s.getSpec().credentialsSecret = new SecretKeys("mysql-creds");
        client.resource(s).create();

        await("syncer running", () -> {
            BinlogSyncer b = getSyncer("sync");
            return b.getStatus() != null && "running".equals(b.getStatus().state);
        });
        BinlogSyncer b = getSyncer("sync");
        assertThat(b.getMetadata().getFinalizers()).isNotEmpty();
        assertThat(b.getStatus().executedGtidSet).isEqualTo("214eb71f-96ec-11e8-ab4f-fa163e72d4ae:1-42");
        assertThat(b.getStatus().lastBinlogFile).isEqualTo("mysql-bin.000003");
        assertThat(b.getStatus().lastFilePosition).isEqualTo(1234L);
        List<FakeKingbusCluster.Call> starts = syncerCalls(fake, "syncer-start");
        assertThat(starts).hasSize(1);
        assertThat(starts.get(0).body().path("mysql_addr").asText()).isEqualTo("10.0.0.5:3306");
        assertThat(starts.get(0).body().path("mysql_user").asText()).isEqualTo("kb");
        assertThat(starts.get(0).body().path("mysql_password").asText()).isEqualTo(PASSWORD);
        assertThat(starts.get(0).body().path("syncer_id").asLong()).isEqualTo(1001L);

        // A changed spec restarts the syncer with the new arguments: stop, then start.
        edit(BinlogSyncer.class, "sync", x -> {
            x.getSpec().mysqlAddr = "10.0.0.6:3306";
            return x;
        });
        await("restarted", () -> syncerCalls(fake, "syncer-start").size() == 2);
        List<String> order = fake.calls().stream().map(FakeKingbusCluster.Call::what)
                .filter(w -> w.startsWith("syncer")).toList();
        assertThat(order).containsExactly("syncer-start", "syncer-stop", "syncer-start");
        assertThat(syncerCalls(fake, "syncer-start").get(1).body().path("mysql_addr").asText())
                .isEqualTo("10.0.0.6:3306");
        await("running again", () -> "running".equals(getSyncer("sync").getStatus().state)
                && Objects.equals(getSyncer("sync").getStatus().observedGeneration,
                getSyncer("sync").getMetadata().getGeneration()));

        // paused=true stops it.
        edit(BinlogSyncer.class, "sync", x -> {
            x.getSpec().paused = true;
            return x;
        });
        await("stopped", () -> "stopped".equals(getSyncer("sync").getStatus().state));
        assertThat(fake.syncerStatus()).isEqualTo("stopped");
        edit(BinlogSyncer.class, "sync", x -> {
            x.getSpec().paused = false;
            return x;
        });
        await("started after unpause", () -> "running".equals(fake.syncerStatus()));

        // The pause annotation stops reconciling: a spec change is not applied until it is removed.
        edit(BinlogSyncer.class, "sync", x -> {
            x.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of(KingbusCluster.PAUSED_ANNOTATION, "true")));
            x.getSpec().mysqlAddr = "10.0.0.7:3306";
            return x;
        });
        await("syncer paused", () -> getSyncer("sync").getStatus().conditions.stream().anyMatch(c ->
                c.getType().equals("Synced") && c.getReason().equals("Paused")));
        int callsWhilePaused = fake.calls().size();
        Thread.sleep(1000);
        assertThat(fake.calls()).hasSize(callsWhilePaused);
        edit(BinlogSyncer.class, "sync", x -> {
            x.getMetadata().getAnnotations().remove(KingbusCluster.PAUSED_ANNOTATION);
            return x;
        });
        await("restarted after the pause", () -> syncerCalls(fake, "syncer-start").stream()
                .anyMatch(c -> c.body().path("mysql_addr").asText().equals("10.0.0.7:3306")));

        // Deleting the resource stops the syncer first (finalizer), then the resource goes.
        int stopsBefore = syncerCalls(fake, "syncer-stop").size();
        client.resources(BinlogSyncer.class).inNamespace(NS).withName("sync").delete();
        await("deleted", () -> getSyncer("sync") == null);
        assertThat(syncerCalls(fake, "syncer-stop")).hasSize(stopsBefore + 1);
        assertThat(fake.syncerStatus()).isEqualTo("stopped");

        // The password appears in no status and no event.
        assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .noneMatch(e -> e.getMessage().contains(PASSWORD));
        assertThat(client.resources(KingbusCluster.class).inNamespace(NS).list().getItems().toString())
                .doesNotContain(PASSWORD);
        assertThat(eventReasons("sync")).contains("SyncerStarted", "SyncerRestarted", "SyncerStopped");
    }

    // ----------------------------------------------------------------------------------------------- helpers

    private static FakeKingbusCluster fake(String name, int initial) throws IOException {
        FakeKingbusCluster f = new FakeKingbusCluster(name, initial, 6);
        fakes.put(name, f);
        return f;
    }

    private static KingbusCluster cluster(String name, int replicas) {
        KingbusCluster k = new KingbusCluster();
        k.getMetadata().setName(name);
        k.getMetadata().setNamespace(NS);
        k.getMetadata().setAnnotations(new java.util.HashMap<>());
        k.setSpec(new KingbusClusterSpec());
        k.getSpec().replicas = replicas;
        return k;
    }

    /** Edits a custom resource, retrying when the operator's status write raced with it (HTTP 409). */
    private static <T extends HasMetadata> void edit(Class<T> type, String name, java.util.function.UnaryOperator<T> change)
            throws InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                client.resources(type).inNamespace(NS).withName(name).edit(change);
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 20) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    private static KingbusCluster get(String name) {
        return client.resources(KingbusCluster.class).inNamespace(NS).withName(name).get();
    }

    private static BinlogSyncer getSyncer(String name) {
        return client.resources(BinlogSyncer.class).inNamespace(NS).withName(name).get();
    }

    private static void scale(String name, int replicas) throws InterruptedException {
        edit(KingbusCluster.class, name, k -> {
            k.getSpec().replicas = replicas;
            return k;
        });
    }

    private static String condition(KingbusCluster k, String type) {
        return k.getStatus() == null ? null : k.getStatus().conditions.stream().filter(c -> c.getType().equals(type))
                .map(io.fabric8.kubernetes.api.model.Condition::getStatus).findFirst().orElse(null);
    }

    private static String conditionReason(KingbusCluster k, String type) {
        return k.getStatus().conditions.stream().filter(c -> c.getType().equals(type))
                .map(io.fabric8.kubernetes.api.model.Condition::getReason).findFirst().orElse(null);
    }

    private static String templateHash(String name) {
        return client.apps().statefulSets().inNamespace(NS).withName(name).get().getSpec().getTemplate().getMetadata()
                .getAnnotations().get(ClusterResources.TEMPLATE_HASH_ANNOTATION);
    }

    private static List<Event> events(String involved) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> involved.equals(e.getInvolvedObject().getName()))
                .sorted(java.util.Comparator.comparing(Event::getFirstTimestamp)).toList();
    }

    private static List<String> eventReasons(String involved) {
        return events(involved).stream().map(Event::getReason).toList();
    }

    private static List<String> eventMessages(String involved, String reason) {
        return events(involved).stream().filter(e -> e.getReason().equals(reason)).map(Event::getMessage).toList();
    }

    private static List<String> eventTypes(String involved, String reason) {
        return events(involved).stream().filter(e -> e.getReason().equals(reason)).map(Event::getType).toList();
    }

    private static List<String> pods(String cluster) {
        return client.pods().inNamespace(NS).withLabel(ClusterResources.LABEL_INSTANCE, cluster).list().getItems()
                .stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }

    private static List<FakeKingbusCluster.Call> syncerCalls(FakeKingbusCluster fake, String what) {
        return fake.calls().stream().filter(c -> c.what().equals(what)).toList();
    }

    private static void awaitPhase(String name, String phase) throws InterruptedException {
        await("phase " + phase + " of " + name, () -> {
            KingbusCluster k = get(name);
            return k != null && k.getStatus() != null && phase.equals(k.getStatus().phase);
        });
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    // ----------------------------------------------------------------------------------------------- "kubelet"

    private static void syncAllPods() {
        for (FakeKingbusCluster fake : fakes.values()) {
            try {
                syncPods(fake);
            } catch (RuntimeException e) {
                // The next tick retries (e.g. a conflict with the operator's own writes).
            }
        }
    }

    /** Plays the StatefulSet controller (OnDelete) and the kubelet for one cluster. */
    private static void syncPods(FakeKingbusCluster fake) {
        String name = fake.clusterName();
        StatefulSet sts = client.apps().statefulSets().inNamespace(NS).withName(name).get();
        if (sts == null) {
            return;
        }
        int replicas = sts.getSpec().getReplicas();
        Map<String, Pod> existing = new java.util.HashMap<>();
        client.pods().inNamespace(NS).withLabel(ClusterResources.LABEL_INSTANCE, name).list().getItems()
                .forEach(p -> existing.put(p.getMetadata().getName(), p));
        for (int i = 0; i < 6; i++) {
            String pod = name + "-" + i;
            Pod p = existing.get(pod);
            if (i >= replicas) {
                if (p != null) {
                    client.pods().inNamespace(NS).withName(pod).delete();
                }
                fake.setRunning(pod, false);
                continue;
            }
            if (p == null) {
                fake.setRunning(pod, false); // a deleted pod's node is down until its replacement runs
                boolean starts = !neverStarting.contains(pod);
                var t = sts.getSpec().getTemplate();
                client.resource(new PodBuilder()
                        .withNewMetadata().withName(pod).withNamespace(NS).withLabels(t.getMetadata().getLabels())
                        .withAnnotations(t.getMetadata().getAnnotations()).endMetadata()
                        .withSpec(t.getSpec())
                        .withNewStatus().withPhase(starts ? "Running" : "Pending").withConditions(ready(false))
                        .endStatus()
                        .build()).create();
                fake.setRunning(pod, starts);
                continue;
            }
            if (neverStarting.contains(pod)) {
                continue;
            }
            boolean ready = fake.isReady(pod);
            PodCondition have = p.getStatus().getConditions().get(0);
            if (!have.getStatus().equals(ready ? "True" : "False")) {
                client.pods().inNamespace(NS).withName(pod).edit(x -> {
                    x.getStatus().setConditions(new ArrayList<>(List.of(ready(ready))));
                    return x;
                });
            }
        }
    }

    private static PodCondition ready(boolean ready) {
        return new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build();
    }
}

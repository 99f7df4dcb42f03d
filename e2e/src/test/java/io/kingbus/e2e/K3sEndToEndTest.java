package io.kingbus.e2e;

import com.github.dockerjava.api.DockerClient;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.LocalPortForward;
import io.fabric8.kubernetes.client.readiness.Readiness;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole chain on a real Kubernetes (K3s in Docker): this repository's images built from docker/*.Dockerfile and
 * loaded into K3s, the operator installed with the Helm chart, a real MySQL primary and replica in the cluster, a
 * KingbusCluster with its binlog server and a BinlogSyncer; the replica replicates the primary through kingbus.
 *
 * <p>It needs a Docker engine (to build the images and run K3s) and pulls rancher/k3s and mysql images, so it runs
 * only where an engine answers; elsewhere (the development machines here have only the docker client) it is skipped
 * and says why. Build the jars first: {@code mvn -B -DskipTests package}, then
 * {@code mvn -B -pl e2e -Dtest=K3sEndToEndTest verify}.
 */
class K3sEndToEndTest {

    private static final Logger log = LoggerFactory.getLogger(K3sEndToEndTest.class);

    private static final DockerImageName K3S_IMAGE = DockerImageName.parse("rancher/k3s:v1.31.4-k3s1");
    private static final String MYSQL_IMAGE = "mysql:8.0";
    private static final String IMAGE_TAG = "e2e";
    private static final String NODE_IMAGE = "kingbus/kingbus-node:" + IMAGE_TAG;
    private static final String OPERATOR_IMAGE = "kingbus/kingbus-operator:" + IMAGE_TAG;
    private static final String OPERATOR_NAMESPACE = "kingbus-system";
    private static final String NAMESPACE = "shop";
    private static final String ROOT_PASSWORD = "root-e2e";
    private static final int BINLOG_SERVER_PORT = 3390;
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

    @Test
    void replicaReplicatesThePrimaryThroughAKingbusClusterRunByTheOperator() throws Exception {
        assumeTrue(DockerClientFactory.instance().isDockerAvailable(), "no Docker engine answers here: K3s and the"
                + " kingbus images need one (this machine has at most the docker client); the real-apiserver tests"
                + " (CrdsOnApiServerTest, ChartOnApiServerTest) cover the API side without it");

        String nodeImage = buildImage("kingbus-node", NODE_IMAGE);
        String operatorImage = buildImage("kingbus-operator", OPERATOR_IMAGE);

        try (K3sContainer k3s = new K3sContainer(K3S_IMAGE)) {
            k3s.start();
            loadIntoK3s(k3s, nodeImage, operatorImage);
            String kubeconfig = k3s.getKubeConfigYaml();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfig)).build()) {
                installOperator(kubeconfig);
                client.namespaces().resource(new NamespaceBuilder()
                        .withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();

                startMySql(client, "mysql-primary", 1);
                startMySql(client, "mysql-replica", 2);
                try (LocalPortForward primaryPort = client.pods().inNamespace(NAMESPACE).withName("mysql-primary").portForward(3306);
                     LocalPortForward replicaPort = client.pods().inNamespace(NAMESPACE).withName("mysql-replica").portForward(3306);
                     Connection primary = connect(primaryPort);
                     Connection replica = connect(replicaPort)) {
                    execute(primary,
                            "CREATE USER 'repl'@'%' IDENTIFIED WITH mysql_native_password BY 'repl-e2e'",
                            "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'%'",
                            "CREATE DATABASE shop",
                            "CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, item VARCHAR(64) NOT NULL)");
                    insertOrders(primary, 100);

                    createKingbus(client, nodeImage);
                    awaitClusterReady(client);

                    String binlogHost = binlogServerService(client) + "." + NAMESPACE + ".svc.cluster.local";
                    execute(replica,
                            "CHANGE MASTER TO MASTER_HOST='" + binlogHost + "', MASTER_PORT=" + BINLOG_SERVER_PORT
                                    + ", MASTER_USER='kb', MASTER_PASSWORD='kb-e2e', MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1",
                            "START SLAVE");
                    awaitReplicaHasPrimary(primary, replica, 100);

                    // Still streaming: new transactions reach the replica through kingbus too.
                    insertOrders(primary, 50);
                    awaitReplicaHasPrimary(primary, replica, 150);
                }
            }
        }
    }

    /** Builds an image as docker/build does: docker/&lt;module&gt;.Dockerfile with the module's jar (and launcher). */
    private static String buildImage(String module, String name) {
        Path jar = KingbusRepo.dir().resolve(module).resolve("target").resolve(module + ".jar");
        assertThat(jar).as("%s is missing; build the jars first: mvn -B -DskipTests package", jar).isRegularFile();
        Path docker = KingbusRepo.dir().resolve("docker");
        ImageFromDockerfile image = new ImageFromDockerfile(name, false)
                .withFileFromPath("Dockerfile", docker.resolve(module + ".Dockerfile"))
                .withFileFromPath(module + ".jar", jar);
        if (Files.isRegularFile(docker.resolve(module + ".sh"))) {
            image.withFileFromPath(module + ".sh", docker.resolve(module + ".sh"));
        }
        String built = image.get();
        log.info("built {}", built);
        return built;
    }

    /** K3s runs containerd, not the host's Docker: docker save the images and import them there. */
    private static void loadIntoK3s(K3sContainer k3s, String... images) throws IOException, InterruptedException {
        DockerClient docker = DockerClientFactory.instance().client();
        for (String image : images) {
            Path tar = Files.createTempFile("kingbus-image", ".tar");
            try {
                try (InputStream saved = docker.saveImageCmd(image).exec()) {
                    Files.copy(saved, tar, StandardCopyOption.REPLACE_EXISTING);
                }
                k3s.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/image.tar");
                ExecResult imported = k3s.execInContainer("ctr", "--address", "/run/k3s/containerd/containerd.sock",
                        "--namespace", "k8s.io", "images", "import", "/tmp/image.tar");
                assertThat(imported.getExitCode()).as("ctr images import %s: %s", image, imported.getStderr()).isZero();
                log.info("loaded {} into K3s", image);
            } finally {
                Files.deleteIfExists(tar);
            }
        }
    }

    /** helm install with the CRDs from the chart's crds/, the freshly built operator image, waiting until ready. */
    private static void installOperator(String kubeconfig) {
        new Helm(KingbusRepo.chartDir()).install()
                .withName("kingbus-operator")
                .withNamespace(OPERATOR_NAMESPACE)
                .createNamespace()
                .withKubeConfigContents(kubeconfig)
                .set("image.repository", OPERATOR_IMAGE.substring(0, OPERATOR_IMAGE.indexOf(':')))
                .set("image.tag", IMAGE_TAG)
                .set("image.pullPolicy", "Never")
                .waitReady()
                .withTimeout((int) READY_TIMEOUT.toSeconds())
                .call();
        log.info("operator installed with the chart in {}", OPERATOR_NAMESPACE);
    }

    /** A MySQL 8.0 server with GTIDs and row binlogs, as a pod with a Service of the same name. */
    private static void startMySql(KubernetesClient client, String name, int serverId) {
        Pod pod = new PodBuilder()
                .withNewMetadata().withName(name).addToLabels("app", name).endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("mysql")
                .withImage(MYSQL_IMAGE)
                .withArgs("--server-id=" + serverId, "--log-bin=mysql-bin", "--gtid-mode=ON",
                        "--enforce-gtid-consistency=ON", "--binlog-format=ROW")
                .addNewEnv().withName("MYSQL_ROOT_PASSWORD").withValue(ROOT_PASSWORD).endEnv()
                .addNewPort().withContainerPort(3306).withName("mysql").endPort()
                // The image's first start runs a temporary server without networking: TCP means the real one.
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(3306)).endTcpSocket()
                .withPeriodSeconds(2).endReadinessProbe()
                .endContainer()
                .endSpec().build();
        client.pods().inNamespace(NAMESPACE).resource(pod).create();
        Service service = new ServiceBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().addToSelector("app", name)
                .addNewPort().withName("mysql").withPort(3306).withTargetPort(new IntOrString(3306)).endPort()
                .endSpec().build();
        client.services().inNamespace(NAMESPACE).resource(service).create();
        client.pods().inNamespace(NAMESPACE).withName(name)
                .waitUntilCondition(Readiness::isPodReady, READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        log.info("{} ready (server_id {})", name, serverId);
    }

    /** The KingbusCluster and BinlogSyncer of examples/, adapted: the e2e image, small volumes, test passwords. */
    private static void createKingbus(KubernetesClient client, String nodeImage) {
        client.secrets().inNamespace(NAMESPACE).resource(secret("kingbus-binlog-server", "kb", "kb-e2e")).create();
        client.secrets().inNamespace(NAMESPACE).resource(secret("mysql-primary-replication", "repl", "repl-e2e")).create();

        GenericKubernetesResource cluster = example(client, "kingbus-cluster.yaml", "KingbusCluster");
        Map<String, Object> clusterSpec = spec(cluster);
        clusterSpec.put("image", nodeImage);
        clusterSpec.put("imagePullPolicy", "Never");
        clusterSpec.put("storage", Map.of("size", "1Gi"));
        clusterSpec.remove("resources");
        client.resource(cluster).inNamespace(NAMESPACE).create();

        GenericKubernetesResource syncer = example(client, "binlog-syncer.yaml", "BinlogSyncer");
        spec(syncer).put("mysqlAddr", "mysql-primary." + NAMESPACE + ".svc.cluster.local:3306");
        client.resource(syncer).inNamespace(NAMESPACE).create();
        log.info("created KingbusCluster {} and BinlogSyncer {}", cluster.getMetadata().getName(), syncer.getMetadata().getName());
    }

    private static void awaitClusterReady(KubernetesClient client) {
        await("KingbusCluster kingbus has 3 ready members and a leader", () -> {
            GenericKubernetesResource cluster = client.genericKubernetesResources("kingbus.io/v1alpha1", "KingbusCluster")
                    .inNamespace(NAMESPACE).withName("kingbus").get();
            Object status = cluster.getAdditionalProperties().get("status");
            if (!(status instanceof Map<?, ?> s)) {
                return false;
            }
            return Integer.valueOf(3).equals(s.get("readyReplicas")) && s.get("leader") != null;
        });
    }

    /** The name of the Service the operator made for the cluster's binlog server (the one with its port). */
    private static String binlogServerService(KubernetesClient client) {
        List<Service> candidates = client.services().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(s -> s.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> "KingbusCluster".equals(o.getKind()) && "kingbus".equals(o.getName())))
                .filter(s -> s.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == BINLOG_SERVER_PORT))
                // Prefer the load-balanced one; a headless Service would do as well: every node serves the binlog.
                .sorted((a, b) -> Boolean.compare("None".equals(a.getSpec().getClusterIP()), "None".equals(b.getSpec().getClusterIP())))
                .toList();
        assertThat(candidates).as("a Service of KingbusCluster kingbus with port %d", BINLOG_SERVER_PORT).isNotEmpty();
        return candidates.get(0).getMetadata().getName();
    }

    private static void awaitReplicaHasPrimary(Connection primary, Connection replica, int orders) throws SQLException {
        String primaryGtids = queryString(primary, "SELECT @@GLOBAL.gtid_executed");
        await("the replica has the primary's " + primaryGtids + " and " + orders + " orders", () -> {
            try {
                return "1".equals(queryString(replica, "SELECT GTID_SUBSET('" + primaryGtids + "', @@GLOBAL.gtid_executed)"))
                        && Integer.toString(orders).equals(queryString(replica, "SELECT COUNT(*) FROM shop.orders"));
            } catch (SQLException notYet) {
                return false; // e.g. shop.orders not replicated yet
            }
        });
        log.info("replica caught up through kingbus: {}", primaryGtids);
    }

    private static void insertOrders(Connection primary, int count) throws SQLException {
        try (Statement statement = primary.createStatement()) {
            for (int i = 0; i < count; i++) {
                statement.executeUpdate("INSERT INTO shop.orders (item) VALUES ('item-" + i + "')");
            }
        }
    }

    private static Connection connect(LocalPortForward port) throws SQLException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            try {
                return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port.getLocalPort()
                        + "/?useSSL=false&allowPublicKeyRetrieval=true", "root", ROOT_PASSWORD);
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                sleep(Duration.ofSeconds(1));
            }
        }
    }

    private static void execute(Connection connection, String... statements) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    private static String queryString(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    private static Secret secret(String name, String user, String password) {
        return new SecretBuilder().withNewMetadata().withName(name).endMetadata()
                .addToStringData("user", user).addToStringData("password", password).build();
    }

    private static GenericKubernetesResource example(KubernetesClient client, String file, String kind) {
        try (InputStream in = Files.newInputStream(KingbusRepo.examplesDir().resolve(file))) {
            return client.load(in).items().stream()
                    .filter(item -> kind.equals(item.getKind()))
                    .map(GenericKubernetesResource.class::cast)
                    .findFirst().orElseThrow(() -> new AssertionError("examples/" + file + " has no " + kind));
        } catch (IOException e) {
            throw new AssertionError("cannot read examples/" + file, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() < deadline).as("%s within %s", what, READY_TIMEOUT).isTrue();
            sleep(Duration.ofSeconds(2));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

}

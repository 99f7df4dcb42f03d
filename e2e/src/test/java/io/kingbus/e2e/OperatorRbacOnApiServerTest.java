package io.kingbus.e2e;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chart's RBAC is enough for the real operator: kingbus-operator.jar runs against the real kube-apiserver
 * as the chart's service account (logged in with a token of it) watching one namespace, and makes
 * everything a KingbusCluster and a BinlogSyncer need there. An API server alone runs no pods, so the cluster
 * never becomes ready; what is checked is that every object the operator writes got written.
 */
class OperatorRbacOnApiServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @Test
    void operatorAsTheChartsServiceAccountCreatesAClustersObjects() throws Exception {
        Path jar = KingbusRepo.dir().resolve("kingbus-operator/target/kingbus-operator.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is not built (mvn -B -DskipTests -pl kingbus-operator -am package;"
                + " a whole-reactor mvn verify builds it before e2e)");
        assertTrue(Files.isDirectory(KingbusRepo.crdsDir()), "the repository has no crds/");
        KubeApiServerFixture k8s = KubeApiServerFixture.shared();
        k8s.installRepoCrds();
        String release = k8s.createNamespace("operator");
        String watched = k8s.createNamespace("kingbus");
        new Helm(KingbusRepo.chartDir()).install().withName(release).withNamespace(release)
                .withKubeConfig(k8s.kubeconfig()).set("watchedNamespaces[0]", watched).call();

        Path kubeconfig = serviceAccountKubeconfig(k8s, release, release + "-kingbus-operator");
        Path log = Files.createTempFile("kingbus-operator", ".log");
        ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-jar", jar.toString(), "--namespace", watched, "--metrics-port", "0",
                "--leader-election-namespace", release)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        Process operator = builder.start();
        try {
            KubernetesClient client = k8s.client();
            for (HasMetadata item : k8s.load(KingbusRepo.examplesDir().resolve("kingbus-cluster.yaml"))) {
                client.resource(item).inNamespace(watched).create();
            }
            for (HasMetadata item : k8s.load(KingbusRepo.examplesDir().resolve("binlog-syncer.yaml"))) {
                client.resource(item).inNamespace(watched).create();
            }

            await(log, "the operator creates the StatefulSet, Services, ConfigMap and PodDisruptionBudget of kingbus", () ->
                    client.apps().statefulSets().inNamespace(watched).withName("kingbus").get() != null
                            && client.services().inNamespace(watched).list().getItems().size() >= 2
                            && !client.configMaps().inNamespace(watched).withLabel("app.kubernetes.io/instance", "kingbus").list().getItems().isEmpty()
                            && !client.policy().v1beta1().podDisruptionBudget().inNamespace(watched).list().getItems().isEmpty());
            await(log, "the operator writes the KingbusCluster's status", () -> status(client, watched, "KingbusCluster", "kingbus") != null);
            await(log, "the operator puts its finalizer on the BinlogSyncer and writes its status", () -> {
                GenericKubernetesResource syncer = client.genericKubernetesResources("kingbus.io/v1alpha1", "BinlogSyncer")
                        .inNamespace(watched).withName("kingbus-from-primary").get();
                return !syncer.getMetadata().getFinalizers().isEmpty() && syncer.getAdditionalProperties().get("status") != null;
            });
            await(log, "the operator holds its leader-election Lease in the release namespace", () -> {
                var lease = client.leases().inNamespace(release).withName("kingbus-operator").get();
                return lease != null && lease.getSpec().getHolderIdentity() != null;
            });
            await(log, "the operator records events", () -> !client.v1().events().inNamespace(watched).list().getItems().isEmpty());
            assertThat(Files.readString(log)).as("operator log").doesNotContainIgnoringCase("forbidden");
        } finally {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly().waitFor();
            }
            Files.deleteIfExists(kubeconfig);
            Files.deleteIfExists(log);
        }
    }

    private static Object status(KubernetesClient client, String namespace, String kind, String name) {
        GenericKubernetesResource resource = client.genericKubernetesResources("kingbus.io/v1alpha1", kind)
                .inNamespace(namespace).withName(name).get();
        return resource == null ? null : resource.getAdditionalProperties().get("status");
    }

    /** Polls until the condition holds; fails with the operator's log on timeout or as soon as it was refused. */
    private static void await(Path log, String what, BooleanSupplier condition) throws IOException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (Files.readString(log).contains(" is forbidden: ")) {
                throw new AssertionError("the API server refused the operator something (" + what + "); operator log:\n"
                        + Files.readString(log));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " did not happen within " + TIMEOUT + "; operator log:\n" + Files.readString(log));
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * A kubeconfig that logs in as the service account itself, with a token from the API server's TokenRequest
     * API (no controller-manager runs to make token Secrets): the server authenticates it like a pod's token.
     */
    static Path serviceAccountKubeconfig(KubeApiServerFixture k8s, String namespace, String serviceAccount) throws IOException {
        TokenRequest request = k8s.client().serviceAccounts().inNamespace(namespace).withName(serviceAccount)
                .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build());
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode config = (ObjectNode) yaml.readTree(k8s.kubeconfig().toFile());
        ObjectNode user = (ObjectNode) config.withArray("users").get(0).get("user");
        user.removeAll();
        user.put("token", request.getStatus().getToken());
        Path file = Files.createTempFile("kubeconfig-" + serviceAccount, ".yaml");
        yaml.writeValue(file.toFile(), config);
        return file;
    }
}

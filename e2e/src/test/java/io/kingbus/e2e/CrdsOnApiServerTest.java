package io.kingbus.e2e;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.kingbus.e2e.KubeApiServerFixture.CommandResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CRDs of crds/ on a real kube-apiserver: the examples apply with kubectl, the server fills the agreed
 * defaults, and its schema validation rejects bad specs with its own error naming the field.
 */
class CrdsOnApiServerTest {

    private static final Logger log = LoggerFactory.getLogger(CrdsOnApiServerTest.class);
    private static final String API_VERSION = "kingbus.io/v1alpha1";

    private static KubeApiServerFixture k8s;
    private static String namespace;

    @BeforeAll
    static void installCrds() {
        assertTrue(Files.isDirectory(KingbusRepo.crdsDir()), "the repository has no crds/: the operator module"
                + " generates them from its Java types (or pass -D" + KingbusRepo.CRDS_DIR_PROPERTY + "=DIR)");
        k8s = KubeApiServerFixture.shared();
        k8s.installRepoCrds();
        namespace = k8s.createNamespace("crds");
    }

    @Test
    void kubectlAppliesTheExamples() {
        for (Path example : KingbusRepo.yamlFiles(KingbusRepo.examplesDir())) {
            CommandResult dryRun = k8s.kubectl(null, "apply", "--dry-run=server", "-n", namespace, "-f", example.toString());
            assertThat(dryRun.exitCode()).as("kubectl apply --dry-run=server -f %s: %s", example, dryRun.stderr()).isZero();
            CommandResult apply = k8s.kubectl(null, "apply", "-n", namespace, "-f", example.toString());
            assertThat(apply.exitCode()).as("kubectl apply -f %s: %s", example, apply.stderr()).isZero();
            assertThat(apply.stdout()).contains("created");
        }
        GenericKubernetesResource cluster = clusters().withName("kingbus").get();
        assertThat(spec(cluster)).containsEntry("replicas", 3);
        GenericKubernetesResource syncer = syncers().withName("kingbus-from-primary").get();
        assertThat(spec(syncer)).containsEntry("syncerId", 1001).containsEntry("mysqlAddr", "mysql-primary:3306");
    }

    @Test
    void serverFillsTheAgreedDefaults() {
        GenericKubernetesResource created = clusters().resource(kingbusCluster("defaults", spec -> {
            spec.remove("replicas");
            spec.remove("image");
            spec.put("storage", new LinkedHashMap<>()); // the size default applies inside a given storage object
            spec.put("binlogServer", new LinkedHashMap<>(Map.of("enabled", true,
                    "credentialsSecret", Map.of("name", "kingbus-binlog-server"))));
        })).create();

        Map<String, Object> spec = spec(created);
        assertThat(spec).containsEntry("replicas", 3).containsEntry("image", "kingbus/kingbus-node:0.1.0");
        assertThat(map(spec, "storage")).containsEntry("size", "10Gi");
        Map<String, Object> binlogServer = map(spec, "binlogServer");
        assertThat(binlogServer).containsEntry("port", 3390);
        assertThat(map(binlogServer, "credentialsSecret")).containsEntry("userKey", "user").containsEntry("passwordKey", "password");
    }

    static Stream<Arguments> badClusters() {
        return Stream.of(
                Arguments.of("replicas 0", (Consumer<Map<String, Object>>) s -> s.put("replicas", 0), "spec.replicas"),
                Arguments.of("replicas -1", (Consumer<Map<String, Object>>) s -> s.put("replicas", -1), "spec.replicas"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badClusters")
    void rejectsABadKingbusCluster(String name, Consumer<Map<String, Object>> breakSpec, String field) {
        GenericKubernetesResource bad = kingbusCluster(objectName(name), breakSpec);
        assertRejected(() -> clusters().resource(bad).create(), field);
    }

    static Stream<Arguments> badSyncers() {
        return Stream.of(
                Arguments.of("syncerUuid not a UUID", (Consumer<Map<String, Object>>) s -> s.put("syncerUuid", "f7e30637-f15a-11e8-accc"), "spec.syncerUuid"),
                Arguments.of("mysqlAddr without port", (Consumer<Map<String, Object>>) s -> s.put("mysqlAddr", "mysql-primary"), "spec.mysqlAddr"),
                Arguments.of("mysqlAddr with a scheme", (Consumer<Map<String, Object>>) s -> s.put("mysqlAddr", "mysql://primary:3306"), "spec.mysqlAddr"),
                Arguments.of("syncerId 0", (Consumer<Map<String, Object>>) s -> s.put("syncerId", 0), "spec.syncerId"),
                Arguments.of("syncerId above 2^32-1", (Consumer<Map<String, Object>>) s -> s.put("syncerId", 4294967296L), "spec.syncerId"),
                Arguments.of("clusterRef missing", (Consumer<Map<String, Object>>) s -> s.remove("clusterRef"), "spec.clusterRef"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSyncers")
    void rejectsABadBinlogSyncer(String name, Consumer<Map<String, Object>> breakSpec, String field) {
        GenericKubernetesResource bad = binlogSyncer(objectName(name), breakSpec);
        assertRejected(() -> syncers().resource(bad).create(), field);
    }

    /** The server answers 422 Invalid, and its message names the offending field. */
    private static void assertRejected(Runnable create, String field) {
        assertThatThrownBy(create::run)
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).as(e.getMessage()).isEqualTo(422);
                    assertThat(e.getStatus().getDetails().getCauses())
                            .as(e.getMessage())
                            .anySatisfy(cause -> assertThat(cause.getField()).isEqualTo(field));
                    assertThat(e.getMessage()).contains(field);
                    log.info("rejected as it should be: {}", e.getStatus().getMessage());
                });
    }

    /** A valid object name made from a test case's description. */
    private static String objectName(String description) {
        return description.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    }

    private static GenericKubernetesResource kingbusCluster(String name, Consumer<Map<String, Object>> changeSpec) {
        return fromExample("kingbus-cluster.yaml", "KingbusCluster", name, changeSpec);
    }

    private static GenericKubernetesResource binlogSyncer(String name, Consumer<Map<String, Object>> changeSpec) {
        return fromExample("binlog-syncer.yaml", "BinlogSyncer", name, changeSpec);
    }

    /** The example's resource of that kind, renamed, with its spec changed. */
    private static GenericKubernetesResource fromExample(String file, String kind, String name,
                                                         Consumer<Map<String, Object>> changeSpec) {
        HasMetadata example = k8s.load(KingbusRepo.examplesDir().resolve(file)).stream()
                .filter(item -> kind.equals(item.getKind()))
                .findFirst().orElseThrow(() -> new AssertionError("examples/" + file + " has no " + kind));
        GenericKubernetesResource resource = (GenericKubernetesResource) example;
        resource.getMetadata().setName(name);
        resource.getMetadata().setNamespace(namespace);
        Map<String, Object> spec = new LinkedHashMap<>(spec(resource));
        changeSpec.accept(spec);
        resource.setAdditionalProperty("spec", spec);
        return resource;
    }

    private static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> clusters() {
        return k8s.client().genericKubernetesResources(API_VERSION, "KingbusCluster").inNamespace(namespace);
    }

    private static NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> syncers() {
        return k8s.client().genericKubernetesResources(API_VERSION, "BinlogSyncer").inNamespace(namespace);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(GenericKubernetesResource resource) {
        return (Map<String, Object>) resource.getAdditionalProperties().get("spec");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        assertThat(parent).containsKey(key);
        return (Map<String, Object>) parent.get(key);
    }
}

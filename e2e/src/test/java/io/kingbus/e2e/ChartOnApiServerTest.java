package io.kingbus.e2e;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.Release;
import io.kingbus.e2e.KubeApiServerFixture.CommandResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What helm template renders from charts/kingbus-operator is valid for a real kube-apiserver, and the RBAC
 * it creates gives the operator's service account exactly its rights, as the server's own RBAC authorizer
 * decides them.
 */
class ChartOnApiServerTest {

    private static KubeApiServerFixture k8s;

    @BeforeAll
    static void startApiServer() {
        k8s = KubeApiServerFixture.shared();
    }

    @Test
    void defaultReleaseLetsTheOperatorWorkInEveryNamespace() {
        String release = k8s.createNamespace("operator");
        String anyNamespace = k8s.createNamespace("apps");
        String manifest = HelmChart.template(release, release, Map.of()).yaml();

        applyDryRunThenCreate(manifest);

        String operator = serviceAccount(release, release);
        awaitAllowed(operator, anyNamespace, "create", "statefulsets.apps");
        assertThat(canI(operator, anyNamespace, "watch", "kingbusclusters.kingbus.io")).isTrue();
        assertThat(canI(operator, anyNamespace, "patch", "kingbusclusters/status.kingbus.io")).isTrue();
        assertThat(canI(operator, anyNamespace, "update", "binlogsyncers/finalizers.kingbus.io")).isTrue();
        assertThat(canI(operator, anyNamespace, "create", "poddisruptionbudgets.policy")).isTrue();
        assertThat(canI(operator, anyNamespace, "delete", "persistentvolumeclaims")).isTrue();
        assertThat(canI(operator, anyNamespace, "get", "secrets")).isTrue();
        assertThat(canI(operator, anyNamespace, "create", "events")).isTrue();
        assertThat(canI(operator, anyNamespace, "delete", "pods")).isTrue(); // rolling restarts, one pod at a time
        // Read-only where it only reads, and nothing beyond its resources.
        assertThat(canI(operator, anyNamespace, "create", "secrets")).isFalse();
        assertThat(canI(operator, anyNamespace, "create", "pods")).isFalse();
        assertThat(canI(operator, anyNamespace, "create", "deployments.apps")).isFalse();
    }

    @Test
    void watchedNamespacesConfineTheOperatorToThem() {
        String release = k8s.createNamespace("operator");
        String watched = k8s.createNamespace("watched");
        String unwatched = k8s.createNamespace("unwatched");
        String manifest = HelmChart.template(release, release, Map.of("watchedNamespaces[0]", watched)).yaml();

        applyDryRunThenCreate(manifest);

        String operator = serviceAccount(release, release);
        awaitAllowed(operator, watched, "create", "statefulsets.apps");
        assertThat(canI(operator, watched, "list", "kingbusclusters.kingbus.io")).isTrue();
        assertThat(canI(operator, unwatched, "create", "statefulsets.apps")).isFalse();
        assertThat(canI(operator, unwatched, "list", "kingbusclusters.kingbus.io")).isFalse();
    }

    @Test
    void exampleClusterIsAcceptedByTheServer() {
        assertTrue(Files.isDirectory(KingbusRepo.crdsDir()), "the repository has no crds/: the operator module"
                + " generates them from its Java types (or pass -D" + KingbusRepo.CRDS_DIR_PROPERTY + "=DIR)");
        k8s.installRepoCrds();
        String release = k8s.createNamespace("example");
        String manifest = HelmChart.template(release, release, Map.of(
                "exampleCluster.enabled", true,
                "exampleCluster.binlogServer.credentialsSecret.password", "s3cret")).yaml();

        CommandResult created = applyDryRunThenCreate(manifest);

        assertThat(created.stdout()).contains("kingbuscluster.kingbus.io/kingbus created", "secret/kingbus-binlog-server created");
    }

    @Test
    void helmInstallsTheChartOnTheServer() {
        String release = k8s.createNamespace("helm");
        Release installed = new Helm(KingbusRepo.chartDir()).install()
                .withName(release)
                .withNamespace(release)
                .withKubeConfig(k8s.kubeconfig())
                .set("watchedNamespaces[0]", release)
                .call();

        assertThat(installed.getStatus()).isEqualTo("deployed");
        String name = release + "-kingbus-operator";
        assertThat(k8s.client().apps().deployments().inNamespace(release).withName(name).get()).isNotNull();
        assertThat(k8s.client().serviceAccounts().inNamespace(release).withName(name).get()).isNotNull();
        assertThat(k8s.client().rbac().roles().inNamespace(release).withName(name).get()).isNotNull();
        assertThat(k8s.client().rbac().roleBindings().inNamespace(release).withName(name).get()).isNotNull();
        // helm applies crds/ before the templates (and leaves CRDs that are already there alone)
        assertThat(k8s.client().apiextensions().v1().customResourceDefinitions().withName("kingbusclusters.kingbus.io").get()).isNotNull();
        assertThat(k8s.client().apiextensions().v1().customResourceDefinitions().withName("binlogsyncers.kingbus.io").get()).isNotNull();
    }

    /** The manifest passes a server-side dry run, then is created for real; returns the create's output. */
    private static CommandResult applyDryRunThenCreate(String manifest) {
        CommandResult dryRun = k8s.kubectl(manifest, "apply", "--dry-run=server", "-f", "-");
        assertThat(dryRun.exitCode()).as("kubectl apply --dry-run=server: %s%nmanifest:%n%s", dryRun.stderr(), manifest).isZero();
        CommandResult created = k8s.kubectl(manifest, "create", "-f", "-");
        assertThat(created.exitCode()).as("kubectl create: %s%nmanifest:%n%s", created.stderr(), manifest).isZero();
        return created;
    }

    private static String serviceAccount(String namespace, String release) {
        return "system:serviceaccount:" + namespace + ":" + release + "-kingbus-operator";
    }

    /**
     * Waits until the server allows it: its RBAC authorizer learns new bindings through a watch, a moment after
     * they are created. Every other check of a test comes after this one, so a "no" there is a real "no".
     */
    private static void awaitAllowed(String user, String namespace, String verb, String resource) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!canI(user, namespace, verb, resource)) {
            assertThat(System.nanoTime() - deadline).as("%s may %s %s in %s within 30 s", user, verb, resource, namespace)
                    .isNegative();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /**
     * The server's answer to "may this service account do that", from its RBAC authorizer (a
     * SubjectAccessReview, what kubectl auth can-i sends). {@code resource} is "plural.group" or "plural/subresource.group".
     */
    private static boolean canI(String user, String namespace, String verb, String resource) {
        String[] resourceAndGroup = resource.split("\\.", 2);
        String[] pluralAndSub = resourceAndGroup[0].split("/", 2);
        SubjectAccessReview review = k8s.client().authorization().v1().subjectAccessReview().create(
                new SubjectAccessReviewBuilder().withNewSpec()
                        .withUser(user)
                        .withGroups("system:serviceaccounts", "system:serviceaccounts:" + user.split(":")[2], "system:authenticated")
                        .withNewResourceAttributes()
                        .withNamespace(namespace)
                        .withVerb(verb)
                        .withGroup(resourceAndGroup.length > 1 ? resourceAndGroup[1] : "")
                        .withResource(pluralAndSub[0])
                        .withSubresource(pluralAndSub.length > 1 ? pluralAndSub[1] : null)
                        .endResourceAttributes()
                        .endSpec().build());
        return review.getStatus().getAllowed();
    }
}

package io.kingbus.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** charts/kingbus-operator: helm lint --strict, and what helm template renders for the values that matter. */
class HelmChartTest {

    private static final String NAMESPACE = "kingbus-system";
    private static final String FULLNAME = "kb-kingbus-operator";

    @Test
    void lintStrictPasses() {
        LintResult lint = new Helm(KingbusRepo.chartDir()).lint().strict().call();
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    }

    @Test
    void defaultsWatchAllNamespacesWithAClusterRole() {
        HelmChart.Rendered rendered = HelmChart.template(NAMESPACE, Map.of());

        // helm template leaves out crds/ (helm install applies them first); ChartCrdsTest covers them.
        assertThat(rendered.kinds()).containsExactlyInAnyOrder("ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                "Role", "RoleBinding", "Service", "Deployment");

        JsonNode binding = rendered.get("ClusterRoleBinding", FULLNAME);
        assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("ClusterRole");
        assertThat(binding.path("roleRef").path("name").asText()).isEqualTo(FULLNAME);
        JsonNode subject = binding.path("subjects").get(0);
        assertThat(subject.path("kind").asText()).isEqualTo("ServiceAccount");
        assertThat(subject.path("name").asText()).isEqualTo(FULLNAME);
        assertThat(subject.path("namespace").asText()).isEqualTo(NAMESPACE);
        assertThat(rendered.get("ServiceAccount", FULLNAME).path("metadata").path("namespace").asText()).isEqualTo(NAMESPACE);

        assertOperatorRules(rendered.get("ClusterRole", FULLNAME));

        JsonNode pod = rendered.get("Deployment", FULLNAME).path("spec").path("template").path("spec");
        assertThat(pod.path("serviceAccountName").asText()).isEqualTo(FULLNAME);
        JsonNode container = pod.path("containers").get(0);
        assertThat(container.path("image").asText()).isEqualTo("kingbus/kingbus-operator:0.1.0");
        assertThat(texts(container.path("args"))).containsExactly("--metrics-port=8080",
                "--leader-election-namespace=$(POD_NAMESPACE)");
        // the leader-election Lease lives in the release namespace, whatever the operator watches
        JsonNode leaseRole = rendered.get("Role", FULLNAME + "-leader-election");
        assertThat(leaseRole.path("metadata").path("namespace").asText()).isEqualTo(NAMESPACE);
        assertThat(leaseRole.path("rules").get(0).path("apiGroups").get(0).asText()).isEqualTo("coordination.k8s.io");
        assertThat(texts(leaseRole.path("rules").get(0).path("resources"))).containsExactly("leases");
        assertThat(rendered.get("RoleBinding", FULLNAME + "-leader-election").path("subjects").get(0).path("name")
                .asText()).isEqualTo(FULLNAME);
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean()).isTrue();
    }

    @Test
    void watchedNamespacesGetARoleAndBindingEachAndNoClusterRights() {
        HelmChart.Rendered rendered = HelmChart.template(NAMESPACE, Map.of(
                "watchedNamespaces[0]", "team-a", "watchedNamespaces[1]", "team-b"));

        assertThat(rendered.kinds()).doesNotContain("ClusterRole", "ClusterRoleBinding");
        List<JsonNode> roles = rendered.ofKind("Role").stream()
                .filter(r -> r.path("metadata").path("name").asText().equals(FULLNAME)).toList();
        assertThat(roles).extracting(r -> r.path("metadata").path("namespace").asText())
                .containsExactlyInAnyOrder("team-a", "team-b");
        for (JsonNode role : roles) {
            assertOperatorRules(role);
        }
        assertThat(rendered.ofKind("RoleBinding")).hasSize(3).allSatisfy(binding -> {
            assertThat(binding.path("roleRef").path("kind").asText()).isEqualTo("Role");
            assertThat(binding.path("subjects").get(0).path("namespace").asText()).isEqualTo(NAMESPACE);
        });
        JsonNode container = rendered.get("Deployment", FULLNAME).path("spec").path("template").path("spec").path("containers").get(0);
        assertThat(texts(container.path("args"))).containsExactly("--metrics-port=8080",
                "--leader-election-namespace=$(POD_NAMESPACE)", "--namespace=team-a", "--namespace=team-b");
    }

    @Test
    void leaderElectionCanBeTurnedOff() {
        HelmChart.Rendered rendered = HelmChart.template(NAMESPACE, Map.of("leaderElection.enabled", false));

        assertThat(rendered.kinds()).doesNotContain("Role", "RoleBinding");
        JsonNode container = rendered.get("Deployment", FULLNAME).path("spec").path("template").path("spec").path("containers").get(0);
        assertThat(texts(container.path("args"))).containsExactly("--metrics-port=8080");
    }

    @Test
    void valuesReachTheDeploymentAndService() {
        HelmChart.Rendered rendered = HelmChart.template(NAMESPACE, Map.of(
                "image.repository", "registry.example/kingbus-operator",
                "image.tag", "0.2.0-rc1",
                "image.pullPolicy", "Always",
                "metrics.port", 9100,
                "resources.limits.memory", "1Gi",
                "javaOptions", "-Xmx300m"));

        JsonNode container = rendered.get("Deployment", FULLNAME).path("spec").path("template").path("spec").path("containers").get(0);
        assertThat(container.path("image").asText()).isEqualTo("registry.example/kingbus-operator:0.2.0-rc1");
        assertThat(container.path("imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(texts(container.path("args"))).contains("--metrics-port=9100");
        assertThat(container.path("ports").get(0).path("containerPort").asInt()).isEqualTo(9100);
        assertThat(container.path("resources").path("limits").path("memory").asText()).isEqualTo("1Gi");
        assertThat(StreamSupport.stream(container.path("env").spliterator(), false)
                .filter(e -> "JAVA_TOOL_OPTIONS".equals(e.path("name").asText()))
                .map(e -> e.path("value").asText())).containsExactly("-Xmx300m");
        JsonNode service = rendered.get("Service", FULLNAME + "-metrics");
        assertThat(service.path("spec").path("ports").get(0).path("port").asInt()).isEqualTo(9100);
        assertThat(service.path("spec").path("selector").path("app.kubernetes.io/instance").asText()).isEqualTo(HelmChart.RELEASE);

        assertThat(HelmChart.template(NAMESPACE, Map.of("metrics.service.enabled", false)).kinds()).doesNotContain("Service");
    }

    @Test
    void exampleClusterIsRenderedOnlyWhenAskedAndNeedsAPassword() {
        assertThat(HelmChart.template(NAMESPACE, Map.of()).kinds()).doesNotContain("KingbusCluster", "Secret");

        assertThatThrownBy(() -> HelmChart.template(NAMESPACE, Map.of("exampleCluster.enabled", true)))
                .hasMessageContaining("exampleCluster.binlogServer.credentialsSecret.password is required");

        HelmChart.Rendered rendered = HelmChart.template(NAMESPACE, Map.of(
                "exampleCluster.enabled", true,
                "exampleCluster.replicas", 5,
                "exampleCluster.binlogServer.credentialsSecret.password", "s3cret"));
        JsonNode cluster = rendered.get("KingbusCluster", "kingbus");
        assertThat(cluster.path("apiVersion").asText()).isEqualTo("kingbus.io/v1alpha1");
        assertThat(cluster.path("metadata").path("namespace").asText()).isEqualTo(NAMESPACE);
        assertThat(cluster.path("spec").path("replicas").asInt()).isEqualTo(5);
        assertThat(cluster.path("spec").path("binlogServer").path("credentialsSecret").path("name").asText())
                .isEqualTo("kingbus-binlog-server");
        JsonNode secret = rendered.get("Secret", "kingbus-binlog-server");
        assertThat(secret.path("stringData").path("user").asText()).isEqualTo("kb");
        assertThat(secret.path("stringData").path("password").asText()).isEqualTo("s3cret");
    }

    @Test
    void valuesSchemaRejectsAMistypedValue() {
        assertThatThrownBy(() -> HelmChart.template(NAMESPACE, Map.of("metrics.port", "http")))
                .hasMessageContaining("/metrics/port").hasMessageContaining("want integer");
        assertThatThrownBy(() -> HelmChart.template(NAMESPACE, Map.of("watchedNamespaces[0]", "Not_A_Namespace")))
                .hasMessageContaining("/watchedNamespaces/0");
    }

    /** The rights the operator needs (its reconcilers' calls: design §7, rolling restarts delete pods), and no wildcard. */
    private static void assertOperatorRules(JsonNode role) {
        List<String> grants = new ArrayList<>();
        for (JsonNode rule : role.path("rules")) {
            for (String group : texts(rule.path("apiGroups"))) {
                for (String resource : texts(rule.path("resources"))) {
                    for (String verb : texts(rule.path("verbs"))) {
                        grants.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        assertThat(grants).noneMatch(g -> g.contains("*"));
        List<String> all = List.of("get", "list", "watch", "create", "update", "patch", "delete");
        for (String verb : all) {
            assertThat(grants).contains("kingbus.io/kingbusclusters:" + verb, "kingbus.io/binlogsyncers:" + verb,
                    "apps/statefulsets:" + verb, "/services:" + verb, "/configmaps:" + verb,
                    "policy/poddisruptionbudgets:" + verb);
        }
        assertThat(grants).contains("kingbus.io/kingbusclusters/status:update", "kingbus.io/kingbusclusters/status:patch",
                "kingbus.io/binlogsyncers/status:update", "kingbus.io/binlogsyncers/status:patch",
                "kingbus.io/kingbusclusters/finalizers:update", "kingbus.io/binlogsyncers/finalizers:update",
                "/pods:get", "/pods:list", "/pods:watch", "/pods:delete", "/secrets:get", "/secrets:list", "/secrets:watch",
                "/persistentvolumeclaims:get", "/persistentvolumeclaims:list", "/persistentvolumeclaims:delete",
                "/events:create", "/events:patch");
        // Read-only where the operator only reads.
        assertThat(grants).doesNotContain("/secrets:create", "/secrets:update", "/pods:create", "/persistentvolumeclaims:create");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}

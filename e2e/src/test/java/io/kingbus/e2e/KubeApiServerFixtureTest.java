package io.kingbus.e2e;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kingbus.e2e.KubeApiServerFixture.CommandResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The fixture itself: a real kube-apiserver 1.20.2 that serves, and that leaves nothing running once closed. */
class KubeApiServerFixtureTest {

    @Test
    void privateServerServesThenStopsCompletely() throws IOException {
        KubeApiServerFixture k8s = KubeApiServerFixture.start();
        int port;
        try {
            assertThat(k8s.startTime()).isPositive();
            try (KubernetesClient client = k8s.newClient()) {
                assertThat(client.getKubernetesVersion().getGitVersion()).startsWith("v" + KubeApiServerFixture.KUBERNETES_VERSION);
                port = client.getMasterUrl().getPort();
            }
            String namespace = k8s.createNamespace("Fixture");
            assertThat(namespace).startsWith("fixture-");
            assertThat(k8s.client().namespaces().withName(namespace).get()).isNotNull();

            CommandResult version = k8s.kubectl(null, "version", "--short");
            assertThat(version.exitCode()).as(version.stderr()).isZero();
            assertThat(version.stdout()).contains("Client Version: v1.20.2", "Server Version: v1.20.2");
        } finally {
            k8s.close();
        }
        assertThatThrownBy(() -> new Socket().connect(new InetSocketAddress("127.0.0.1", port), 1000))
                .as("kube-apiserver still listens on %d after close", port)
                .isInstanceOf(IOException.class);
        assertThat(k8s.kubeconfig()).doesNotExist();
    }
}

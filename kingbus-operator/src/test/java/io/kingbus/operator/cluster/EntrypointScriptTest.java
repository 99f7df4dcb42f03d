package io.kingbus.operator.cluster;

import io.kingbus.operator.api.KingbusCluster;
import io.kingbus.node.NodeConfig;
import io.kingbus.operator.api.KingbusClusterSpec;
import io.kingbus.operator.api.RaftSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the pods' entrypoint (from the ConfigMap the operator writes) with /bin/sh and a stand-in for the kingbus
 * command that prints the node's environment: which members bootstrap a new group, and how every other start joins.
 * The node's own {@link NodeConfig} then reads that environment with the ConfigMap's kingbus.yaml.
 */
class EntrypointScriptTest {
    @TempDir
    Path dir;

    private static KingbusCluster cluster() {
        KingbusCluster c = new KingbusCluster();
        c.getMetadata().setName("kb");
        c.getMetadata().setNamespace("db");
        c.setSpec(new KingbusClusterSpec());
        c.getSpec().raft = new RaftSpec();
        c.getSpec().raft.heartbeatInterval = "300ms";
        c.getSpec().raft.electionTimeout = "3s";
        c.getSpec().reserveDataSize = "20GB";
        return c;
    }

    /** The node's configuration from the ConfigMap's file and the environment the entrypoint exports. */
    private static NodeConfig nodeConfig(Map<String, String> env) {
        var cm = ClusterResources.configMap(cluster(), List.of("kb-0", "kb-1", "kb-2"), "new");
        return NodeConfig.parse(cm.getData().get(ClusterResources.CONFIG_FILE), "kingbus.yaml", env);
    }

    private Map<String, String> run(String pod, String clusterState) throws IOException, InterruptedException {
        var cm = ClusterResources.configMap(cluster(), List.of("kb-0", "kb-1", "kb-2"), clusterState);
        Path script = dir.resolve("entrypoint.sh");
        Files.writeString(script, cm.getData().get(ClusterResources.ENTRYPOINT));
        Path fakeKingbus = dir.resolve("kingbus");
        Files.writeString(fakeKingbus, "#!/bin/sh\necho \"ARGS=$*\"\nenv | grep '^KINGBUS_'\n");
        fakeKingbus.toFile().setExecutable(true);
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", script.toString()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("POD_NAME", pod);
        env.put("POD_NAMESPACE", "db");
        env.put("PEERS_SERVICE", "kb-peers");
        env.put("PEER_PORT", "9696");
        env.put("ADMIN_PORT", "9595");
        env.put("BOOTSTRAP_MEMBERS", cm.getData().get(ClusterResources.BOOTSTRAP_MEMBERS));
        env.put("CLUSTER_STATE", clusterState);
        env.put("KINGBUS_COMMAND", fakeKingbus.toString());
        env.put("DNS_WAIT_SECONDS", "0");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> vars = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return vars;
    }

    @Test
    void aBootstrapMemberOfANewClusterStartsWithTheWholeBootstrapSet() throws Exception {
        Map<String, String> env = run("kb-1", "new");
        assertThat(env.get("KINGBUS_INITIAL_CLUSTER_STATE")).isEqualTo("new");
        assertThat(env.get("KINGBUS_INITIAL_CLUSTER")).isEqualTo("kb-0=http://kb-0.kb-peers.db.svc:9696,"
                + "kb-1=http://kb-1.kb-peers.db.svc:9696,kb-2=http://kb-2.kb-peers.db.svc:9696");
        assertThat(env.get("KINGBUS_NAME")).isEqualTo("kb-1");
        assertThat(env.get("KINGBUS_PEER_URL")).isEqualTo("http://kb-1.kb-peers.db.svc:9696");
        assertThat(env.get("KINGBUS_ADMIN_URL")).isEqualTo("http://kb-1.kb-peers.db.svc:9595");
        assertThat(env.get("ARGS")).isEqualTo("node --config /etc/kingbus/kingbus.yaml");
        NodeConfig config = nodeConfig(env);
        assertThat(config.isNewCluster()).isTrue();
        assertThat(config.initialCluster()).containsOnlyKeys("kb-0", "kb-1", "kb-2");
        assertThat(config.initialClusterToken()).isEqualTo("kb.db");
        assertThat(config.dataDir()).hasToString(ClusterResources.DATA_DIR);
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(config.electionTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.reserveDataSize()).isEqualTo(20L << 30);
    }

    @Test
    void aMemberBeyondTheBootstrapSetJoinsAsExistingListingItself() throws Exception {
        Map<String, String> env = run("kb-3", "new");
        assertThat(env.get("KINGBUS_INITIAL_CLUSTER_STATE")).isEqualTo("existing");
        assertThat(env.get("KINGBUS_INITIAL_CLUSTER")).isEqualTo("kb-3=http://kb-3.kb-peers.db.svc:9696");
        NodeConfig config = nodeConfig(env);
        assertThat(config.isNewCluster()).isFalse();
        assertThat(config.name()).isEqualTo("kb-3");
        assertThat(config.peerUrl()).hasToString("http://kb-3.kb-peers.db.svc:9696");
    }

    @Test
    void onceTheGroupFormedEvenABootstrapOrdinalJoinsAsExisting() throws Exception {
        // e.g. kb-1 re-added with a fresh volume after a scale-down to 1: it must not bootstrap a second group.
        Map<String, String> env = run("kb-1", "existing");
        assertThat(env.get("KINGBUS_INITIAL_CLUSTER_STATE")).isEqualTo("existing");
        assertThat(env.get("KINGBUS_INITIAL_CLUSTER")).isEqualTo("kb-1=http://kb-1.kb-peers.db.svc:9696");
    }
}

package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Three node processes elect exactly one leader, and every node's GET /cluster says the same. */
class ClusterElectionTest {
    @TempDir
    Path tmp;
    ClusterHarness cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeNodesElectExactlyOneLeaderAndPublishTheirAdminUrls() throws Exception {
        long t0 = System.nanoTime();
        cluster = ClusterHarness.create(tmp, 3, ClusterHarness.Options.tests()).startAll();
        NodeProcess leader = cluster.awaitLeader(Duration.ofSeconds(60));
        System.out.printf("leader %s elected %d ms after the JVMs started%n", leader,
                (System.nanoTime() - t0) / 1_000_000);
        // every node publishes its admin URL through the log; all nodes end up with the same complete view
        cluster.await("every node lists every admin URL", Duration.ofSeconds(30), () -> {
            for (NodeProcess n : cluster.nodes()) {
                JsonNode c = n.clusterOrNull();
                if (c == null) {
                    return false;
                }
                for (JsonNode m : c) {
                    if (m.path("adminURLs").size() != 1) {
                        return false;
                    }
                }
            }
            return true;
        });
        List<String> views = new ArrayList<>();
        for (NodeProcess n : cluster.nodes()) {
            JsonNode c = n.clusterOrNull();
            assertThat(c).as("GET /cluster on %s", n).isNotNull();
            assertThat(c.size()).as("members seen by %s", n).isEqualTo(3);
            int leaders = 0;
            for (JsonNode m : c) {
                NodeProcess member = cluster.node(m.path("name").asText());
                assertThat(m.path("Id").asText()).as("hex Id").matches("[0-9a-f]{1,16}");
                assertThat(m.path("peerURLs").get(0).asText()).isEqualTo(member.peerUrl());
                assertThat(m.path("adminURLs").get(0).asText()).isEqualTo(member.adminUrl());
                if (m.path("isLeader").asBoolean()) {
                    leaders++;
                    assertThat(m.path("name").asText()).as("the leader %s sees", n).isEqualTo(leader.name);
                }
            }
            assertThat(leaders).as("members marked isLeader by %s", n).isEqualTo(1);
            views.add(c.toString());
        }
        assertThat(views).as("GET /cluster is the same on every node").containsOnly(views.get(0));
        assertThat(leader.metric("kingbus_raft_is_leader")).isEqualTo(1.0);
        for (NodeProcess n : cluster.nodes()) {
            if (n != leader) {
                assertThat(n.metric("kingbus_raft_is_leader")).as("%s is a follower", n).isEqualTo(0.0);
            }
        }
    }
}

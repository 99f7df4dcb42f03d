package io.kingbus.node;

import io.kingbus.admin.HttpUrl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NodeConfigTest {
    /** A config as users of the Go original write it (etc/kingbus.yaml of the original, three nodes). */
    private static final String GO_STYLE = """
            # node name, keep unique in cluster
            name: 'kingbus_0'
            admin-url: http://127.0.0.1:5000
            metrics-addr: 127.0.0.1:2728
            heartbeat-interval: 200ms
            election-timeout: 4000ms
            initial-cluster: kingbus_0=http://127.0.0.1:9696,kingbus_1=http://127.0.0.1:9697,kingbus_2=http://127.0.0.1:9698
            initial-cluster-state: new
            peer-url: http://127.0.0.1:9696
            data-dir: /home/flike/kingbus/data
            reserve-data-size: 20
            log-dir: /home/flike/kingbus/log
            log-level: debug
            """;

    private static final String MINIMAL = """
            name: n1
            initial-cluster: n1=http://10.0.0.1:9696,n2=http://10.0.0.2:9696,n3=http://10.0.0.3:9696
            data-dir: /var/lib/kingbus
            """;

    @TempDir
    Path tmp;

    private static NodeConfig parse(String yaml) {
        return NodeConfig.parse(yaml, "kingbus.yaml", Map.of());
    }

    private static NodeConfig parse(String yaml, Map<String, String> env) {
        return NodeConfig.parse(yaml, "kingbus.yaml", env);
    }

    /** Asserts a one-line error naming the key. */
    private static ConfigException failsWithEnv(String yaml, Map<String, String> env, String key, String... parts) {
        ConfigException e = (ConfigException) org.assertj.core.api.Assertions.catchThrowable(() -> parse(yaml, env));
        assertThat(e).as("expected a config error for %s", key).isNotNull();
        assertThat(e.getMessage()).startsWith("invalid config: ").doesNotContain("\n").doesNotContain("\r");
        if (key != null) {
            assertThat(e.key()).isEqualTo(key);
            assertThat(e.getMessage()).startsWith("invalid config: " + key + ": ");
        }
        for (String p : parts) {
            assertThat(e.getMessage()).contains(p);
        }
        return e;
    }

    private static ConfigException fails(String yaml, String key, String... parts) {
        return failsWithEnv(yaml, Map.of(), key, parts);
    }

    /** MINIMAL with one line replaced or added. */
    private static String minimalWith(String line) {
        String key = line.substring(0, line.indexOf(':'));
        StringBuilder sb = new StringBuilder();
        boolean replaced = false;
        for (String l : MINIMAL.split("\n")) {
            if (l.startsWith(key + ":")) {
                sb.append(line).append('\n');
                replaced = true;
            } else {
                sb.append(l).append('\n');
            }
        }
        if (!replaced) {
            sb.append(line).append('\n');
        }
        return sb.toString();
    }

    // --------------------------------------------------------------------------------------------- parsing

    @Test
    void readsTheGoOriginalsKeys() {
        NodeConfig c = parse(GO_STYLE);
        assertThat(c.name()).isEqualTo("kingbus_0");
        assertThat(c.adminUrl()).isEqualTo(new HttpUrl("http", "127.0.0.1", 5000));
        assertThat(c.adminHost()).isEqualTo("127.0.0.1");
        assertThat(c.adminPort()).isEqualTo(5000);
        assertThat(c.peerUrl().toString()).isEqualTo("http://127.0.0.1:9696");
        assertThat(c.peerHost()).isEqualTo("127.0.0.1");
        assertThat(c.peerPort()).isEqualTo(9696);
        assertThat(c.peerAddress()).isEqualTo("127.0.0.1:9696");
        assertThat(c.initialCluster()).containsOnlyKeys("kingbus_0", "kingbus_1", "kingbus_2");
        assertThat(c.initialCluster().keySet()).containsExactly("kingbus_0", "kingbus_1", "kingbus_2");
        assertThat(c.initialCluster().get("kingbus_2").hostPort()).isEqualTo("127.0.0.1:9698");
        assertThat(c.initialClusterState()).isEqualTo(NodeConfig.ClusterState.NEW);
        assertThat(c.isNewCluster()).isTrue();
        assertThat(c.initialClusterToken()).isEqualTo("kingbus-cluster");
        assertThat(c.dataDir()).isEqualTo(Path.of("/home/flike/kingbus/data"));
        assertThat(c.logDir()).isEqualTo(Path.of("/home/flike/kingbus/log"));
        assertThat(c.logLevel()).isEqualTo("DEBUG");
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(c.electionTimeout()).isEqualTo(Duration.ofSeconds(4));
        assertThat(c.metricsAddr().hostPort()).isEqualTo("127.0.0.1:2728");
        assertThat(c.reserveDataSize()).as("a plain number is GB, as in the original").isEqualTo(20L << 30);
        assertThat(c.initialClusterText()).isEqualTo(
                "kingbus_0=http://127.0.0.1:9696,kingbus_1=http://127.0.0.1:9697,kingbus_2=http://127.0.0.1:9698");
    }

    @Test
    void defaultsFitASmallMachine() {
        NodeConfig c = parse(MINIMAL);
        assertThat(c.adminUrl().toString()).isEqualTo("http://127.0.0.1:9595");
        assertThat(c.peerUrl().toString()).as("taken from initial-cluster").isEqualTo("http://10.0.0.1:9696");
        assertThat(c.initialClusterState()).isEqualTo(NodeConfig.ClusterState.NEW);
        assertThat(c.initialClusterToken()).isEqualTo("kingbus-cluster");
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.electionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.logLevel()).isEqualTo("INFO");
        assertThat(c.logDir()).isNull();
        assertThat(c.metricsAddr()).isNull();
        assertThat(c.reserveDataSize()).isEqualTo(10L << 30);
    }

    @Test
    void emptyValuesMeanDefaults() {
        NodeConfig c = parse(MINIMAL + "log-dir:\nlog-level: ''\nmetrics-addr: ~\n");
        assertThat(c.logDir()).isNull();
        assertThat(c.logLevel()).isEqualTo("INFO");
        assertThat(c.metricsAddr()).isNull();
    }

    @Test
    void readsAFile() throws IOException {
        Path file = tmp.resolve("kingbus.yaml");
        Files.writeString(file, GO_STYLE);
        NodeConfig c = NodeConfig.load(file, Map.of());
        assertThat(c).isEqualTo(parse(GO_STYLE));
        assertThat(NodeConfig.load(file)).isNotNull();
    }

    @Test
    void existingClusterState() {
        NodeConfig c = parse(minimalWith("initial-cluster-state: existing"));
        assertThat(c.initialClusterState()).isEqualTo(NodeConfig.ClusterState.EXISTING);
        assertThat(c.isNewCluster()).isFalse();
        assertThat(parse(minimalWith("initial-cluster-state: EXISTING")).isNewCluster()).isFalse();
    }

    @Test
    void ipv6PeerUrls() {
        NodeConfig c = parse("""
                name: a
                initial-cluster: a=http://[::1]:9696,b=http://[::1]:9697
                admin-url: http://[::1]:9595
                data-dir: d
                """);
        assertThat(c.peerHost()).isEqualTo("::1");
        assertThat(c.peerPort()).isEqualTo(9696);
        assertThat(c.peerAddress()).isEqualTo("[::1]:9696");
        assertThat(c.peerUrl().toString()).isEqualTo("http://[::1]:9696");
    }

    // ------------------------------------------------------------------------------------------ environment

    @Test
    void environmentOverridesTheFile() {
        Map<String, String> env = new HashMap<>();
        env.put("KINGBUS_NAME", "kingbus_1");
        env.put("KINGBUS_PEER_URL", "http://127.0.0.1:9697");
        env.put("KINGBUS_ADMIN_URL", "http://127.0.0.1:5001");
        env.put("KINGBUS_INITIAL_CLUSTER_STATE", "existing");
        env.put("KINGBUS_INITIAL_CLUSTER_TOKEN", "prod-east");
        env.put("KINGBUS_DATA_DIR", "/data/kb1");
        env.put("KINGBUS_LOG_DIR", "   "); // blank: ignored
        env.put("KINGBUS_LOG_LEVEL", "WARN");
        env.put("KINGBUS_HEARTBEAT_INTERVAL", "300");
        env.put("KINGBUS_ELECTION_TIMEOUT", "3s");
        env.put("KINGBUS_METRICS_ADDR", "0.0.0.0:2729");
        env.put("KINGBUS_RESERVE_DATA_SIZE", "512MB");
        env.put("KINGBUS_SOMETHING_ELSE", "ignored");
        env.put("PATH", "/usr/bin");
        NodeConfig c = parse(GO_STYLE, env);
        assertThat(c.name()).isEqualTo("kingbus_1");
        assertThat(c.peerUrl().toString()).isEqualTo("http://127.0.0.1:9697");
        assertThat(c.adminPort()).isEqualTo(5001);
        assertThat(c.initialClusterState()).isEqualTo(NodeConfig.ClusterState.EXISTING);
        assertThat(c.initialClusterToken()).isEqualTo("prod-east");
        assertThat(c.dataDir()).isEqualTo(Path.of("/data/kb1"));
        assertThat(c.logDir()).isEqualTo(Path.of("/home/flike/kingbus/log"));
        assertThat(c.logLevel()).isEqualTo("WARN");
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.electionTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.metricsAddr().hostPort()).isEqualTo("0.0.0.0:2729");
        assertThat(c.reserveDataSize()).isEqualTo(512L << 20);
        assertThat(c.initialCluster()).hasSize(3);
    }

    @Test
    void configFromTheEnvironmentAlone() {
        NodeConfig c = NodeConfig.fromEnv(Map.of(
                "KINGBUS_NAME", "kingbus-2",
                "KINGBUS_INITIAL_CLUSTER", "kingbus-0=http://kingbus-0.kingbus:9696, kingbus-1=http://kingbus-1"
                        + ".kingbus:9696 ,kingbus-2=http://kingbus-2.kingbus:9696",
                "KINGBUS_ADMIN_URL", "http://kingbus-2.kingbus:9595",
                "KINGBUS_DATA_DIR", "/data"));
        assertThat(c.name()).isEqualTo("kingbus-2");
        assertThat(c.peerAddress()).isEqualTo("kingbus-2.kingbus:9696");
        assertThat(c.initialCluster()).hasSize(3);
        assertThat(c.adminHost()).isEqualTo("kingbus-2.kingbus");
        assertThat(NodeConfig.load(null, Map.of("KINGBUS_NAME", "x", "KINGBUS_INITIAL_CLUSTER", "x=http://h:1",
                "KINGBUS_DATA_DIR", "/d"))).isNotNull();
    }

    @Test
    void envNames() {
        assertThat(NodeConfig.KEYS).extracting(NodeConfig::envName).containsExactly("KINGBUS_NAME",
                "KINGBUS_ADMIN_URL", "KINGBUS_PEER_URL", "KINGBUS_INITIAL_CLUSTER", "KINGBUS_INITIAL_CLUSTER_STATE",
                "KINGBUS_INITIAL_CLUSTER_TOKEN", "KINGBUS_DATA_DIR", "KINGBUS_LOG_DIR", "KINGBUS_LOG_LEVEL",
                "KINGBUS_HEARTBEAT_INTERVAL", "KINGBUS_ELECTION_TIMEOUT", "KINGBUS_SNAPSHOT_COUNT",
                "KINGBUS_METRICS_ADDR",
                "KINGBUS_RESERVE_DATA_SIZE", "KINGBUS_BINLOG_SERVER_ADDR", "KINGBUS_BINLOG_SERVER_USER",
                "KINGBUS_BINLOG_SERVER_PASSWORD", "KINGBUS_BINLOG_SERVER_VERSION",
                "KINGBUS_BINLOG_SERVER_NICE", "KINGBUS_BINLOG_SERVER_SEND_BUFFER");
    }

    // ------------------------------------------------------------------------------------ value syntaxes

    @ParameterizedTest
    @CsvSource({
            "500ms, 500000000",
            "2s, 2000000000",
            "1.5s, 1500000000",
            "1m30s, 90000000000",
            "1h, 3600000000000",
            "250us, 250000",
            "250µs, 250000",
            "10ns, 10",
            "200, 200000000",
            "2.5, 2500000",
            "2S, 2000000000",
            "' 750ms ', 750000000",
            "1m0.5s, 60500000000"})
    void durations(String text, long nanos) {
        assertThat(NodeConfig.parseDuration(text)).isEqualTo(Duration.ofNanos(nanos));
    }

    @Test
    void yamlNumbersAreMilliseconds() {
        NodeConfig c = parse(MINIMAL + "heartbeat-interval: 100\nelection-timeout: 1500\n");
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.electionTimeout()).isEqualTo(Duration.ofMillis(1500));
    }

    @ParameterizedTest
    @CsvSource({"abc", "10x", "-1s", "1.5.3s", "ms", "s1", "1 s", "5d", "0", "0s", "1e3"})
    void badDurations(String text) {
        assertThatThrownBy(() -> NodeConfig.parseDuration(text)).isInstanceOf(IllegalArgumentException.class);
        fails(minimalWith("heartbeat-interval: '" + text + "'"), "heartbeat-interval", "'" + text + "'");
    }

    @ParameterizedTest
    @CsvSource({
            "10GB, 10737418240",
            "512MB, 536870912",
            "512mb, 536870912",
            "1.5GiB, 1610612736",
            "4096B, 4096",
            "4096b, 4096",
            "64K, 65536",
            "2TB, 2199023255552",
            "1 GB, 1073741824",
            "20, 21474836480",
            "0, 0"})
    void sizes(String text, long bytes) {
        assertThat(NodeConfig.parseSize(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @CsvSource({"10XB", "GB", "-1GB", "ten", "1..5G", "99999999999PB"})
    void badSizes(String text) {
        assertThatThrownBy(() -> NodeConfig.parseSize(text)).isInstanceOf(IllegalArgumentException.class);
        fails(minimalWith("reserve-data-size: '" + text + "'"), "reserve-data-size", "'" + text + "'");
    }

    @Test
    void snapshotCountSetsTheRaftSnapshotThreshold() {
        assertThat(parse(MINIMAL).snapshotCount()).isEqualTo(NodeConfig.DEFAULT_SNAPSHOT_COUNT);
        NodeConfig c = parse(minimalWith("snapshot-count: 2500"));
        assertThat(c.snapshotCount()).isEqualTo(2500);
        assertThat(parse(c.toYaml()).snapshotCount()).as("written back by toYaml").isEqualTo(2500);
        assertThat(c.describe()).contains("snapshot-count=2500");
        assertThat(parse(MINIMAL, Map.of("KINGBUS_SNAPSHOT_COUNT", "50000")).snapshotCount()).isEqualTo(50_000);
    }

    @ParameterizedTest
    @CsvSource({"0", "-5", "ten", "1.5"})
    void badSnapshotCounts(String text) {
        fails(minimalWith("snapshot-count: '" + text + "'"), "snapshot-count", "'" + text + "'");
    }

    // --------------------------------------------------------------------------------------- validation

    @Test
    void unknownKey() {
        ConfigException e = fails(MINIMAL + "listen-client-urls: http://0.0.0.0:2379\n", "listen-client-urls",
                "unknown key", "known keys: name, admin-url", "(from kingbus.yaml line 4)");
        assertThat(e.source()).isEqualTo("kingbus.yaml line 4");
        fails(MINIMAL + "admin_url: http://127.0.0.1:9595\n", "admin_url", "unknown key; did you mean 'admin-url'?");
        fails(MINIMAL + "heartbeatinterval: 1s\n", "heartbeatinterval", "did you mean 'heartbeat-interval'?");
    }

    @Test
    void nameMissingOrBad() {
        fails("initial-cluster: a=http://h:1\ndata-dir: d\n", "name", "missing", "KINGBUS_NAME");
        fails(MINIMAL.replace("name: n1", "name: 'n 1'"), "name", "'n 1'", "without whitespace");
        fails(MINIMAL.replace("name: n1", "name: a=b"), "name", "'a=b'");
    }

    @Test
    void badUrls() {
        fails(minimalWith("admin-url: 127.0.0.1:9595"), "admin-url", "'127.0.0.1:9595'", "http://host:port",
                "(from kingbus.yaml line 4)");
        fails(minimalWith("admin-url: http://127.0.0.1"), "admin-url", "has no port");
        fails(minimalWith("admin-url: http://127.0.0.1:9595/api"), "admin-url", "must not have a path");
        fails(minimalWith("admin-url: http://0.0.0.0:9595"), "admin-url", "not 0.0.0.0");
        fails(minimalWith("admin-url: http://10.0.0.1:9696"), "admin-url", "same address as peer-url");
        fails(minimalWith("peer-url: http://10.0.0.1"), "peer-url", "'http://10.0.0.1' has no port");
        fails(minimalWith("peer-url: http://10.0.0.1:70000"), "peer-url", "http://host:port");
        fails(minimalWith("peer-url: ftp://10.0.0.1:9696"), "peer-url", "scheme 'ftp'");
        fails(minimalWith("metrics-addr: nohost"), "metrics-addr", "'nohost' must be host:port");
        fails(minimalWith("data-dir: \"a\\0b\""), "data-dir", "not a valid path");
    }

    @Test
    void httpsPeerUrlsAreRefused() {
        fails("""
                name: a
                initial-cluster: a=https://h:1
                data-dir: d
                """, "initial-cluster", "a=https://h:1", "use http://host:port");
    }

    @Test
    void initialClusterProblems() {
        fails(MINIMAL.replaceAll("initial-cluster: .*\n", ""), "initial-cluster", "missing",
                "name=peerURL");
        fails(minimalWith("initial-cluster: n1"), "initial-cluster", "entry 'n1' is not name=http://host:port");
        fails(minimalWith("initial-cluster: n1=10.0.0.1:9696"), "initial-cluster", "peer URL of n1",
                "'10.0.0.1:9696'");
        fails(minimalWith("initial-cluster: n1=http://a:1,n1=http://b:1"), "initial-cluster",
                "member n1 appears twice");
        fails(minimalWith("initial-cluster: n1=http://a:1,n2=http://A:1/"), "initial-cluster",
                "members n1 and n2 have the same peer address a:1");
        fails(minimalWith("initial-cluster: ' , '"), "initial-cluster", "lists no member");
        fails(minimalWith("initial-cluster: n1=http://0.0.0.0:9696"), "initial-cluster", "not 0.0.0.0");
    }

    @Test
    void nameMustBeInTheInitialCluster() {
        fails(minimalWith("name: n9"), "initial-cluster", "has no entry for this node's name 'n9'",
                "members: n1, n2, n3");
        fails(minimalWith("name: n9") + "initial-cluster-state: existing\n", "initial-cluster",
                "has no entry for this node's name 'n9'");
    }

    @Test
    void peerUrlMustMatchTheInitialClusterEntry() {
        ConfigException e = fails(minimalWith("peer-url: http://10.0.0.1:9697"), "peer-url",
                "http://10.0.0.1:9697 does not match this node's initial-cluster entry n1=http://10.0.0.1:9696",
                "(from kingbus.yaml line 4)");
        assertThat(e.problem()).doesNotContain("from");
        // an env override is named as the source
        failsWithEnv(MINIMAL, Map.of("KINGBUS_PEER_URL", "http://10.0.0.2:9696"), "peer-url", "does not match",
                "(from env KINGBUS_PEER_URL)");
        // the same endpoint spelled differently matches
        assertThat(parse(minimalWith("peer-url: HTTP://10.0.0.1:9696/")).peerUrl().toString())
                .isEqualTo("http://10.0.0.1:9696");
    }

    @Test
    void badEnumsAndLevels() {
        fails(minimalWith("initial-cluster-state: old"), "initial-cluster-state", "'old' must be new or existing");
        fails(minimalWith("log-level: loud"), "log-level", "'loud' must be one of debug, info, warn, error");
        assertThat(parse(minimalWith("log-level: fatal")).logLevel()).isEqualTo("ERROR");
        assertThat(parse(minimalWith("log-level: Trace")).logLevel()).isEqualTo("TRACE");
    }

    @Test
    void electionTimeoutMustExceedTwiceTheHeartbeat() {
        fails(MINIMAL + "heartbeat-interval: 500ms\nelection-timeout: 1s\n", "election-timeout",
                "1s must be more than twice heartbeat-interval (500ms)", "(from kingbus.yaml line 5)");
        fails(MINIMAL + "heartbeat-interval: 2s\n", "election-timeout", "2s must be more than twice");
        assertThat(parse(MINIMAL + "heartbeat-interval: 500ms\nelection-timeout: 1001ms\n").electionTimeout())
                .isEqualTo(Duration.ofMillis(1001));
    }

    @Test
    void dataDirIsRequired() {
        fails(MINIMAL.replaceAll("data-dir: .*\n", ""), "data-dir", "missing");
    }

    @Test
    void emptyTokenIsRefusedByTheConstructor() {
        NodeConfig c = parse(MINIMAL);
        assertThatThrownBy(() -> new NodeConfig(c.name(), c.adminUrl(), c.peerUrl(), c.initialCluster(),
                c.initialClusterState(), " ", c.dataDir(), c.logDir(), c.logLevel(), c.heartbeatInterval(),
                c.electionTimeout(), c.metricsAddr(), c.reserveDataSize()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid config: initial-cluster-token: must not be empty");
        assertThatThrownBy(() -> new NodeConfig(c.name(), c.adminUrl(), c.peerUrl(), c.initialCluster(),
                c.initialClusterState(), "t", c.dataDir(), c.logDir(), c.logLevel(), c.heartbeatInterval(),
                c.electionTimeout(), c.metricsAddr(), -1))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid config: reserve-data-size: must not be negative");
    }

    @Test
    void fileLevelProblems() throws IOException {
        fails(MINIMAL + "name: again\n", "name", "appears twice", "line 4");
        fails(MINIMAL + "initial-cluster-token:\n  - a\n  - b\n", "initial-cluster-token",
                "expected a single value, not a list");
        fails(MINIMAL + "log-dir: {a: b}\n", "log-dir", "not a mapping");
        fails("- name: a\n- data-dir: b\n", null, "kingbus.yaml must hold 'key: value' lines", "not a list");
        fails("just a string\n", null, "not a single value");
        ConfigException syntax = fails("name: a\n  bad: indent: here\n", null, "cannot parse kingbus.yaml line 2");
        assertThat(syntax.key()).isNull();
        fails(MINIMAL + "---\nname: b\n", null, "more than one YAML document");
        // an empty file is an empty config: then the name is what is missing
        fails("", "name", "missing");
        fails("# only comments\n", "name", "missing");

        Path missing = tmp.resolve("nope.yaml");
        assertThatThrownBy(() -> NodeConfig.load(missing, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("invalid config: config file " + missing + " does not exist");
        Path dir = Files.createDirectories(tmp.resolve("adir"));
        assertThatThrownBy(() -> NodeConfig.load(dir, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("invalid config: cannot read config file " + dir);
    }

    // ---------------------------------------------------------------------------------------- embedded

    @Test
    void embeddedDefaultIsASingleNodeLoopbackCluster() {
        NodeConfig c = NodeConfig.embeddedDefault(tmp);
        assertThat(c.name()).isEqualTo("kingbus-1");
        assertThat(c.peerAddress()).isEqualTo("127.0.0.1:9696");
        assertThat(c.adminUrl().toString()).isEqualTo("http://127.0.0.1:9595");
        assertThat(c.initialCluster()).containsOnlyKeys("kingbus-1");
        assertThat(c.isNewCluster()).isTrue();
        assertThat(c.dataDir()).isEqualTo(tmp);
        assertThat(c.electionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.describe()).contains("name=kingbus-1").contains("peer-url=http://127.0.0.1:9696");
    }

    @Test
    void toYamlRoundTrips() throws IOException {
        for (NodeConfig c : List.of(parse(GO_STYLE), parse(MINIMAL), NodeConfig.embeddedDefault(tmp),
                parse(MINIMAL + "heartbeat-interval: 1500us\nelection-timeout: 1m30s\n"))) {
            Path file = tmp.resolve("round.yaml");
            Files.writeString(file, c.toYaml());
            assertThat(NodeConfig.load(file, Map.of())).as(c.toYaml()).isEqualTo(c);
        }
    }

    @Test
    void copies() {
        NodeConfig c = parse(MINIMAL);
        assertThat(c.withDataDir(tmp).dataDir()).isEqualTo(tmp);
        assertThat(c.withInitialClusterState(NodeConfig.ClusterState.EXISTING).isNewCluster()).isFalse();
        assertThat(c.withTimings(Duration.ofMillis(100), Duration.ofMillis(1000)).electionTimeout())
                .isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> c.withTimings(Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(ConfigException.class);
        assertThatThrownBy(() -> c.initialCluster().put("x", HttpUrl.parse("http://x:1")))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}

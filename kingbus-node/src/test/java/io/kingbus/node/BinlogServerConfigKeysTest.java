package io.kingbus.node;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kingbus.admin.HttpUrl;
import io.kingbus.server.BinlogServerManager;
import io.kingbus.server.BinlogServerStatus;
import io.kingbus.server.BinlogServerConfig;
import io.kingbus.testkit.FreePorts;
import io.kingbus.testkit.ProcThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The {@code binlog-server-*} keys: parsed from YAML and environment (the password only by env, as the operator
 * passes it), one-line errors naming key and source, the password never printed; and a node started with them serves
 * at once, and again after a restart even when the admin API stopped it or moved it before (the configuration wins
 * over binlog-server.json, keeping the server_uuid).
 */
class BinlogServerConfigKeysTest {
    private static final String MINIMAL = """
            name: n1
            initial-cluster: n1=http://127.0.0.1:9696
            data-dir: /var/lib/kingbus
            """;
    private static final String SECRET = "s3cret-from-a-Secret";

    @TempDir
    Path tmp;

    @Test
    void keysFromYamlAndTheEnvironment() {
        NodeConfig c = NodeConfig.parse(MINIMAL + "binlog-server-addr: 0.0.0.0:3390\nbinlog-server-user: kb\n",
                "kingbus.yaml", Map.of("KINGBUS_BINLOG_SERVER_PASSWORD", SECRET));
        assertThat(c.binlogServer()).isEqualTo(new NodeConfig.BinlogServerSettings("0.0.0.0:3390", "kb", SECRET,
                null));
        assertThat(c.toString()).doesNotContain(SECRET).contains("0.0.0.0:3390");
        assertThat(c.describe()).doesNotContain(SECRET).contains("binlog-server-addr=0.0.0.0:3390");

        NodeConfig v = NodeConfig.parse(MINIMAL + "binlog-server-addr: '[::1]:3391'\nbinlog-server-user: kb\n"
                        + "binlog-server-password: ' spaced '\nbinlog-server-version: 8.0.15-kingbus\n", "kingbus.yaml",
                Map.of("KINGBUS_BINLOG_SERVER_USER", "repl"));
        assertThat(v.binlogServer()).isEqualTo(new NodeConfig.BinlogServerSettings("[::1]:3391", "repl", " spaced ",
                "8.0.15-kingbus"));
        assertThat(NodeConfig.parse(MINIMAL, "kingbus.yaml", Map.of()).binlogServer()).isNull();
    }

    @Test
    void theNicenessOfTheServersThreadsIsANodeKeyOfItsOwn() {
        NodeConfig plain = NodeConfig.parse(MINIMAL, "kingbus.yaml", Map.of());
        assertThat(plain.binlogServerNice()).isEqualTo(BinlogServerConfig.DEFAULT_THREAD_NICE).isEqualTo(10);
        NodeConfig yaml = NodeConfig.parse(MINIMAL + "binlog-server-nice: 19\n", "kingbus.yaml", Map.of());
        assertThat(yaml.binlogServerNice()).isEqualTo(19);
        assertThat(yaml.binlogServer()).as("it applies to a server the admin API starts: no address needed").isNull();
        assertThat(NodeConfig.parse(MINIMAL + "binlog-server-nice: 19\n", "kingbus.yaml",
                Map.of("KINGBUS_BINLOG_SERVER_NICE", "0")).binlogServerNice()).isZero();
        assertThat(yaml.describe()).contains("binlog-server-nice=19");
    }

    @Test
    void theSocketSendBufferIsANodeKeyOfItsOwn() {
        NodeConfig plain = NodeConfig.parse(MINIMAL, "kingbus.yaml", Map.of());
        assertThat(plain.binlogServerSendBuffer()).as("the kernel's autotuning").isZero();
        assertThat(plain.describe()).contains("binlog-server-send-buffer=autotuned");
        NodeConfig yaml = NodeConfig.parse(MINIMAL + "binlog-server-send-buffer: 256KiB\n", "kingbus.yaml", Map.of());
        assertThat(yaml.binlogServerSendBuffer()).isEqualTo(256 * 1024);
        assertThat(yaml.binlogServer()).as("it applies to a server the admin API starts: no address needed").isNull();
        assertThat(yaml.describe()).contains("binlog-server-send-buffer=262144");
        assertThat(NodeConfig.parse(MINIMAL, "kingbus.yaml", Map.of("KINGBUS_BINLOG_SERVER_SEND_BUFFER", "65536"))
                .binlogServerSendBuffer()).as("a plain number is bytes").isEqualTo(65536);
        assertThat(NodeConfig.parse(MINIMAL, "kingbus.yaml", Map.of("KINGBUS_BINLOG_SERVER_SEND_BUFFER", "256Ki"))
                .binlogServerSendBuffer()).as("a Kubernetes quantity, as the operator passes it").isEqualTo(262144);
        assertThat(NodeConfig.parse(MINIMAL + "binlog-server-send-buffer: 1MiB\n", "kingbus.yaml",
                Map.of("KINGBUS_BINLOG_SERVER_SEND_BUFFER", "0")).binlogServerSendBuffer()).isZero();
        assertThat(yaml.withBinlogServerSendBuffer(8192).binlogServerSendBuffer()).isEqualTo(8192);
    }

    @Test
    void aSendBufferOutside4KiBTo64MiBIsRefused() {
        String expected = " must be 0 (the kernel's autotuning) or a size from 4KiB to 64MiB, e.g. 256KiB";
        assertError(MINIMAL + "binlog-server-send-buffer: 1KiB\n", Map.of(),
                "invalid config: binlog-server-send-buffer: '1KiB'" + expected + " (from kingbus.yaml line 4)");
        assertError(MINIMAL, Map.of("KINGBUS_BINLOG_SERVER_SEND_BUFFER", "1GiB"),
                "invalid config: binlog-server-send-buffer: '1GiB'" + expected
                        + " (from env KINGBUS_BINLOG_SERVER_SEND_BUFFER)");
        assertError(MINIMAL + "binlog-server-send-buffer: big\n", Map.of(),
                "invalid config: binlog-server-send-buffer: 'big'" + expected + " (from kingbus.yaml line 4)");
    }

    @Test
    void toYamlRoundTripsTheKeys() throws IOException {
        NodeConfig c = NodeConfig.parse(MINIMAL + "binlog-server-addr: 127.0.0.1:3390\nbinlog-server-user: kb\n"
                + "binlog-server-password: pw\nbinlog-server-version: 5.7.22-x\nbinlog-server-nice: 3\n"
                + "binlog-server-send-buffer: 128KiB\n", "kingbus.yaml", Map.of());
        assertThat(c.binlogServerSendBuffer()).isEqualTo(128 * 1024);
        Path file = tmp.resolve("round.yaml");
        Files.writeString(file, c.toYaml());
        assertThat(NodeConfig.load(file, Map.of())).isEqualTo(c);
        assertThat(c.withBinlogServer(null).binlogServer()).isNull();
    }

    @Test
    void badValuesAreOneLineErrorsNamingKeyAndSource() {
        assertError(MINIMAL + "binlog-server-addr: localhost\nbinlog-server-user: kb\n", Map.of(),
                "invalid config: binlog-server-addr: address 'localhost' is not host:port (from kingbus.yaml line 4)");
        assertError(MINIMAL + "binlog-server-user: kb\n", Map.of("KINGBUS_BINLOG_SERVER_PASSWORD", SECRET),
                "invalid config: binlog-server-addr: missing; binlog-server-user, -password and -version need "
                        + "binlog-server-addr (host:port)");
        assertError(MINIMAL + "binlog-server-addr: 127.0.0.1:3390\n", Map.of("KINGBUS_BINLOG_SERVER_PASSWORD", SECRET),
                "invalid config: binlog-server-user: missing; the user replicas log in as is required with "
                        + "binlog-server-addr");
        assertError(MINIMAL + "binlog-server-addr: 127.0.0.1:3390\n", Map.of("KINGBUS_BINLOG_SERVER_USER",
                "u".repeat(33), "KINGBUS_BINLOG_SERVER_PASSWORD", SECRET), "invalid config: binlog-server-user: '"
                + "u".repeat(33) + "' is longer than 32 characters (from env KINGBUS_BINLOG_SERVER_USER)");
        assertError(MINIMAL, Map.of("KINGBUS_BINLOG_SERVER_ADDR", "127.0.0.1:99999", "KINGBUS_BINLOG_SERVER_USER",
                "kb", "KINGBUS_BINLOG_SERVER_PASSWORD", SECRET), "invalid config: binlog-server-addr: address "
                + "'127.0.0.1:99999' is not host:port with a port 0..65535 (from env KINGBUS_BINLOG_SERVER_ADDR)");
    }

    @Test
    void aNicenessOutside0To19IsRefused() {
        assertError(MINIMAL + "binlog-server-nice: 20\n", Map.of(),
                "invalid config: binlog-server-nice: '20' must be a niceness 0..19 (from kingbus.yaml line 4)");
        assertError(MINIMAL, Map.of("KINGBUS_BINLOG_SERVER_NICE", "-5"),
                "invalid config: binlog-server-nice: '-5' must be a niceness 0..19 (from env KINGBUS_BINLOG_SERVER_NICE)");
        assertError(MINIMAL + "binlog-server-nice: low\n", Map.of(),
                "invalid config: binlog-server-nice: 'low' must be a niceness 0..19 (from kingbus.yaml line 4)");
    }

    private static void assertError(String yaml, Map<String, String> env, String message) {
        ConfigException e = catchThrowableOfType(() -> NodeConfig.parse(yaml, "kingbus.yaml", env),
                ConfigException.class);
        assertThat(e).as("a config error for %s", yaml).isNotNull();
        assertThat(e.getMessage()).isEqualTo(message).doesNotContain(SECRET);
    }

    @Test
    void aConfiguredNodeServesAtEveryStartAndTheConfigurationWins() throws Exception {
        int port = FreePorts.take();
        int peer = FreePorts.take();
        NodeConfig c = new NodeConfig("n1", new HttpUrl("http", "127.0.0.1", FreePorts.take()),
                new HttpUrl("http", "127.0.0.1", peer), Map.of("n1", new HttpUrl("http", "127.0.0.1", peer)),
                NodeConfig.ClusterState.NEW, "keys-test", tmp.resolve("data"), null, "INFO", Duration.ofMillis(200),
                Duration.ofMillis(1000), null, 0,
                new NodeConfig.BinlogServerSettings("127.0.0.1:" + port, "kb", SECRET, null))
                .withBinlogServerNice(16) // unlike the default, to tell this node's threads from others in the JVM
                .withBinlogServerSendBuffer(96 * 1024);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        String uuid;
        try {
            try (KingbusNode node = KingbusNode.start(c)) {
                assertThat(node.raft().config().snapshotThreshold()).as("snapshot-count reaches Ratis")
                        .isEqualTo(NodeConfig.DEFAULT_SNAPSHOT_COUNT);
                BinlogServerStatus s = node.binlogServer().status();
                assertThat(s.running()).isTrue();
                assertThat(s.addr()).isEqualTo("127.0.0.1:" + port);
                assertThat(s.password()).isEqualTo(BinlogServerStatus.REDACTED);
                assertLogin(port, "kb", SECRET);
                assertThat(ProcThreads.named("kingbus-binlog-")).filteredOn(t -> t.nice() == 16)
                        .as("the server's accept and IO threads at binlog-server-nice").hasSizeGreaterThanOrEqualTo(2);
                int own = ProcThreads.current().nice();
                assertThat(ProcThreads.all()).filteredOn(t -> !t.comm().startsWith("kingbus-binlog-"))
                        .as("raft, apply, syncer and admin threads keep the node's niceness")
                        .allMatch(t -> t.nice() == own, "nice " + own);
                uuid = s.serverUuid();
                // the admin API stops it: it stays stopped until the next start
                node.binlogServer().stop();
                assertThat(node.binlogServer().status().running()).isFalse();
            }
            try (KingbusNode node = KingbusNode.start(c)) {
                BinlogServerStatus s = node.binlogServer().status();
                assertThat(s.running()).as("the configuration wins over a stop kept in %s",
                        BinlogServerManager.SETTINGS_FILE).isTrue();
                assertThat(s.serverUuid()).as("the identity kept in binlog-server.json").isEqualTo(uuid);
                assertLogin(port, "kb", SECRET);
                // the admin API moves it to another address and user: kept, but the configuration wins at a start
                node.binlogServer().start("127.0.0.1:" + FreePorts.take(), "other", "pw");
            }
            try (KingbusNode node = KingbusNode.start(c)) {
                BinlogServerStatus s = node.binlogServer().status();
                assertThat(s.addr()).isEqualTo("127.0.0.1:" + port);
                assertThat(s.user()).isEqualTo("kb");
                assertLogin(port, "kb", SECRET);
            }
            // without the keys, the node resumes what binlog-server.json says (here: the configured server)
            try (KingbusNode node = KingbusNode.start(c.withBinlogServer(null))) {
                assertThat(node.binlogServer().status().running()).isTrue();
                assertLogin(port, "kb", SECRET);
            }
        } finally {
            root.detachAppender(logs);
        }
        assertThat(logs.list).isNotEmpty()
                .noneMatch(e -> e.getFormattedMessage().contains(SECRET))
                .anyMatch(e -> e.getFormattedMessage().contains("from the node's configuration"))
                .anyMatch(e -> e.getFormattedMessage().contains("socket send buffer 98304 bytes"));
    }

    /** Logs in over the MySQL protocol (mysql-connector-j) and asks the server's version. */
    private static void assertLogin(int port, String user, String password) throws Exception {
        try (Connection conn = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port
                + "/?sslMode=DISABLED&allowPublicKeyRetrieval=true&connectTimeout=5000", user, password);
             Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT @@server_uuid")) {
            assertThat(rs.next()).isTrue();
        }
    }

}

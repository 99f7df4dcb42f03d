package io.kingbus.syncer;

import io.kingbus.protocol.AuthPlugins;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Logging in to a real MySQL 8.0.15 primary: each auth path, TLS, and the clear refusals. */
class RealPrimaryLoginTest {
    private static MySqlServer server;

    @BeforeAll
    static void start() {
        server = MySqlServer.start(MySqlVersion.V8_0);
        server.execute(
                "CREATE USER 'sha2'@'%' IDENTIFIED WITH caching_sha2_password BY 'Sha2-pässword'",
                "CREATE USER 'sha2tls'@'%' IDENTIFIED WITH caching_sha2_password BY 'tls-pw'",
                "CREATE USER 'native'@'%' IDENTIFIED WITH mysql_native_password BY 'native-pw'",
                "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'sha2'@'%', 'sha2tls'@'%', 'native'@'%'",
                "CREATE TABLE mysql.kb (id INT PRIMARY KEY)",
                "INSERT INTO mysql.kb VALUES (1)");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static DumpConfig.Builder as(String user, String password) {
        return RealPrimaryDumpTest.config(server).user(user).password(password).nonBlocking(true);
    }

    private static Collector dump(DumpConfig config) throws Exception {
        return RealPrimaryDumpTest.dumpAll(config);
    }

    private static SyncerException failure(DumpConfig config) {
        BinlogDumpClient client = new BinlogDumpClient(config, new Collector());
        Throwable t = null;
        try {
            client.start().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            t = e.getCause();
        }
        assertThat(t).as("the session should fail").isInstanceOf(SyncerException.class);
        assertThat(client.status().state()).isEqualTo(DumpStatus.State.FAILED);
        assertThat(client.status().lastError()).isSameAs(t);
        assertThat(client.status().connected()).isFalse();
        return (SyncerException) t;
    }

    @Test
    void cachingSha2UserWithoutTlsUsesRsaFullAuthThenTheFastPath() throws Exception {
        server.execute("FLUSH PRIVILEGES"); // empties the caching_sha2 cache: the next login needs full auth
        Collector first = dump(as("sha2", "Sha2-pässword").tls(TlsMode.DISABLED).build());
        assertThat(first.primary.authPlugin()).isEqualTo(AuthPlugins.CACHING_SHA2_PASSWORD);
        assertThat(first.primary.authPath()).isEqualTo(AuthPath.SHA2_FULL_AUTH_RSA);
        assertThat(first.primary.tls()).isFalse();
        assertThat(first.gtids()).isNotEmpty();

        Collector second = dump(as("sha2", "Sha2-pässword").tls(TlsMode.DISABLED).build());
        assertThat(second.primary.authPath()).isEqualTo(AuthPath.SHA2_FAST_AUTH);
    }

    @Test
    void cachingSha2FullAuthWithoutKeyRetrievalIsRefusedClearly() {
        server.execute("FLUSH PRIVILEGES"); // empties the caching_sha2 cache: the next login needs full auth
        SyncerException e = failure(as("sha2", "Sha2-pässword").tls(TlsMode.DISABLED).allowPublicKeyRetrieval(false)
                .build());
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.AUTH);
        assertThat(e.getMessage()).contains("needs TLS or the primary's RSA public key");
    }

    @Test
    void nativePasswordUserGetsAnAuthSwitch() throws Exception {
        Collector c = dump(as("native", "native-pw").build());
        assertThat(c.primary.authPlugin()).isEqualTo(AuthPlugins.MYSQL_NATIVE_PASSWORD);
        assertThat(c.primary.authPath()).isEqualTo(AuthPath.SCRAMBLE);
    }

    @Test
    void tlsWhenAskedUsesTheClearTextFullAuthPath() throws Exception {
        Collector c = dump(as("sha2tls", "tls-pw").tls(TlsMode.REQUIRED).build());
        assertThat(c.primary.tls()).isTrue();
        assertThat(c.primary.authPath()).isEqualTo(AuthPath.SHA2_FULL_AUTH_TLS);
        assertThat(c.gtids()).isNotEmpty();
    }

    @Test
    void wrongPasswordSurfacesMySqls1045() {
        SyncerException e = failure(as("sha2", "wrong").build());
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.AUTH);
        assertThat(e.errorCode()).isEqualTo(1045);
        assertThat(e.sqlState()).isEqualTo("28000");
        assertThat(e.getMessage()).contains("ERROR 1045 (28000): Access denied for user 'sha2'");
        assertThat(e.isTransient()).isFalse();
    }

    @Test
    void wrongPortIsAConnectError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        DumpConfig config = RealPrimaryDumpTest.config(server).build();
        SyncerException e = failure(DumpConfig.builder("127.0.0.1", port).serverId(config.serverId())
                .serverUuid(config.serverUuid()).gtids(config.gtids()).connectTimeout(Duration.ofSeconds(2)).build());
        assertThat(e.kind()).isEqualTo(SyncerException.Kind.CONNECT);
        assertThat(e.getMessage()).contains("cannot connect to 127.0.0.1:" + port);
        assertThat(e.isTransient()).isTrue();
    }

    @Test
    void sameServerIdOrUuidIsRefused() {
        SyncerException id = failure(as("root", "").serverId(server.serverId()).build());
        assertThat(id.kind()).isEqualTo(SyncerException.Kind.INCOMPATIBLE_PRIMARY);
        assertThat(id.getMessage()).contains("server_id " + server.serverId() + ", the same as this replica's");

        SyncerException uuid = failure(as("root", "").serverUuid(UUID.fromString(server.serverUuid())).build());
        assertThat(uuid.kind()).isEqualTo(SyncerException.Kind.INCOMPATIBLE_PRIMARY);
        assertThat(uuid.getMessage()).contains("server_uuid " + server.serverUuid());
    }

    @Test
    void requireSecureTransportMakesAutoModeUseTls() throws Exception {
        try (MySqlServer s = MySqlServer.start(MySqlVersion.V8_0)) {
            s.execute("CREATE USER 'r'@'%' IDENTIFIED BY 'r-pw'", "GRANT REPLICATION SLAVE ON *.* TO 'r'@'%'",
                    "CREATE DATABASE d");
            String executed = s.gtidExecuted();
            s.execute("SET GLOBAL require_secure_transport = ON"); // the testkit's own JDBC logins stop working
            DumpConfig.Builder b = RealPrimaryDumpTest.config(s).user("r").password("r-pw").nonBlocking(true);

            SyncerException e = failure(b.tls(TlsMode.DISABLED).build());
            assertThat(e.errorCode()).isEqualTo(3159);
            assertThat(e.getMessage()).contains("insecure transport are prohibited");

            Collector c = dump(b.tls(TlsMode.AUTO).build());
            assertThat(c.primary.tls()).isTrue();
            assertThat(c.gtidSet()).isEqualTo(io.kingbus.gtid.GtidSet.parse(executed));
        }
    }

    @Test
    void passwordIsNeverShown() {
        DumpConfig c = as("sha2", "Sha2-pässword").build();
        assertThat(c.toString()).doesNotContain("Sha2-pässword").contains("sha2:***@");
    }
}

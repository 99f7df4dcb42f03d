package io.kingbus.syncer;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.protocol.AuthMoreData;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.AuthSwitchRequest;
import io.kingbus.protocol.BinlogDumpGtid;
import io.kingbus.protocol.CachingSha2Password;
import io.kingbus.protocol.Capabilities;
import io.kingbus.protocol.CharacterSets;
import io.kingbus.protocol.ColumnDefinition;
import io.kingbus.protocol.Commands;
import io.kingbus.protocol.DumpEventPacket;
import io.kingbus.protocol.EofPacket;
import io.kingbus.protocol.ErrPacket;
import io.kingbus.protocol.HandshakeResponse41;
import io.kingbus.protocol.HandshakeV10;
import io.kingbus.protocol.NativePassword;
import io.kingbus.protocol.OkPacket;
import io.kingbus.protocol.Packet;
import io.kingbus.protocol.PacketDecoder;
import io.kingbus.protocol.PacketEncoder;
import io.kingbus.protocol.PacketSequence;
import io.kingbus.protocol.RegisterSlave;
import io.kingbus.protocol.ResultSet;
import io.kingbus.protocol.SemiSync;
import io.kingbus.protocol.StatusFlags;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-process fake MySQL primary built from the protocol package: it logs clients in (caching_sha2_password with
 * fast and RSA full authentication, mysql_native_password through an auth switch), answers the replica preamble,
 * accepts COM_REGISTER_SLAVE and COM_BINLOG_DUMP_GTID, then runs a test's {@link DumpScript} on its own thread to
 * send whatever stream the test wants, semi-sync framing and bad packets included. It exists because no MySQL build
 * on this machine ships the semi-sync plugin, and to script failures a real server will not produce on demand.
 */
final class ScriptedPrimary implements AutoCloseable {
    static final String UUID_TEXT = "0b0b0b0b-1111-2222-3333-444444444444";
    static final long SERVER_ID = 77;

    /** What the test's stream does once the client asked for the dump. */
    interface DumpScript {
        void run(Session session) throws Exception;
    }

    /** A user: name, password and plugin. */
    record User(String name, String password, String plugin) {
    }

    private final NioEventLoopGroup group = new NioEventLoopGroup(2);
    private final Channel serverChannel;
    private final Map<String, User> users = new ConcurrentHashMap<>();
    private final Set<String> sha2Cache = ConcurrentHashMap.newKeySet();
    private final KeyPair rsa;
    volatile boolean semiSyncPlugin;
    volatile String gtidMode = "ON";
    volatile String binlogFormat = "ROW";
    volatile ChecksumType checksum = ChecksumType.CRC32;
    volatile DumpScript script = s -> { };
    final List<String> queries = new CopyOnWriteArrayList<>();
    final List<BinlogDumpGtid> dumps = new CopyOnWriteArrayList<>();
    final List<RegisterSlave> registrations = new CopyOnWriteArrayList<>();
    final BlockingQueue<Throwable> scriptErrors = new LinkedBlockingQueue<>();

    ScriptedPrimary() throws InterruptedException {
        try {
            rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        users.put("root", new User("root", "", AuthPlugins.CACHING_SHA2_PASSWORD));
        serverChannel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new PacketDecoder(), PacketEncoder.INSTANCE, new Session());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((java.net.InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    void addUser(String name, String password, String plugin) {
        users.put(name, new User(name, password, plugin));
    }

    @Override
    public void close() {
        serverChannel.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One client connection. */
    final class Session extends SimpleChannelInboundHandler<Packet> {
        private final PacketSequence seq = new PacketSequence();
        private final byte[] nonce = new byte[20];
        private Channel channel;
        private String phase = "handshake";
        private User user;
        private String plugin;
        private boolean semiSync;
        final BlockingQueue<SemiSync.Ack> acks = new LinkedBlockingQueue<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            new SecureRandom().nextBytes(nonce);
            for (int i = 0; i < nonce.length; i++) {
                nonce[i] = (byte) (nonce[i] & 0x7f | 1); // MySQL's nonce is printable, never NUL
            }
            int caps = Capabilities.LONG_PASSWORD | Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION
                    | Capabilities.PLUGIN_AUTH | Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.TRANSACTIONS
                    | Capabilities.CONNECT_ATTRS | Capabilities.LONG_FLAG;
            send(new HandshakeV10("8.0.15-scripted", 5, nonce, caps, CharacterSets.UTF8MB4_0900_AI_CI,
                    StatusFlags.AUTOCOMMIT, AuthPlugins.CACHING_SHA2_PASSWORD).encode());
        }

        void send(byte[] payload) {
            channel.writeAndFlush(seq.send(payload));
        }

        /** For the dump script: waits until the client can take more (so a slow client slows the script). */
        void sendAndWait(byte[] payload) throws InterruptedException {
            channel.writeAndFlush(seq.send(payload)).await(30, TimeUnit.SECONDS);
            while (!channel.isWritable() && channel.isActive()) {
                Thread.sleep(1);
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Packet p) {
            byte[] b = p.payload();
            switch (phase) {
                case "handshake" -> {
                    seq.received(p);
                    HandshakeResponse41 r = HandshakeResponse41.parse(b);
                    user = users.get(r.user());
                    if (user == null) {
                        deny(r.user());
                        return;
                    }
                    plugin = user.plugin();
                    if (!plugin.equals(r.authPluginName())) {
                        phase = "switched";
                        send(AuthSwitchRequest.withNonce(plugin, nonce).encode());
                        return;
                    }
                    checkScramble(r.authResponse());
                }
                case "switched" -> {
                    seq.received(p);
                    checkScramble(b);
                }
                case "full-auth" -> {
                    seq.received(p);
                    if (b.length == 1 && b[0] == CachingSha2Password.REQUEST_PUBLIC_KEY) {
                        send(new AuthMoreData(CachingSha2Password.toPem(rsa.getPublic())
                                .getBytes(StandardCharsets.US_ASCII)).encode());
                        return;
                    }
                    byte[] pw = CachingSha2Password.decryptPassword(b, nonce, rsa.getPrivate());
                    if (pw != null && Arrays.equals(pw, user.password().getBytes(StandardCharsets.UTF_8))) {
                        sha2Cache.add(user.name());
                        ok();
                    } else {
                        deny(user.name());
                    }
                }
                case "command" -> command(b);
                case "dump" -> {
                    if (SemiSync.Ack.isAck(b)) {
                        acks.add(SemiSync.Ack.parse(b));
                    }
                }
                default -> throw new IllegalStateException(phase);
            }
        }

        private void checkScramble(byte[] response) {
            byte[] pw = user.password().getBytes(StandardCharsets.UTF_8);
            if (AuthPlugins.MYSQL_NATIVE_PASSWORD.equals(plugin)) {
                if (NativePassword.verify(response, nonce, pw.length == 0 ? null : NativePassword.doubleSha1(pw))) {
                    ok();
                } else {
                    deny(user.name());
                }
                return;
            }
            if (pw.length == 0) {
                if (response.length == 0) {
                    ok();
                } else {
                    deny(user.name());
                }
                return;
            }
            if (sha2Cache.contains(user.name())) {
                if (CachingSha2Password.verify(response, nonce, CachingSha2Password.doubleSha256(pw))) {
                    send(new AuthMoreData(new byte[] {CachingSha2Password.FAST_AUTH_SUCCESS}).encode());
                    ok();
                } else {
                    deny(user.name());
                }
                return;
            }
            phase = "full-auth";
            send(new AuthMoreData(new byte[] {CachingSha2Password.PERFORM_FULL_AUTHENTICATION}).encode());
        }

        private void ok() {
            send(OkPacket.of(StatusFlags.AUTOCOMMIT).encode());
            phase = "command";
        }

        private void deny(String name) {
            send(new ErrPacket(1045, "28000", "Access denied for user '" + name + "'@'localhost' (using password: YES)")
                    .encode());
            channel.close();
        }

        private void command(byte[] b) {
            seq.reset();
            seq.received(new Packet(0, b));
            switch (Commands.command(b)) {
                case Commands.COM_QUERY -> query(Commands.parseQuery(b));
                case Commands.COM_REGISTER_SLAVE -> {
                    registrations.add(RegisterSlave.parse(b));
                    send(OkPacket.of(StatusFlags.AUTOCOMMIT).encode());
                }
                case Commands.COM_BINLOG_DUMP_GTID -> {
                    dumps.add(BinlogDumpGtid.parse(b));
                    phase = "dump";
                    Thread t = new Thread(() -> {
                        try {
                            script.run(this);
                        } catch (Throwable e) {
                            scriptErrors.add(e);
                        }
                    }, "scripted-dump");
                    t.setDaemon(true);
                    t.start();
                }
                default -> send(new ErrPacket(1047, "08S01", "Unknown command").encode());
            }
        }

        private void query(String sql) {
            queries.add(sql);
            String upper = sql.toUpperCase();
            if (upper.startsWith("SET ")) {
                if (upper.contains("@RPL_SEMI_SYNC_SLAVE = 1")) {
                    semiSync = true;
                }
                send(OkPacket.of(StatusFlags.AUTOCOMMIT).encode());
                return;
            }
            ResultSet rs = switch (upper) {
                case "SELECT UNIX_TIMESTAMP()" -> ResultSet.single(ColumnDefinition.longLong("UNIX_TIMESTAMP()"),
                        Long.toString(System.currentTimeMillis() / 1000));
                case "SELECT @@GLOBAL.SERVER_ID" -> ResultSet.single(ColumnDefinition.longLong("@@GLOBAL.SERVER_ID"),
                        Long.toString(SERVER_ID));
                case "SELECT @@GLOBAL.SERVER_UUID" -> ResultSet.single(ColumnDefinition.varString("@@GLOBAL.SERVER_UUID"),
                        UUID_TEXT);
                case "SELECT @@GLOBAL.GTID_MODE" -> ResultSet.single(ColumnDefinition.varString("@@GLOBAL.GTID_MODE"),
                        gtidMode);
                case "SELECT @@GLOBAL.BINLOG_FORMAT" -> ResultSet.single(
                        ColumnDefinition.varString("@@GLOBAL.BINLOG_FORMAT"), binlogFormat);
                case "SELECT @@GLOBAL.BINLOG_CHECKSUM" -> ResultSet.single(
                        ColumnDefinition.varString("@@GLOBAL.BINLOG_CHECKSUM"), checksum.variableValue());
                case "SHOW VARIABLES LIKE 'RPL_SEMI_SYNC_MASTER_ENABLED'" -> ResultSet.ofStrings(
                        List.of("Variable_name", "Value"),
                        semiSyncPlugin ? List.of(List.of("rpl_semi_sync_master_enabled", "ON")) : List.of());
                case "SHOW VARIABLES LIKE 'RPL_SEMI_SYNC_SOURCE_ENABLED'" -> ResultSet.ofStrings(
                        List.of("Variable_name", "Value"), List.of());
                default -> null;
            };
            if (rs == null) {
                send(new ErrPacket(1064, "42000", "You have an error in your SQL syntax near '" + sql + "'").encode());
                return;
            }
            for (byte[] packet : rs.encode(Capabilities.PROTOCOL_41, StatusFlags.AUTOCOMMIT)) {
                send(packet);
            }
        }

        // ------------------------------------------------------------------ for dump scripts

        boolean semiSync() {
            return semiSync;
        }

        void event(byte[] event, boolean ackRequested) throws InterruptedException {
            sendAndWait(DumpEventPacket.encode(event, semiSync, ackRequested));
        }

        void event(byte[] event) throws InterruptedException {
            event(event, false);
        }

        void raw(byte[] payload) throws InterruptedException {
            sendAndWait(payload);
        }

        void err(int code, String message) throws InterruptedException {
            sendAndWait(new ErrPacket(code, "HY000", message).encode());
        }

        void eof() throws InterruptedException {
            sendAndWait(new EofPacket(0, StatusFlags.AUTOCOMMIT).encode());
        }

        SemiSync.Ack awaitAck(long seconds) throws InterruptedException {
            return acks.poll(seconds, TimeUnit.SECONDS);
        }

        void closeConnection() {
            channel.close();
        }
    }
}

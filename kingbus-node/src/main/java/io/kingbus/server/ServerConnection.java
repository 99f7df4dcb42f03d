package io.kingbus.server;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.GtidParseException;
import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.AuthSwitchRequest;
import io.kingbus.protocol.BinlogDump;
import io.kingbus.protocol.BinlogDumpGtid;
import io.kingbus.protocol.Capabilities;
import io.kingbus.protocol.CharacterSets;
import io.kingbus.protocol.Commands;
import io.kingbus.protocol.EofPacket;
import io.kingbus.protocol.ErrPacket;
import io.kingbus.protocol.ErrorCodes;
import io.kingbus.protocol.HandshakeResponse41;
import io.kingbus.protocol.HandshakeV10;
import io.kingbus.protocol.NativePassword;
import io.kingbus.protocol.OkPacket;
import io.kingbus.protocol.Packet;
import io.kingbus.protocol.PacketSequence;
import io.kingbus.protocol.ProtocolException;
import io.kingbus.protocol.RegisterSlave;
import io.kingbus.protocol.StatusFlags;
import io.kingbus.server.ServerVariables.Value;
import io.kingbus.store.BinlogFileInfo;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;

/**
 * One client connection: the MySQL handshake (mysql_native_password, with an auth switch for clients that open with
 * another plugin), then commands (queries, COM_REGISTER_SLAVE, pings) until a COM_BINLOG_DUMP(_GTID) turns it into a
 * {@link DumpSession}. Runs on the channel's event loop; every malformed or hostile packet gets a MySQL error, and
 * the connection is closed where MySQL closes it (bad handshake, packet too large, out of order, after a dump).
 */
final class ServerConnection extends SimpleChannelInboundHandler<Packet> {
    private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Capabilities kingbus offers: 4.1 protocol and auth, plugin auth; no SSL, compression or multi-statements. */
    static final int SERVER_CAPABILITIES = Capabilities.LONG_PASSWORD | Capabilities.FOUND_ROWS
            | Capabilities.LONG_FLAG | Capabilities.CONNECT_WITH_DB | Capabilities.NO_SCHEMA
            | Capabilities.PROTOCOL_41 | Capabilities.TRANSACTIONS | Capabilities.SECURE_CONNECTION
            | Capabilities.PLUGIN_AUTH | Capabilities.CONNECT_ATTRS | Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA;

    private static final int STATUS = StatusFlags.AUTOCOMMIT;

    private enum Phase { HANDSHAKE, AUTH_SWITCH, COMMAND, DUMP, CLOSED }

    private final BinlogServer server;
    private final long connectionId;
    private final InboundGuard guard;
    private final PacketSequence sequence = new PacketSequence();
    private final ServerVariables.Session session = new ServerVariables.Session();
    private final long openedNanos = System.nanoTime();
    private volatile long lastActivityNanos = System.nanoTime();
    private ChannelHandlerContext ctx;
    private volatile Phase phase = Phase.HANDSHAKE;
    private byte[] nonce;
    private int capabilities;
    private String user = "";
    private String database = "";
    private String remoteHost = "";
    private int remotePort;
    private volatile RegisterSlave registration;
    private volatile DumpSession dump;
    private long queries;

    ServerConnection(BinlogServer server, long connectionId, InboundGuard guard) {
        this.server = server;
        this.connectionId = connectionId;
        this.guard = guard;
    }

    long connectionId() {
        return connectionId;
    }

    RegisterSlave registration() {
        return registration;
    }

    DumpSession dump() {
        return dump;
    }

    String remoteHost() {
        return remoteHost;
    }

    int remotePort() {
        return remotePort;
    }

    String user() {
        return user;
    }

    String slaveUuid() {
        for (String name : new String[] {"slave_uuid", "replica_uuid"}) {
            if (session.hasUserVariable(name)) {
                return session.userVariable(name).text();
            }
        }
        return "";
    }

    String describe() {
        RegisterSlave r = registration;
        return remoteHost + ":" + remotePort + " (connection " + connectionId
                + (r != null ? ", server_id " + r.serverId() : "") + ")";
    }

    void closeChannel() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.channel().close();
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        SocketAddress a = ctx.channel().remoteAddress();
        if (a instanceof InetSocketAddress isa) {
            remoteHost = isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
            remotePort = isa.getPort();
        }
        if (!server.admit(this)) {
            sequence.reset();
            sendAndClose(new ErrPacket(ErrorCodes.ER_CON_COUNT_ERROR, ErrorCodes.STATE_CONNECTION_REJECTED, "Too many connections").encode());
            return;
        }
        nonce = newNonce();
        HandshakeV10 hs = new HandshakeV10(server.config().serverVersion(), connectionId, nonce,
                SERVER_CAPABILITIES, CharacterSets.UTF8MB4_GENERAL_CI, STATUS, AuthPlugins.MYSQL_NATIVE_PASSWORD);
        sequence.reset();
        ctx.writeAndFlush(sequence.send(hs.encode()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        phase = Phase.CLOSED;
        DumpSession d = dump;
        if (d != null) {
            d.close();
        }
        server.release(this);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        DumpSession d = dump;
        if (d != null && ctx.channel().isWritable()) {
            d.wake();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (phase == Phase.CLOSED || !ctx.channel().isActive()) {
            return;
        }
        if (c instanceof ProtocolException) {
            String msg = c.getMessage() == null ? "" : c.getMessage();
            log.info("binlog server connection {}: {}", describe(), msg);
            if (phase != Phase.DUMP) {
                byte[] err = msg.contains("exceeds the limit")
                        ? new ErrPacket(ErrorCodes.ER_NET_PACKET_TOO_LARGE, ErrorCodes.STATE_NETWORK, "Got a packet bigger than 'max_allowed_packet' bytes").encode()
                        : msg.contains("out of order")
                        ? new ErrPacket(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.STATE_NETWORK, "Got packets out of order").encode()
                        : new ErrPacket(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.STATE_GENERAL, "Malformed communication packet.").encode();
                sendAndClose(err);
                return;
            }
        } else if (c instanceof java.io.IOException) {
            log.debug("binlog server connection {}: {}", describe(), c.toString());
        } else {
            log.warn("binlog server connection {} failed", describe(), c);
        }
        ctx.close();
    }

    /** Closes a connection stuck in the handshake or idle past its limits (called by the server's sweeper). */
    void checkTimeouts(long nowNanos) {
        Phase p = phase;
        if (p == Phase.HANDSHAKE || p == Phase.AUTH_SWITCH) {
            if (nowNanos - openedNanos > server.config().connectTimeout().toNanos()) {
                log.info("binlog server connection {}: no handshake within {}", describe(),
                        server.config().connectTimeout());
                ctx.channel().eventLoop().execute(() -> sendAndClose(
                        new ErrPacket(ErrorCodes.ER_HANDSHAKE_ERROR, ErrorCodes.STATE_NETWORK, "Bad handshake").encode()));
            }
        } else if (p == Phase.COMMAND && nowNanos - lastActivityNanos > server.config().waitTimeout().toNanos()) {
            log.info("binlog server connection {}: idle for more than {}", describe(), server.config().waitTimeout());
            ctx.channel().close();
        }
    }

    // ------------------------------------------------------------------ packets

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Packet packet) {
        lastActivityNanos = System.nanoTime();
        switch (phase) {
            case HANDSHAKE -> handshakeResponse(packet);
            case AUTH_SWITCH -> authSwitchResponse(packet);
            case COMMAND -> command(packet);
            case DUMP -> {
                // MySQL does not read from a replica while it dumps; a client that talks anyway is ignored
            }
            case CLOSED -> {
            }
        }
    }

    private void handshakeResponse(Packet packet) {
        try {
            sequence.received(packet);
        } catch (ProtocolException e) {
            sendAndClose(new ErrPacket(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.STATE_NETWORK, "Got packets out of order").encode());
            return;
        }
        byte[] payload = packet.payload();
        if (HandshakeResponse41.isSslRequest(payload)) {
            sendAndClose(new ErrPacket(ErrorCodes.ER_HANDSHAKE_ERROR, ErrorCodes.STATE_NETWORK,
                    "Bad handshake: this server does not support SSL").encode());
            return;
        }
        HandshakeResponse41 resp;
        try {
            resp = HandshakeResponse41.parse(payload);
        } catch (ProtocolException e) {
            log.info("binlog server connection {}: bad handshake: {}", describe(), e.getMessage());
            sendAndClose(new ErrPacket(ErrorCodes.ER_HANDSHAKE_ERROR, ErrorCodes.STATE_NETWORK, "Bad handshake").encode());
            return;
        }
        capabilities = resp.capabilities() & SERVER_CAPABILITIES;
        user = resp.user();
        if (resp.database() != null) {
            database = resp.database();
        }
        String plugin = resp.authPluginName();
        boolean clientPluginAuth = Capabilities.has(resp.capabilities(), Capabilities.PLUGIN_AUTH);
        if (clientPluginAuth && plugin != null && !plugin.isEmpty()
                && !AuthPlugins.MYSQL_NATIVE_PASSWORD.equals(plugin)) {
            // e.g. a MySQL 8 client opening with caching_sha2_password: ask for mysql_native_password, fresh nonce
            nonce = newNonce();
            phase = Phase.AUTH_SWITCH;
            ctx.writeAndFlush(sequence.send(AuthSwitchRequest.withNonce(AuthPlugins.MYSQL_NATIVE_PASSWORD, nonce)
                    .encode()));
            return;
        }
        authenticate(resp.authResponse());
    }

    private void authSwitchResponse(Packet packet) {
        try {
            sequence.received(packet);
        } catch (ProtocolException e) {
            sendAndClose(new ErrPacket(ErrorCodes.ER_NET_PACKETS_OUT_OF_ORDER, ErrorCodes.STATE_NETWORK, "Got packets out of order").encode());
            return;
        }
        authenticate(packet.payload());
    }

    private void authenticate(byte[] response) {
        BinlogServerConfig cfg = server.config();
        byte[] password = cfg.password().getBytes(StandardCharsets.UTF_8);
        boolean ok = cfg.user().equals(user)
                && NativePassword.verify(response, nonce, password.length == 0 ? null : NativePassword.doubleSha1(password));
        if (!ok) {
            log.info("binlog server: access denied for user '{}' from {}", user, remoteHost);
            sendAndClose(new ErrPacket(ErrorCodes.ER_ACCESS_DENIED_ERROR, ErrorCodes.STATE_ACCESS_DENIED,
                    "Access denied for user '" + truncate(user, 48) + "'@'" + truncate(remoteHost, 64)
                            + "' (using password: " + (response.length > 0 ? "YES" : "NO") + ")").encode());
            return;
        }
        phase = Phase.COMMAND;
        guard.authenticated();
        ctx.writeAndFlush(sequence.send(OkPacket.of(STATUS).encode()));
    }

    private void command(Packet packet) {
        sequence.reset();
        sequence.follow(packet);
        byte[] p = packet.payload();
        if (p.length == 0) {
            sendAndClose(new ErrPacket(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.STATE_GENERAL, "Malformed communication packet.").encode());
            return;
        }
        int cmd = p[0] & 0xff;
        switch (cmd) {
            case Commands.COM_QUIT -> {
                phase = Phase.CLOSED;
                ctx.close();
            }
            case Commands.COM_PING -> ok();
            case Commands.COM_INIT_DB -> {
                database = new String(p, 1, p.length - 1, StandardCharsets.UTF_8);
                ok();
            }
            case Commands.COM_QUERY -> query(p);
            case Commands.COM_REGISTER_SLAVE -> registerSlave(p);
            case Commands.COM_BINLOG_DUMP -> binlogDump(p);
            case Commands.COM_BINLOG_DUMP_GTID -> binlogDumpGtid(p);
            case 0x1b /* COM_SET_OPTION */ -> send(new EofPacket(0, STATUS).encode());
            case 0x1f /* COM_RESET_CONNECTION */ -> ok();
            case 0x09 /* COM_STATISTICS */ -> send(("Uptime: " + server.uptimeSeconds() + "  Threads: "
                    + server.connectionCount() + "  Questions: " + queries + "  Slow queries: 0  Opens: 0"
                    + "  Flush tables: 0  Open tables: 0  Queries per second avg: 0.000")
                    .getBytes(StandardCharsets.UTF_8));
            default -> error(ErrorCodes.ER_UNKNOWN_COM_ERROR, ErrorCodes.STATE_UNKNOWN_COMMAND, "Unknown command");
        }
    }

    private void query(byte[] p) {
        queries++;
        String sql = new String(p, 1, p.length - 1, StandardCharsets.UTF_8);
        QueryResponder.Response r = new QueryResponder(queryContext(), session).respond(sql);
        if (log.isDebugEnabled()) {
            log.debug("binlog server connection {}: {} -> {}", describe(), sql, r.getClass().getSimpleName());
        }
        if (r instanceof QueryResponder.Err err) {
            error(err.code(), err.sqlState(), err.message());
        } else if (r instanceof QueryResponder.Rows rows) {
            List<byte[]> packets = rows.resultSet().encode(capabilities, STATUS);
            for (byte[] b : packets) {
                ctx.write(sequence.send(b));
            }
            ctx.flush();
        } else {
            ok();
        }
    }

    private void registerSlave(byte[] p) {
        RegisterSlave r;
        try {
            r = RegisterSlave.parse(p);
        } catch (ProtocolException e) {
            error(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.STATE_GENERAL, "Malformed communication packet.");
            return;
        }
        String host = r.host().isEmpty() ? remoteHost : r.host();
        registration = new RegisterSlave(r.serverId(), host, r.user(), "", r.port(), r.rank(), r.masterId());
        log.info("binlog server: replica registered: server_id {}, reported {}:{}, from {}", r.serverId(), host,
                r.port(), describe());
        ok();
    }

    private void binlogDump(byte[] p) {
        BinlogDump d;
        try {
            d = BinlogDump.parse(p);
        } catch (ProtocolException e) {
            sendAndClose(new ErrPacket(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.STATE_GENERAL, "Malformed communication packet.").encode());
            return;
        }
        startDump(new DumpSession.Request(false, d.fileName(), d.position(), GtidSet.empty(), d.flags(),
                d.serverId(), d.nonBlocking(), (d.flags() & BinlogDump.USE_HEARTBEAT_EVENT_V2) != 0,
                heartbeatPeriodNanos(), clientChecksum(), slaveUuid()));
    }

    private void binlogDumpGtid(byte[] p) {
        BinlogDumpGtid d;
        try {
            d = BinlogDumpGtid.parse(p);
        } catch (ProtocolException e) {
            boolean badGtids = e.getCause() instanceof GtidParseException;
            log.info("binlog server connection {}: bad COM_BINLOG_DUMP_GTID: {}", describe(), e.getMessage());
            sendAndClose(badGtids
                    ? new ErrPacket(ErrorCodes.ER_MALFORMED_GTID_SET_ENCODING, ErrorCodes.STATE_GENERAL, "Malformed GTID set encoding.").encode()
                    : new ErrPacket(ErrorCodes.ER_MALFORMED_PACKET, ErrorCodes.STATE_GENERAL, "Malformed communication packet.").encode());
            return;
        }
        boolean nonBlocking = d.nonBlocking() || d.serverId() == 0;
        // MySQL reads the name as a C string: a 5.7 replica restarting its IO thread with auto-position sends as
        // many NUL bytes as its current master log name has characters, which means "no file"
        String file = d.fileName();
        int nul = file.indexOf('\0');
        if (nul >= 0) {
            file = file.substring(0, nul);
        }
        startDump(new DumpSession.Request(true, file, d.position(), d.gtids(), d.flags(), d.serverId(),
                nonBlocking, (d.flags() & BinlogDumpGtid.USE_HEARTBEAT_EVENT_V2) != 0, heartbeatPeriodNanos(),
                clientChecksum(), slaveUuid()));
    }

    private void startDump(DumpSession.Request request) {
        phase = Phase.DUMP;
        DumpSession d = new DumpSession(server, this, ctx.channel(), request, sequence.next());
        dump = d;
        log.info("binlog server: {} dump for {}: {}", request.gtid() ? "GTID" : "file:pos", describe(),
                request.gtid() ? "executed " + request.have() + (request.file().isEmpty() ? ""
                        : ", from " + request.file() + ":" + request.position())
                        : (request.file().isEmpty() ? "first file" : request.file()) + ":" + request.position());
        server.registerDump(d);
        d.begin();
    }

    /** {@code @master_heartbeat_period} (or the 8.0.26+ {@code @source_} spelling), in nanoseconds; 0 when unset. */
    private long heartbeatPeriodNanos() {
        for (String name : new String[] {"master_heartbeat_period", "source_heartbeat_period"}) {
            if (session.hasUserVariable(name)) {
                Value v = session.userVariable(name);
                try {
                    long ns = (long) Double.parseDouble(v.text().strip());
                    return Math.max(0, ns);
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    /** The algorithm the client declared with {@code SET @master_binlog_checksum}; null for a checksum-unaware client. */
    private ChecksumType clientChecksum() {
        for (String name : new String[] {"master_binlog_checksum", "source_binlog_checksum"}) {
            if (session.hasUserVariable(name)) {
                String v = session.userVariable(name).text().strip().toUpperCase(Locale.ROOT);
                return v.equals("CRC32") ? ChecksumType.CRC32 : ChecksumType.OFF;
            }
        }
        return null;
    }

    private QueryResponder.Context queryContext() {
        return new QueryResponder.Context() {
            @Override
            public BinlogServerConfig config() {
                return server.config();
            }

            @Override
            public int port() {
                return server.port();
            }

            @Override
            public String hostname() {
                return server.hostname();
            }

            @Override
            public String binlogChecksum() {
                return server.binlogChecksum().variableValue();
            }

            @Override
            public String gtidExecuted() {
                return server.store().executedGtids().toString(",\n");
            }

            @Override
            public String gtidPurged() {
                return server.store().purgedGtids().toString(",\n");
            }

            @Override
            public String binlogBasename() {
                return server.binlogBasename();
            }

            @Override
            public List<BinlogFileInfo> binlogFiles() {
                return server.store().files();
            }

            @Override
            public MySqlFlavor flavor() {
                return server.flavor();
            }

            @Override
            public List<QueryResponder.RegisteredReplica> registeredReplicas() {
                return server.registeredReplicas();
            }

            @Override
            public long connectionId() {
                return connectionId;
            }

            @Override
            public String user() {
                return user;
            }

            @Override
            public String clientHost() {
                return remoteHost;
            }

            @Override
            public String database() {
                return database.isEmpty() ? null : database;
            }

            @Override
            public void useDatabase(String db) {
                database = db;
            }
        };
    }

    // ------------------------------------------------------------------ sending

    private void ok() {
        send(OkPacket.of(STATUS).encode());
    }

    private void error(int code, String state, String message) {
        send(new ErrPacket(code, state, message).encode());
    }

    private void send(byte[] payload) {
        ctx.writeAndFlush(sequence.send(payload));
    }

    private void sendAndClose(byte[] payload) {
        phase = Phase.CLOSED;
        ctx.writeAndFlush(sequence.send(payload)).addListener(ChannelFutureListener.CLOSE);
    }

    private static byte[] newNonce() {
        // MySQL's scramble: 20 printable bytes, never NUL (clients treat the plugin data as NUL-terminated)
        byte[] n = new byte[AuthPlugins.NONCE_LENGTH];
        for (int i = 0; i < n.length; i++) {
            n[i] = (byte) (33 + RANDOM.nextInt(94));
        }
        return n;
    }

    private static String truncate(String s, int max) {
        return s.length() > max ? s.substring(0, max) : s;
    }
}

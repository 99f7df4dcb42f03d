package io.kingbus.syncer;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFormatException;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.FormatDescription;
import io.kingbus.binlog.HeartbeatEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.protocol.AuthMoreData;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.AuthSwitchRequest;
import io.kingbus.protocol.BinlogDump;
import io.kingbus.protocol.BinlogDumpGtid;
import io.kingbus.protocol.CachingSha2Password;
import io.kingbus.protocol.Capabilities;
import io.kingbus.protocol.CharacterSets;
import io.kingbus.protocol.DumpEventPacket;
import io.kingbus.protocol.EofPacket;
import io.kingbus.protocol.ErrPacket;
import io.kingbus.protocol.ErrorCodes;
import io.kingbus.protocol.HandshakeResponse41;
import io.kingbus.protocol.HandshakeV10;
import io.kingbus.protocol.Packet;
import io.kingbus.protocol.ProtocolException;
import io.kingbus.protocol.RegisterSlave;
import io.kingbus.protocol.ResultSet;
import io.kingbus.protocol.SemiSync;
import io.kingbus.protocol.Commands;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replication session against a MySQL 5.7 / 8.0 primary: connect, log in as a MySQL 8 client would, run the
 * replica preamble, register, send COM_BINLOG_DUMP_GTID (or COM_BINLOG_DUMP), and hand every event, checksum
 * verified, to a {@link BinlogListener} on the session's own thread.
 *
 * <pre>{@code
 * BinlogDumpClient client = new BinlogDumpClient(config, listener);
 * client.start();                        // returns at once; the session runs on its own thread
 * client.status();                       // connected?, primary uuid/version, bytes/events, last error
 * client.ack(file, position);            // semi-sync: after the transaction is durable
 * client.termination().join();           // completes when the session ends (exceptionally with SyncerException)
 * client.close();                        // ends the session; termination completes normally
 * }</pre>
 *
 * A session is one connection: it never reconnects by itself (see {@link ReconnectBackoff} for the loop around it).
 * It refuses a primary whose gtid_mode is not ON, whose binlog_format is not ROW, or whose server_id or server_uuid
 * equals ours, with {@link SyncerException.Kind#INCOMPATIBLE_PRIMARY}.
 */
public final class BinlogDumpClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BinlogDumpClient.class);

    private static final int CLIENT_CAPABILITIES = Capabilities.LONG_PASSWORD | Capabilities.LONG_FLAG
            | Capabilities.PROTOCOL_41 | Capabilities.TRANSACTIONS | Capabilities.SECURE_CONNECTION
            | Capabilities.PLUGIN_AUTH | Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CONNECT_ATTRS;
    private static final int MAX_PACKET_SIZE = 1 << 30;

    private final DumpConfig config;
    private final BinlogListener listener;
    private final CompletableFuture<Void> termination = new CompletableFuture<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean closing;
    private volatile MySqlClientConnection connection;

    private volatile DumpStatus.State state = DumpStatus.State.NEW;
    private volatile PrimaryInfo primary;
    private volatile SyncerException lastError;
    private final AtomicLong bytesReceived = new AtomicLong();
    private final AtomicLong eventsReceived = new AtomicLong();
    private final AtomicLong heartbeatsReceived = new AtomicLong();
    private final AtomicLong acksSent = new AtomicLong();
    private volatile String file = "";
    private volatile long position;
    private volatile long lastEventTimestamp;
    private volatile long lastEventReceivedMillis;
    private volatile boolean semiSyncActive;

    public BinlogDumpClient(DumpConfig config, BinlogListener listener) {
        this.config = config;
        this.listener = listener;
    }

    /** Starts the session on a new thread; returns {@link #termination()}. */
    public CompletableFuture<Void> start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        Thread t = new Thread(this::run, "kingbus-dump-" + config.host() + ":" + config.port());
        t.setDaemon(true);
        t.start();
        return termination;
    }

    /**
     * Completes normally when the session was closed or a non-blocking dump reached the end, exceptionally with a
     * {@link SyncerException} when it failed.
     */
    public CompletableFuture<Void> termination() {
        return termination;
    }

    /**
     * Ends the session without waiting (see {@link #termination()}). Once this returns, the listener gets at most
     * the one event being handed over at that moment, nothing of what is still queued. Safe from any thread, the
     * listener's too.
     */
    @Override
    public void close() {
        closing = true;
        MySqlClientConnection c = connection;
        if (c != null) {
            c.close();
        }
    }

    /**
     * Semi-sync: acknowledges that everything up to {@code position} of {@code file} is durable here. Sends the ACK
     * packet on the dump connection at once (thread-safe). False when the session has no semi-sync stream.
     */
    public boolean ack(String file, long position) {
        MySqlClientConnection c = connection;
        if (!semiSyncActive || c == null || !c.isOpen()) {
            return false;
        }
        c.writeOutOfBand(new SemiSync.Ack(file, position).encode());
        acksSent.incrementAndGet();
        return true;
    }

    public DumpStatus status() {
        MySqlClientConnection c = connection;
        DumpStatus.State s = state;
        boolean connected = c != null && c.isOpen() && (s == DumpStatus.State.PREAMBLE || s == DumpStatus.State.STREAMING);
        return new DumpStatus(s, connected, primary, lastError, bytesReceived.get(), eventsReceived.get(),
                heartbeatsReceived.get(), acksSent.get(), file, position, lastEventTimestamp, lastEventReceivedMillis,
                c == null ? 0 : c.queuedBytes());
    }

    public DumpConfig config() {
        return config;
    }

    // ------------------------------------------------------------------ session

    private void run() {
        EventLoopGroup group = config.eventLoopGroup();
        boolean ownGroup = group == null;
        if (ownGroup) {
            group = new NioEventLoopGroup(1, new DefaultThreadFactory("kingbus-dump-io", true));
        }
        try {
            session(group);
            state = DumpStatus.State.ENDED;
            LOG.info("Dump from {}:{} ended at the end of the primary's binlog", config.host(), config.port());
            termination.complete(null);
        } catch (Throwable t) {
            SyncerException e = t instanceof SyncerException se ? se
                    : new SyncerException(SyncerException.Kind.PROTOCOL, "dump session failed: " + t, t);
            if (closing) {
                state = DumpStatus.State.CLOSED;
                termination.complete(null);
            } else {
                lastError = e;
                state = DumpStatus.State.FAILED;
                LOG.warn("Dump from {}:{} failed ({}): {}", config.host(), config.port(), e.kind(), e.getMessage());
                termination.completeExceptionally(e);
            }
        } finally {
            MySqlClientConnection c = connection;
            if (c != null) {
                c.close();
            }
            if (ownGroup) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }
        }
    }

    private void session(EventLoopGroup group) {
        Login login;
        try {
            login = login(group, false);
        } catch (SyncerException e) {
            if (e.errorCode() != ErrorCodes.ER_SECURE_TRANSPORT_REQUIRED || config.tls() != TlsMode.AUTO || closing) {
                throw e;
            }
            LOG.info("{}:{} requires secure transport; logging in again over TLS", config.host(), config.port());
            connection.close();
            login = login(group, true);
        }
        PrimaryInfo info = preamble(login);
        register();
        primary = info;
        listener(() -> listener.onConnected(info));
        dump();
        stream(info);
    }

    private record Login(HandshakeV10 handshake, String plugin, AuthPath path) {
    }

    // ------------------------------------------------------------------ login

    private Login login(EventLoopGroup group, boolean forceTls) {
        state = DumpStatus.State.CONNECTING;
        MySqlClientConnection c = MySqlClientConnection.open(group, config.host(), config.port(),
                config.connectTimeout(), config.maxPayload(), config.eventMemoryLimit(), config.queueHighWaterBytes(),
                config.queueLowWaterBytes(), bytesReceived);
        connection = c;
        if (closing) {
            c.close();
            throw new SyncerException(SyncerException.Kind.DISCONNECTED, "closed");
        }
        Packet first = c.read(config.readTimeout());
        if (ErrPacket.isErr(first.payload())) {
            throw SyncerException.fromErr(SyncerException.Kind.SERVER_ERROR, "the primary refused the connection",
                    parse(() -> ErrPacket.parse(first.payload())));
        }
        HandshakeV10 hs = parse(() -> HandshakeV10.parse(first.payload()));
        int serverCaps = hs.capabilities();
        if (!Capabilities.has(serverCaps, Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION)) {
            throw new SyncerException(SyncerException.Kind.PROTOCOL, "the primary (" + hs.serverVersion()
                    + ") does not speak the 4.1 protocol");
        }
        state = DumpStatus.State.AUTHENTICATING;
        boolean serverTls = Capabilities.has(serverCaps, Capabilities.SSL);
        TlsMode mode = config.tls();
        boolean useTls = forceTls || mode == TlsMode.REQUIRED || (mode == TlsMode.PREFERRED && serverTls);
        if (useTls && !serverTls) {
            throw new SyncerException(SyncerException.Kind.TLS, "TLS is required but the primary " + c.peer()
                    + " (" + hs.serverVersion() + ") does not offer it");
        }
        int caps = CLIENT_CAPABILITIES & serverCaps;
        if (useTls) {
            caps |= Capabilities.SSL;
            c.writeAndWait(HandshakeResponse41.encodeSslRequest(caps, MAX_PACKET_SIZE, CharacterSets.UTF8MB4_GENERAL_CI),
                    config.readTimeout());
            c.startTls(sslContext(), config.host(), config.port(), config.readTimeout());
        }
        byte[] password = config.password().getBytes(StandardCharsets.UTF_8);
        String plugin = config.authPlugin();
        byte[] nonce = hs.authPluginData();
        HandshakeResponse41 response = new HandshakeResponse41(caps, MAX_PACKET_SIZE, CharacterSets.UTF8MB4_GENERAL_CI,
                config.user(), AuthPlugins.scramble(plugin, password, nonce), null, plugin, connectAttributes());
        c.write(response.encode());
        AuthPath path = AuthPath.SCRAMBLE;
        boolean awaitingKey = false;
        while (true) {
            Packet p = c.read(config.readTimeout());
            switch (p.firstByte()) {
                case 0x00 -> {
                    LOG.info("Logged in to {} ({}, connection {}) as {} with {} ({}){}", c.peer(), hs.serverVersion(),
                            hs.connectionId(), config.user(), plugin, path, c.isTls() ? " over TLS" : "");
                    return new Login(hs, plugin, path);
                }
                case ErrPacket.HEADER -> throw SyncerException.fromErr(SyncerException.Kind.AUTH,
                        "login to " + c.peer() + " as '" + config.user() + "' failed",
                        parse(() -> ErrPacket.parse(p.payload())));
                case AuthSwitchRequest.HEADER -> {
                    AuthSwitchRequest sw = parse(() -> AuthSwitchRequest.parse(p.payload()));
                    plugin = sw.pluginName();
                    nonce = sw.nonce();
                    awaitingKey = false;
                    path = AuthPath.SCRAMBLE;
                    if (AuthPlugins.isSupported(plugin)) {
                        c.write(AuthPlugins.scramble(plugin, password, nonce));
                    } else if (AuthPlugins.MYSQL_CLEAR_PASSWORD.equals(plugin) && c.isTls()) {
                        path = AuthPath.CLEAR_TEXT;
                        c.write(CachingSha2Password.clearText(password));
                    } else {
                        throw new SyncerException(SyncerException.Kind.AUTH, "the primary asks for the authentication "
                                + "plugin '" + plugin + "', which kingbus does not support"
                                + (AuthPlugins.MYSQL_CLEAR_PASSWORD.equals(plugin) ? " without TLS" : ""));
                    }
                }
                case AuthMoreData.HEADER -> {
                    AuthMoreData more = parse(() -> AuthMoreData.parse(p.payload()));
                    if (!AuthPlugins.CACHING_SHA2_PASSWORD.equals(plugin)) {
                        throw new SyncerException(SyncerException.Kind.PROTOCOL, "unexpected auth data for " + plugin);
                    }
                    if (awaitingKey) {
                        PublicKey key = parse(() -> CachingSha2Password.parsePublicKey(more.asString()));
                        c.write(encrypt(password, nonce, key));
                        awaitingKey = false;
                    } else if (more.is(CachingSha2Password.FAST_AUTH_SUCCESS)) {
                        path = AuthPath.SHA2_FAST_AUTH; // the OK follows
                    } else if (more.is(CachingSha2Password.PERFORM_FULL_AUTHENTICATION)) {
                        if (c.isTls()) {
                            path = AuthPath.SHA2_FULL_AUTH_TLS;
                            c.write(CachingSha2Password.clearText(password));
                        } else if (config.serverPublicKeyPem() != null) {
                            path = AuthPath.SHA2_FULL_AUTH_RSA;
                            PublicKey key = parse(() -> CachingSha2Password.parsePublicKey(config.serverPublicKeyPem()));
                            c.write(encrypt(password, nonce, key));
                        } else if (config.allowPublicKeyRetrieval()) {
                            path = AuthPath.SHA2_FULL_AUTH_RSA;
                            awaitingKey = true;
                            c.write(new byte[] {CachingSha2Password.REQUEST_PUBLIC_KEY});
                        } else {
                            throw new SyncerException(SyncerException.Kind.AUTH, "caching_sha2_password full "
                                    + "authentication needs TLS or the primary's RSA public key (public key retrieval "
                                    + "is off)");
                        }
                    } else {
                        throw new SyncerException(SyncerException.Kind.PROTOCOL, "unexpected caching_sha2_password "
                                + "data of " + more.data().length + " bytes");
                    }
                }
                default -> throw new SyncerException(SyncerException.Kind.PROTOCOL, "unexpected " + p
                        + " during authentication");
            }
        }
    }

    private static byte[] encrypt(byte[] password, byte[] nonce, PublicKey key) {
        try {
            return CachingSha2Password.encryptPassword(password, nonce, key);
        } catch (IllegalArgumentException e) {
            throw new SyncerException(SyncerException.Kind.AUTH, e.getMessage(), e);
        }
    }

    private SslContext sslContext() {
        if (config.sslContext() != null) {
            return config.sslContext();
        }
        try {
            // Trust-all: the replica link checks the primary by address only (MySQL's ssl-mode=REQUIRED behaviour).
            return SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        } catch (SSLException e) {
            throw new SyncerException(SyncerException.Kind.TLS, "cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> connectAttributes() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("_client_name", "kingbus");
        m.put("program_name", "kingbus-syncer");
        m.put("_pid", Long.toString(ProcessHandle.current().pid()));
        return m;
    }

    // ------------------------------------------------------------------ preamble

    private PrimaryInfo preamble(Login login) {
        state = DumpStatus.State.PREAMBLE;
        long localSeconds = System.currentTimeMillis() / 1000;
        long primarySeconds = parseLong("UNIX_TIMESTAMP()", queryValue("SELECT UNIX_TIMESTAMP()"));
        long clockOffset = primarySeconds - localSeconds;

        long serverId = parseLong("@@GLOBAL.SERVER_ID", queryValue("SELECT @@GLOBAL.SERVER_ID"));
        if (serverId == config.serverId()) {
            throw new SyncerException(SyncerException.Kind.INCOMPATIBLE_PRIMARY, "the primary " + connection.peer()
                    + " has server_id " + serverId + ", the same as this replica's; they must differ");
        }
        String uuid = queryValue("SELECT @@GLOBAL.SERVER_UUID");
        if (uuid != null && uuid.equalsIgnoreCase(config.serverUuid().toString())) {
            throw new SyncerException(SyncerException.Kind.INCOMPATIBLE_PRIMARY, "the primary " + connection.peer()
                    + " has server_uuid " + uuid + ", the same as this replica's; they must differ");
        }
        String gtidMode = queryValue("SELECT @@GLOBAL.GTID_MODE");
        if (!"ON".equalsIgnoreCase(gtidMode)) {
            throw new SyncerException(SyncerException.Kind.INCOMPATIBLE_PRIMARY, "the primary " + connection.peer()
                    + " has gtid_mode=" + gtidMode + "; kingbus needs gtid_mode=ON (and enforce_gtid_consistency=ON)");
        }
        String format = queryValue("SELECT @@GLOBAL.BINLOG_FORMAT");
        if (!"ROW".equalsIgnoreCase(format)) {
            throw new SyncerException(SyncerException.Kind.INCOMPATIBLE_PRIMARY, "the primary " + connection.peer()
                    + " has binlog_format=" + format + "; kingbus needs binlog_format=ROW");
        }
        String checksumName = queryValue("SELECT @@GLOBAL.BINLOG_CHECKSUM");
        ChecksumType checksum;
        try {
            checksum = ChecksumType.ofVariable(checksumName);
        } catch (BinlogFormatException e) {
            throw new SyncerException(SyncerException.Kind.INCOMPATIBLE_PRIMARY, "the primary " + connection.peer()
                    + " has an unknown binlog_checksum '" + checksumName + "'");
        }
        execute("SET @master_binlog_checksum = @@global.binlog_checksum,"
                + " @source_binlog_checksum = @@global.binlog_checksum");
        long periodNanos = config.heartbeatPeriod().toNanos();
        execute("SET @master_heartbeat_period = " + periodNanos + ", @source_heartbeat_period = " + periodNanos);
        String ourUuid = config.serverUuid().toString();
        execute("SET @slave_uuid = '" + ourUuid + "', @replica_uuid = '" + ourUuid + "'");

        boolean semi = false;
        if (config.semiSync()) {
            ResultSet rs = query("SHOW VARIABLES LIKE '" + SemiSync.MASTER_ENABLED_VARIABLE + "'");
            if (rs.rows().isEmpty()) {
                rs = query("SHOW VARIABLES LIKE '" + SemiSync.SOURCE_ENABLED_VARIABLE + "'");
            }
            if (rs.rows().isEmpty()) {
                LOG.warn("The primary {} has no semi-sync plugin; replicating asynchronously", connection.peer());
            } else {
                // Like MySQL's replica: the plugin being there is enough; the primary flags events when it is ON.
                execute("SET @rpl_semi_sync_slave = 1, @rpl_semi_sync_replica = 1");
                semi = true;
            }
        }
        semiSyncActive = semi;
        HandshakeV10 hs = login.handshake();
        return new PrimaryInfo(config.host(), config.port(), hs.serverVersion(), hs.connectionId(), serverId, uuid,
                gtidMode, format, checksum, connection.isTls(), login.plugin(), login.path(), semi, clockOffset);
    }

    private void register() {
        MySqlClientConnection c = connection;
        c.newCommand();
        c.write(new RegisterSlave(config.serverId(), config.reportHost(), "", "", config.reportPort(), 0, 0).encode());
        Packet p = c.read(config.readTimeout());
        if (ErrPacket.isErr(p.payload())) {
            throw SyncerException.fromErr(SyncerException.Kind.SERVER_ERROR, "COM_REGISTER_SLAVE failed",
                    parse(() -> ErrPacket.parse(p.payload())));
        }
        if (p.firstByte() != 0x00) {
            throw new SyncerException(SyncerException.Kind.PROTOCOL, "unexpected " + p + " after COM_REGISTER_SLAVE");
        }
    }

    private void dump() {
        MySqlClientConnection c = connection;
        int flags = config.nonBlocking() ? BinlogDump.NON_BLOCK : 0;
        c.newCommand();
        if (config.gtids() != null) {
            BinlogDumpGtid cmd = BinlogDumpGtid.of(config.serverId(), config.gtids(), flags);
            LOG.info("Dumping from {} by GTID, excluding '{}'", c.peer(), cmd.gtids());
            c.write(cmd.encode());
        } else {
            file = config.startFile();
            position = config.startPosition();
            LOG.info("Dumping from {} at {}:{}", c.peer(), config.startFile(), config.startPosition());
            c.write(new BinlogDump(config.startPosition(), flags, config.serverId(), config.startFile()).encode());
        }
        // Semi-sync ACKs are written outside the dump's numbering; follow the primary's ids without checking.
        c.checkSequence(!semiSyncActive);
        state = DumpStatus.State.STREAMING;
    }

    // ------------------------------------------------------------------ stream

    /**
     * Reads the dump until it ends. What {@link #status()} shows (position, event count, last event time) is kept in
     * locals and published once per socket read's worth of events, when the next read may wait: per event, the
     * clock reads and the atomic and volatile writes cost the syncer and every binlog client more CPU than their
     * parsing (docs/benchmarks.md, the fan-out profile).
     */
    private void stream(PrimaryInfo info) {
        MySqlClientConnection c = connection;
        ChecksumType checksum = info.checksum();
        boolean semi = semiSyncActive;
        Duration idle = config.streamIdleTimeout();
        long pos = position;
        long events = 0;
        long eventTimestamp = 0;
        try {
            while (true) {
                if (!c.hasBuffered()) {
                    publish(pos, events, eventTimestamp);
                    events = 0;
                    eventTimestamp = 0;
                }
                Packet p = c.read(idle);
                byte[] payload = p.payload();
                int first = p.firstByte();
                if (first == ErrPacket.HEADER) {
                    throw SyncerException.fromErr(SyncerException.Kind.SERVER_ERROR, "the primary " + c.peer()
                            + " ended the dump", parse(() -> ErrPacket.parse(payload)));
                }
                if (EofPacket.isEof(payload)) {
                    if (config.nonBlocking()) {
                        return; // the end of the primary's binlog
                    }
                    // A blocking dump never ends by itself: MySQL sends EOF when it kills the dump thread (shutdown,
                    // KILL, or another replica registering with the same server_id / server_uuid).
                    throw new SyncerException(SyncerException.Kind.DISCONNECTED, "the primary " + c.peer()
                            + " ended the dump (it is shutting down, or killed the dump thread, e.g. for another "
                            + "replica with the same server_id or server_uuid)");
                }
                if (first != DumpEventPacket.HEADER) {
                    throw new SyncerException(SyncerException.Kind.PROTOCOL, "unexpected " + p + " in the dump stream");
                }
                DumpEventPacket d = parse(() -> DumpEventPacket.parse(payload, semi));
                BinlogEvent event;
                ChecksumType own;
                try {
                    event = BinlogEvent.of(d.event());
                    own = event.checksumIn(checksum);
                } catch (BinlogFormatException e) {
                    throw new SyncerException(SyncerException.Kind.PROTOCOL, "bad event from " + c.peer() + " after "
                            + file + ":" + pos + ": " + e.getMessage(), e);
                }
                if (!event.checksumMatches(own)) {
                    throw new SyncerException(SyncerException.Kind.CHECKSUM, "checksum mismatch in a "
                            + event.typeName() + " event of " + event.length() + " bytes from " + c.peer() + " after "
                            + file + ":" + pos + "; the event was dropped");
                }
                String eventFile = file;
                try {
                    switch (event.type()) {
                        case EventType.FORMAT_DESCRIPTION -> checksum = FormatDescription.checksumOf(event);
                        case EventType.ROTATE -> {
                            RotateEvent r = RotateEvent.decode(event, own);
                            if (event.isArtificial() || event.logPos() == 0) {
                                eventFile = r.nextFile(); // the fake rotate names the file that follows
                            }
                            file = r.nextFile();
                            pos = r.position();
                        }
                        case EventType.HEARTBEAT, EventType.HEARTBEAT_V2 -> {
                            HeartbeatEvent h = HeartbeatEvent.decode(event, own);
                            if (!h.file().isEmpty()) {
                                file = h.file();
                                eventFile = h.file();
                            }
                            pos = h.position();
                            heartbeatsReceived.incrementAndGet();
                        }
                        default -> {
                        }
                    }
                } catch (BinlogFormatException e) {
                    throw new SyncerException(SyncerException.Kind.PROTOCOL, "bad " + event.typeName()
                            + " event from " + c.peer() + ": " + e.getMessage(), e);
                }
                if (!EventType.isHeartbeat(event.type())) {
                    events++;
                    if (event.type() != EventType.ROTATE && event.logPos() != 0) {
                        pos = event.logPos();
                    }
                    if (!event.isArtificial() && event.timestamp() != 0) {
                        eventTimestamp = event.timestamp();
                    }
                }
                if (closing) {
                    throw new SyncerException(SyncerException.Kind.DISCONNECTED, "closed");
                }
                ReceivedEvent received = new ReceivedEvent(eventFile, event, own, d.ackRequested());
                listener(() -> listener.onEvent(received));
            }
        } finally {
            publish(pos, events, eventTimestamp);
        }
    }

    /** Makes the stream's progress visible to {@link #status()}; {@code eventTimestamp} 0: no timed event since. */
    private void publish(long pos, long newEvents, long eventTimestamp) {
        position = pos;
        if (newEvents > 0) {
            eventsReceived.addAndGet(newEvents);
        }
        if (eventTimestamp != 0) {
            lastEventTimestamp = eventTimestamp;
            lastEventReceivedMillis = System.currentTimeMillis();
        }
    }

    // ------------------------------------------------------------------ commands

    private ResultSet query(String sql) {
        MySqlClientConnection c = connection;
        c.newCommand();
        c.write(Commands.query(sql));
        ResultSet.Reader reader = new ResultSet.Reader(Capabilities.PROTOCOL_41);
        while (true) {
            Packet p = c.read(config.readTimeout());
            boolean done = parse(() -> reader.accept(p.payload()));
            if (done) {
                break;
            }
        }
        if (reader.error() != null) {
            throw SyncerException.fromErr(SyncerException.Kind.SERVER_ERROR, "'" + sql + "' failed on the primary",
                    reader.error());
        }
        if (reader.resultSet() == null) {
            throw new SyncerException(SyncerException.Kind.PROTOCOL, "'" + sql + "' returned no result set");
        }
        return reader.resultSet();
    }

    private String queryValue(String sql) {
        ResultSet rs = query(sql);
        if (rs.rows().isEmpty()) {
            throw new SyncerException(SyncerException.Kind.PROTOCOL, "'" + sql + "' returned no row");
        }
        return rs.firstValue();
    }

    private void execute(String sql) {
        MySqlClientConnection c = connection;
        c.newCommand();
        c.write(Commands.query(sql));
        ResultSet.Reader reader = new ResultSet.Reader(Capabilities.PROTOCOL_41);
        while (true) {
            Packet p = c.read(config.readTimeout());
            if (parse(() -> reader.accept(p.payload()))) {
                break;
            }
        }
        if (reader.error() != null) {
            throw SyncerException.fromErr(SyncerException.Kind.SERVER_ERROR, "'" + sql + "' failed on the primary",
                    reader.error());
        }
    }

    private static long parseLong(String what, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (RuntimeException e) {
            throw new SyncerException(SyncerException.Kind.PROTOCOL, what + " is '" + value + "', not a number");
        }
    }

    private interface ListenerCall {
        void run() throws Exception;
    }

    private static void listener(ListenerCall call) {
        try {
            call.run();
        } catch (SyncerException e) {
            throw e;
        } catch (Exception e) {
            throw new SyncerException(SyncerException.Kind.LISTENER, "the listener failed: " + e, e);
        }
    }

    private interface Parse<T> {
        T get();
    }

    private <T> T parse(Parse<T> p) {
        try {
            return p.get();
        } catch (ProtocolException e) {
            MySqlClientConnection c = connection;
            throw new SyncerException(SyncerException.Kind.PROTOCOL, e.getMessage()
                    + (c == null ? "" : " (from " + c.peer() + ")"), e);
        }
    }
}

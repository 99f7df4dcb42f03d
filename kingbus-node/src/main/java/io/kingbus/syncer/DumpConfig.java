package io.kingbus.syncer;

import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.PacketDecoder;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * Everything a {@link BinlogDumpClient} session needs. Immutable; {@link #toString()} never shows the password.
 * Start either by GTID ({@link Builder#gtids}, the default, with the store's executed set) or by file and position
 * ({@link Builder#filePosition}).
 */
public final class DumpConfig {
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final long serverId;
    private final UUID serverUuid;
    private final String reportHost;
    private final int reportPort;
    private final GtidSet gtids;
    private final String startFile;
    private final long startPosition;
    private final boolean nonBlocking;
    private final boolean semiSync;
    private final TlsMode tls;
    private final SslContext sslContext;
    private final String serverPublicKeyPem;
    private final boolean allowPublicKeyRetrieval;
    private final String authPlugin;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final Duration heartbeatPeriod;
    private final Duration streamIdleTimeout;
    private final int maxPayload;
    private final long eventMemoryLimit;
    private final long queueHighWaterBytes;
    private final long queueLowWaterBytes;
    private final EventLoopGroup eventLoopGroup;

    private DumpConfig(Builder b) {
        this.host = Objects.requireNonNull(b.host, "host");
        this.port = b.port;
        this.user = Objects.requireNonNull(b.user, "user");
        this.password = b.password == null ? "" : b.password;
        this.serverId = b.serverId;
        this.serverUuid = Objects.requireNonNull(b.serverUuid, "serverUuid");
        this.reportHost = b.reportHost == null ? "" : b.reportHost;
        this.reportPort = b.reportPort;
        this.gtids = b.gtids == null ? null : b.gtids.copy();
        this.startFile = b.startFile;
        this.startPosition = b.startPosition;
        this.nonBlocking = b.nonBlocking;
        this.semiSync = b.semiSync;
        this.tls = b.tls;
        this.sslContext = b.sslContext;
        this.serverPublicKeyPem = b.serverPublicKeyPem;
        this.allowPublicKeyRetrieval = b.allowPublicKeyRetrieval;
        this.authPlugin = b.authPlugin;
        this.connectTimeout = b.connectTimeout;
        this.readTimeout = b.readTimeout;
        this.heartbeatPeriod = b.heartbeatPeriod;
        this.streamIdleTimeout = b.streamIdleTimeout != null ? b.streamIdleTimeout
                : heartbeatPeriod.isZero() ? Duration.ZERO : max(heartbeatPeriod.multipliedBy(3), Duration.ofSeconds(10));
        this.maxPayload = b.maxPayload;
        this.eventMemoryLimit = b.eventMemoryLimit;
        this.queueHighWaterBytes = b.queueHighWaterBytes;
        this.queueLowWaterBytes = b.queueLowWaterBytes;
        this.eventLoopGroup = b.eventLoopGroup;
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        if (serverId < 1 || serverId > 0xffffffffL) {
            throw new IllegalArgumentException("server id " + serverId + " must be in 1..2^32-1");
        }
        if ((gtids == null) == (startFile == null)) {
            throw new IllegalArgumentException("start either by GTID set or by file and position");
        }
        if (startFile != null && (startPosition < 4 || startPosition > 0xffffffffL)) {
            throw new IllegalArgumentException("start position " + startPosition + " must be in 4..2^32-1");
        }
        if (!AuthPlugins.isSupported(authPlugin)) {
            throw new IllegalArgumentException("unsupported auth plugin " + authPlugin);
        }
        if (queueLowWaterBytes > queueHighWaterBytes || queueLowWaterBytes < 0) {
            throw new IllegalArgumentException("queue low water must be in 0..high water");
        }
        if (heartbeatPeriod.isNegative() || heartbeatPeriod.compareTo(Duration.ofSeconds(4294967)) > 0) {
            throw new IllegalArgumentException("heartbeat period " + heartbeatPeriod);
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    public static Builder builder(String host, int port) {
        return new Builder(host, port);
    }

    public Builder toBuilder() {
        Builder b = new Builder(host, port);
        b.user = user;
        b.password = password;
        b.serverId = serverId;
        b.serverUuid = serverUuid;
        b.reportHost = reportHost;
        b.reportPort = reportPort;
        b.gtids = gtids;
        b.startFile = startFile;
        b.startPosition = startPosition;
        b.nonBlocking = nonBlocking;
        b.semiSync = semiSync;
        b.tls = tls;
        b.sslContext = sslContext;
        b.serverPublicKeyPem = serverPublicKeyPem;
        b.allowPublicKeyRetrieval = allowPublicKeyRetrieval;
        b.authPlugin = authPlugin;
        b.connectTimeout = connectTimeout;
        b.readTimeout = readTimeout;
        b.heartbeatPeriod = heartbeatPeriod;
        b.streamIdleTimeout = streamIdleTimeout;
        b.maxPayload = maxPayload;
        b.eventMemoryLimit = eventMemoryLimit;
        b.queueHighWaterBytes = queueHighWaterBytes;
        b.queueLowWaterBytes = queueLowWaterBytes;
        b.eventLoopGroup = eventLoopGroup;
        return b;
    }

    public static final class Builder {
        private final String host;
        private final int port;
        private String user = "root";
        private String password = "";
        private long serverId;
        private UUID serverUuid;
        private String reportHost = "";
        private int reportPort;
        private GtidSet gtids;
        private String startFile;
        private long startPosition;
        private boolean nonBlocking;
        private boolean semiSync;
        private TlsMode tls = TlsMode.AUTO;
        private SslContext sslContext;
        private String serverPublicKeyPem;
        private boolean allowPublicKeyRetrieval = true;
        private String authPlugin = AuthPlugins.CACHING_SHA2_PASSWORD;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration readTimeout = Duration.ofSeconds(30);
        private Duration heartbeatPeriod = Duration.ofSeconds(5);
        private Duration streamIdleTimeout;
        private int maxPayload = PacketDecoder.DEFAULT_MAX_PAYLOAD;
        private long eventMemoryLimit = Long.MAX_VALUE;
        private long queueHighWaterBytes = 32L << 20;
        private long queueLowWaterBytes = 8L << 20;
        private EventLoopGroup eventLoopGroup;

        private Builder(String host, int port) {
            this.host = host;
            this.port = port;
        }

        public Builder user(String user) {
            this.user = user;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** Our server_id (1..2^32-1); must differ from the primary's and from every other replica's. */
        public Builder serverId(long serverId) {
            this.serverId = serverId;
            return this;
        }

        /** Our server_uuid, sent as {@code @slave_uuid}; must differ from the primary's. */
        public Builder serverUuid(UUID serverUuid) {
            this.serverUuid = serverUuid;
            return this;
        }

        /** What {@code SHOW SLAVE HOSTS} on the primary shows for us. */
        public Builder report(String host, int port) {
            this.reportHost = host;
            this.reportPort = port;
            return this;
        }

        /** COM_BINLOG_DUMP_GTID: everything the primary has that is not in {@code executed} (copied). */
        public Builder gtids(GtidSet executed) {
            this.gtids = Objects.requireNonNull(executed, "executed");
            this.startFile = null;
            return this;
        }

        /** COM_BINLOG_DUMP from a file and position instead of by GTID. */
        public Builder filePosition(String file, long position) {
            this.startFile = Objects.requireNonNull(file, "file");
            this.startPosition = position;
            this.gtids = null;
            return this;
        }

        /** Send what the primary has and end (BINLOG_DUMP_NON_BLOCK) instead of waiting for new events. */
        public Builder nonBlocking(boolean nonBlocking) {
            this.nonBlocking = nonBlocking;
            return this;
        }

        /** Ask for semi-sync framing when the primary has the semi-sync plugin (see {@link BinlogDumpClient#ack}). */
        public Builder semiSync(boolean semiSync) {
            this.semiSync = semiSync;
            return this;
        }

        public Builder tls(TlsMode tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /**
         * The client TLS context; by default one that trusts any certificate (the replica link authenticates the
         * primary by its address only, like MySQL's ssl-mode=REQUIRED).
         */
        public Builder sslContext(SslContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /** The primary's RSA public key (PEM) for caching_sha2_password full authentication without TLS. */
        public Builder serverPublicKeyPem(String pem) {
            this.serverPublicKeyPem = pem;
            return this;
        }

        /** Whether to ask the primary for its RSA public key (MySQL's GET_MASTER_PUBLIC_KEY=1); default true. */
        public Builder allowPublicKeyRetrieval(boolean allow) {
            this.allowPublicKeyRetrieval = allow;
            return this;
        }

        /** The plugin of the first auth response (default caching_sha2_password, as MySQL 8 clients). */
        public Builder authPlugin(String plugin) {
            this.authPlugin = plugin;
            return this;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        /** How long to wait for each answer during login, preamble and registration. */
        public Builder readTimeout(Duration d) {
            this.readTimeout = d;
            return this;
        }

        /** {@code @master_heartbeat_period}: the primary sends a heartbeat after this much idle time (0: none). */
        public Builder heartbeatPeriod(Duration d) {
            this.heartbeatPeriod = d;
            return this;
        }

        /**
         * How long the stream may stay silent (no byte at all) before the session fails with TIMEOUT; default
         * 3 heartbeat periods, at least 10 s; zero disables it.
         */
        public Builder streamIdleTimeout(Duration d) {
            this.streamIdleTimeout = d;
            return this;
        }

        /** Largest packet payload accepted (default 1 GiB + 1 KiB, MySQL's largest max_allowed_packet). */
        public Builder maxPayload(int bytes) {
            this.maxPayload = bytes;
            return this;
        }

        /**
         * An event whose header (in its first 16 MiB packet) announces more bytes than this fails the dump with
         * {@link EventOverMemoryException} before the rest of it is read (default: no limit but {@link #maxPayload}).
         */
        public Builder eventMemoryLimit(long bytes) {
            this.eventMemoryLimit = bytes;
            return this;
        }

        /**
         * Backpressure: stop reading the socket when this many bytes wait for the listener, resume below
         * {@code low} (defaults 32 MiB and 8 MiB). A single larger event is still read whole.
         */
        public Builder queueWaterMarks(long high, long low) {
            this.queueHighWaterBytes = high;
            this.queueLowWaterBytes = low;
            return this;
        }

        /** A Netty event loop group to share; by default each session makes (and shuts down) a 1-thread group. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.eventLoopGroup = group;
            return this;
        }

        public DumpConfig build() {
            return new DumpConfig(this);
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public long serverId() {
        return serverId;
    }

    public UUID serverUuid() {
        return serverUuid;
    }

    public String reportHost() {
        return reportHost;
    }

    public int reportPort() {
        return reportPort;
    }

    /** A copy of the start GTID set, or null when starting by file and position. */
    public GtidSet gtids() {
        return gtids == null ? null : gtids.copy();
    }

    public String startFile() {
        return startFile;
    }

    public long startPosition() {
        return startPosition;
    }

    public boolean nonBlocking() {
        return nonBlocking;
    }

    public boolean semiSync() {
        return semiSync;
    }

    public TlsMode tls() {
        return tls;
    }

    public SslContext sslContext() {
        return sslContext;
    }

    public String serverPublicKeyPem() {
        return serverPublicKeyPem;
    }

    public boolean allowPublicKeyRetrieval() {
        return allowPublicKeyRetrieval;
    }

    public String authPlugin() {
        return authPlugin;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public Duration readTimeout() {
        return readTimeout;
    }

    public Duration heartbeatPeriod() {
        return heartbeatPeriod;
    }

    public Duration streamIdleTimeout() {
        return streamIdleTimeout;
    }

    public int maxPayload() {
        return maxPayload;
    }

    public long eventMemoryLimit() {
        return eventMemoryLimit;
    }

    public long queueHighWaterBytes() {
        return queueHighWaterBytes;
    }

    public long queueLowWaterBytes() {
        return queueLowWaterBytes;
    }

    public EventLoopGroup eventLoopGroup() {
        return eventLoopGroup;
    }

    @Override
    public String toString() {
        return "DumpConfig(" + user + ":***@" + host + ":" + port + ", server_id " + serverId + ", uuid " + serverUuid
                + (gtids != null ? ", gtids '" + gtids + "'" : ", from " + startFile + ":" + startPosition)
                + ", tls " + tls + (semiSync ? ", semi-sync" : "") + (nonBlocking ? ", non-blocking" : "") + ")";
    }
}

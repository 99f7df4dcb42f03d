package io.kingbus.server;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * How a {@link BinlogServer} listens and presents itself to replicas.
 *
 * @param host            address to bind ("0.0.0.0" for all)
 * @param port            port to bind (0: any free port, see {@link BinlogServer#port()})
 * @param user            the one user replicas log in as (any host)
 * @param password        its password (mysql_native_password; empty: no password)
 * @param serverId        {@code @@server_id} replicas see (must differ from theirs; never 0)
 * @param serverUuid      {@code @@server_uuid} replicas see (must differ from theirs)
 * @param serverVersion   the version in the handshake and {@code VERSION()}; null: {@link #DEFAULT_VERSION}
 * @param maxConnections  connections beyond this get MySQL's error 1040 and are closed
 * @param connectTimeout  the handshake must complete within this (MySQL's connect_timeout)
 * @param waitTimeout     an idle connection outside a dump is closed after this (MySQL's wait_timeout)
 * @param dumpThreads     threads that read the store for all dump sessions (not one per client)
 * @param writeBufferHigh a dump pauses while more than this many bytes wait in its socket buffer (plus at most one
 *                        event); it resumes below {@code writeBufferHigh / 2}
 * @param threadNice      the Linux niceness (0..19) of the server's threads, so that with many replicas reading the
 *                        node's raft and apply threads keep the CPU they need ({@link ThreadNiceness}); 0: the node's
 * @param sendBuffer      SO_SNDBUF of every client connection, in bytes (Linux doubles it for its bookkeeping and
 *                        stops autotuning it); 0: the kernel's autotuning, which on Linux grows a busy connection's
 *                        queue to {@code net.ipv4.tcp_wmem}'s maximum (4 MiB by default): kernel memory per client
 *                        outside the node's heap and direct buffers, as a MySQL primary's sockets have
 */
public record BinlogServerConfig(String host, int port, String user, String password, long serverId,
                                 String serverUuid, String serverVersion, int maxConnections,
                                 Duration connectTimeout, Duration waitTimeout, int dumpThreads,
                                 int writeBufferHigh, int threadNice, int sendBuffer) {

    /**
     * A 5.7-shaped version: MySQL 5.7 and 8.0 replicas, MySQL's mysqlbinlog and mysql-binlog-connector-java accept
     * it, and so does MariaDB's mariadb-binlog, which refuses any server whose version starts with "8" ("unrecognized
     * MariaDB version"). Clients that pick statement spellings by version (8.4+: SHOW BINARY LOG STATUS,
     * @source_...) then use the older spellings, which every stored binlog's tools understand.
     */
    public static final String DEFAULT_VERSION = "5.7.22-kingbus";

    /** The smallest and largest {@link #sendBuffer()} other than 0. */
    public static final int MIN_SEND_BUFFER = 4 * 1024;
    public static final int MAX_SEND_BUFFER = 64 * 1024 * 1024;

    /** The default {@link #threadNice()}: below raft and apply, still a tenth of their weight when they compete. */
    public static final int DEFAULT_THREAD_NICE = 10;

    public BinlogServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(user, "user");
        password = password == null ? "" : password;
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (user.isEmpty() || user.length() > 32) {
            throw new IllegalArgumentException("user must have 1..32 characters");
        }
        if (serverId <= 0 || serverId > 0xffffffffL) {
            throw new IllegalArgumentException("server_id must be 1..4294967295, got " + serverId);
        }
        Objects.requireNonNull(serverUuid, "serverUuid");
        UUID.fromString(serverUuid); // throws IllegalArgumentException for a malformed UUID
        if (serverUuid.length() != 36) {
            throw new IllegalArgumentException("server_uuid must be a 36-character UUID, got '" + serverUuid + "'");
        }
        serverVersion = serverVersion == null || serverVersion.isBlank() ? DEFAULT_VERSION : serverVersion.strip();
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be positive");
        }
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(waitTimeout, "waitTimeout");
        if (dumpThreads < 1) {
            throw new IllegalArgumentException("dumpThreads must be positive");
        }
        if (writeBufferHigh < 16 * 1024) {
            throw new IllegalArgumentException("writeBufferHigh must be at least 16 KiB");
        }
        checkThreadNice(threadNice);
        checkSendBuffer(sendBuffer);
    }

    /** A {@link #threadNice()}, or IllegalArgumentException. */
    static int checkThreadNice(int nice) {
        if (nice < 0 || nice > 19) {
            throw new IllegalArgumentException("thread niceness must be 0..19, got " + nice);
        }
        return nice;
    }

    /** A {@link #sendBuffer()}, or IllegalArgumentException. */
    public static int checkSendBuffer(long bytes) {
        if (bytes != 0 && (bytes < MIN_SEND_BUFFER || bytes > MAX_SEND_BUFFER)) {
            throw new IllegalArgumentException("the socket send buffer must be 0 (the kernel's autotuning) or "
                    + MIN_SEND_BUFFER / 1024 + " KiB.." + MAX_SEND_BUFFER / (1024 * 1024) + " MiB, got " + bytes
                    + " bytes");
        }
        return (int) bytes;
    }

    public BinlogServerConfig withSendBuffer(int bytes) {
        return new BinlogServerConfig(host, port, user, password, serverId, serverUuid, serverVersion,
                maxConnections, connectTimeout, waitTimeout, dumpThreads, writeBufferHigh, threadNice, bytes);
    }

    /** Defaults for everything but the address and credentials; a random server_uuid and server_id. */
    public static BinlogServerConfig of(String host, int port, String user, String password) {
        UUID uuid = UUID.randomUUID();
        return new BinlogServerConfig(host, port, user, password, defaultServerId(uuid), uuid.toString(), null,
                1024, Duration.ofSeconds(10), Duration.ofHours(8),
                Math.max(2, Runtime.getRuntime().availableProcessors()), 1 << 20, DEFAULT_THREAD_NICE, 0);
    }

    /** A server_id derived from a UUID, away from the small ids people give their servers (1..2^20). */
    public static long defaultServerId(UUID uuid) {
        long h = uuid.getMostSignificantBits() ^ uuid.getLeastSignificantBits();
        return (1L << 20) + Math.floorMod(h, 0xffffffffL - (1L << 20));
    }

    /** Parses "host:port" (IPv6 as "[::1]:3390"). */
    public static HostPort parseAddr(String addr) {
        if (addr == null || addr.isBlank()) {
            throw new IllegalArgumentException("address is empty; expected host:port");
        }
        String a = addr.strip();
        int colon = a.lastIndexOf(':');
        if (colon <= 0 || colon == a.length() - 1) {
            throw new IllegalArgumentException("address '" + a + "' is not host:port");
        }
        String host = a.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(a.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address '" + a + "' has no numeric port");
        }
        if (port < 0 || port > 65535 || host.isEmpty()) {
            throw new IllegalArgumentException("address '" + a + "' is not host:port with a port 0..65535");
        }
        return new HostPort(host, port);
    }

    /** A parsed listen address. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public String addr() {
        return new HostPort(host, port).toString();
    }

    public BinlogServerConfig withAddress(String newHost, int newPort) {
        return new BinlogServerConfig(newHost, newPort, user, password, serverId, serverUuid, serverVersion,
                maxConnections, connectTimeout, waitTimeout, dumpThreads, writeBufferHigh, threadNice, sendBuffer);
    }

    public BinlogServerConfig withIdentity(long newServerId, String newServerUuid) {
        return new BinlogServerConfig(host, port, user, password, newServerId, newServerUuid, serverVersion,
                maxConnections, connectTimeout, waitTimeout, dumpThreads, writeBufferHigh, threadNice, sendBuffer);
    }

    public BinlogServerConfig withServerVersion(String version) {
        return new BinlogServerConfig(host, port, user, password, serverId, serverUuid, version, maxConnections,
                connectTimeout, waitTimeout, dumpThreads, writeBufferHigh, threadNice, sendBuffer);
    }

    public BinlogServerConfig withLimits(int newMaxConnections, Duration newConnectTimeout, Duration newWaitTimeout) {
        return new BinlogServerConfig(host, port, user, password, serverId, serverUuid, serverVersion,
                newMaxConnections, newConnectTimeout, newWaitTimeout, dumpThreads, writeBufferHigh, threadNice,
                sendBuffer);
    }

    public BinlogServerConfig withDumpThreads(int threads, int newWriteBufferHigh) {
        return new BinlogServerConfig(host, port, user, password, serverId, serverUuid, serverVersion,
                maxConnections, connectTimeout, waitTimeout, threads, newWriteBufferHigh, threadNice, sendBuffer);
    }

    public BinlogServerConfig withThreadNice(int nice) {
        return new BinlogServerConfig(host, port, user, password, serverId, serverUuid, serverVersion,
                maxConnections, connectTimeout, waitTimeout, dumpThreads, writeBufferHigh, nice, sendBuffer);
    }

    /** Never prints the password. */
    @Override
    public String toString() {
        return "BinlogServerConfig(" + addr() + ", user " + user + ", server_id " + serverId + ", server_uuid "
                + serverUuid + ", version " + serverVersion + ")";
    }
}

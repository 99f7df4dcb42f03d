package io.kingbus.server;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.FormatDescription;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.protocol.PacketDecoder;
import io.kingbus.protocol.PacketEncoder;
import io.kingbus.protocol.RegisterSlave;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogReader;
import io.kingbus.store.BinlogStore;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FileRegion;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Kingbus as a MySQL primary: serves the binlog store over the MySQL replication protocol to real replicas
 * (5.7/8.0, GTID auto-position or file:pos), mysqlbinlog / mariadb-binlog and CDC clients.
 *
 * <pre>{@code
 * BinlogServer s = new BinlogServer(store, BinlogServerConfig.of("0.0.0.0", 3390, "kb", "secret")).start();
 * s.status(); s.stop();
 * }</pre>
 *
 * <p>Netty (epoll when available) accepts any number of clients. Each dump reads the store with its own reader on a
 * small shared executor, paced by its socket (see {@link DumpSession}): a slow client never slows the others nor the
 * store's writer, whose commit listener only wakes the sessions that wait at the end of the binlog. Readers only see
 * complete transactions the store has applied (on a node: committed by a raft majority).
 */
public final class BinlogServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinlogServer.class);
    /** Largest command a logged-in client may send (a COM_BINLOG_DUMP_GTID with a huge GTID set fits easily). */
    static final int MAX_COMMAND = 16 << 20;
    /** How long commits are gathered before the caught-up dumps are woken (MySQL's group commit does the like). */
    static final long COMMIT_WAKE_DELAY_MICROS = 1000;

    private final BinlogStore store;
    private final BinlogServerConfig config;
    private final AtomicLong nextConnectionId = new AtomicLong(1);
    private final LongAdder storeBytesRead = new LongAdder();
    private final Map<Long, ServerConnection> connections = new ConcurrentHashMap<>();
    private final Map<DumpSession, Boolean> dumps = new ConcurrentHashMap<>();
    private final Runnable commitListener = this::onCommit;
    /** A round of waking the caught-up dumps is scheduled and has not started yet. */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final long startedMillis = System.currentTimeMillis();
    private volatile StoreFacts facts;
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private ThreadPoolExecutor dumpExecutor;
    private Channel serverChannel;
    private ScheduledFuture<?> sweeper;
    private volatile boolean running;
    private boolean stopped;
    private int boundPort;

    /** The FORMAT_DESCRIPTION facts of the last stored file: the primary's version family and checksum. */
    private record StoreFacts(String file, String serverVersion, ChecksumType checksum) {
    }

    public BinlogServer(BinlogStore store, BinlogServerConfig config) {
        this.store = Objects.requireNonNull(store, "store");
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Binds and starts serving.
     *
     * @throws IllegalStateException with a one-line reason when the address cannot be bound
     */
    public synchronized BinlogServer start() {
        if (stopped) {
            throw new IllegalStateException("binlog server was stopped; create a new one");
        }
        if (running) {
            return this;
        }
        Transport t = Transport.best();
        int nice = config.threadNice();
        bossGroup = t.group(1, "kingbus-binlog-accept", nice);
        workerGroup = t.group(Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors())), "kingbus-binlog-io",
                nice);
        dumpExecutor = new ThreadPoolExecutor(config.dumpThreads(), config.dumpThreads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), ThreadNiceness.of(daemonThreads("kingbus-binlog-dump"), nice));
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(t.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // null leaves the kernel's autotuning (Netty skips an option set to null)
                .childOption(ChannelOption.SO_SNDBUF, config.sendBuffer() > 0 ? config.sendBuffer() : null)
                .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
                .childOption(ChannelOption.MESSAGE_SIZE_ESTIMATOR, FILE_REGIONS_COUNT)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferHigh() / 2, config.writeBufferHigh()))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        InboundGuard guard = new InboundGuard();
                        ch.pipeline().addLast("guard", guard)
                                .addLast("decoder", new PacketDecoder(MAX_COMMAND))
                                .addLast("encoder", PacketEncoder.INSTANCE)
                                .addLast("connection", new ServerConnection(BinlogServer.this,
                                        nextConnectionId.getAndIncrement(), guard));
                    }
                });
        try {
            serverChannel = b.bind(config.host(), config.port()).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
            dumpExecutor.shutdownNow();
            shutdownGroups();
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String reason = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            throw new IllegalStateException("binlog server cannot listen on " + config.addr() + ": " + reason, e);
        }
        boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        store.addCommitListener(commitListener);
        long sweepMillis = Math.max(50, Math.min(1000, config.connectTimeout().toMillis() / 2));
        sweeper = workerGroup.next().scheduleAtFixedRate(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
        running = true;
        log.info("binlog server listening on {}:{} ({}, threads at nice {}, socket send buffer {}, user {}, server_id "
                        + "{}, server_uuid {}, version {})", config.host(), boundPort, t.name(), nice,
                config.sendBuffer() > 0 ? config.sendBuffer() + " bytes" : "autotuned", config.user(),
                config.serverId(), config.serverUuid(), config.serverVersion());
        return this;
    }

    /** Stops listening and closes every connection (replicas see the connection drop and retry). */
    public synchronized void stop() {
        if (!running) {
            stopped = true;
            return;
        }
        running = false;
        stopped = true;
        store.removeCommitListener(commitListener);
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        try {
            serverChannel.close().syncUninterruptibly();
        } catch (RuntimeException e) {
            log.debug("closing the binlog server socket: {}", e.toString());
        }
        for (DumpSession d : dumps.keySet()) {
            d.close();
        }
        for (ServerConnection c : connections.values()) {
            c.closeChannel();
        }
        dumpExecutor.shutdown();
        try {
            if (!dumpExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
                dumpExecutor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dumpExecutor.shutdownNow();
        }
        for (DumpSession d : dumps.keySet()) {
            d.forceRelease();
        }
        shutdownGroups();
        log.info("binlog server on {}:{} stopped", config.host(), boundPort);
    }

    @Override
    public void close() {
        stop();
    }

    private void shutdownGroups() {
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    public boolean isRunning() {
        return running;
    }

    /** The port bound (after {@link #start()}); the configured one before. */
    public int port() {
        return running || boundPort != 0 ? boundPort : config.port();
    }

    public BinlogServerConfig config() {
        return config;
    }

    BinlogStore store() {
        return store;
    }

    ExecutorService dumpExecutor() {
        return dumpExecutor;
    }

    long uptimeSeconds() {
        return (System.currentTimeMillis() - startedMillis) / 1000;
    }

    int connectionCount() {
        return connections.size();
    }

    String hostname() {
        String h = config.host();
        if (h.equals("0.0.0.0") || h.equals("::") || h.isEmpty()) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "localhost";
            }
        }
        return h;
    }

    String binlogBasename() {
        BinlogFileInfo last = store.lastFile();
        if (last == null) {
            return "mysql-bin";
        }
        int dot = last.name().lastIndexOf('.');
        return dot > 0 ? last.name().substring(0, dot) : last.name();
    }

    // ------------------------------------------------------------------ connections and dumps

    boolean admit(ServerConnection c) {
        if (!running || connections.size() >= config.maxConnections()) {
            return false;
        }
        connections.put(c.connectionId(), c);
        return true;
    }

    void release(ServerConnection c) {
        connections.remove(c.connectionId());
    }

    /** A new dump ends older dumps of the same replica: same slave_uuid, or (without one) the same server_id. */
    void registerDump(DumpSession d) {
        DumpSession.Request r = d.request();
        if (r.replicaServerId() != 0 || !r.replicaUuid().isEmpty()) {
            for (DumpSession other : dumps.keySet()) {
                DumpSession.Request o = other.request();
                boolean same = !r.replicaUuid().isEmpty()
                        ? r.replicaUuid().equals(o.replicaUuid())
                        : o.replicaUuid().isEmpty() && o.replicaServerId() == r.replicaServerId();
                if (same && other != d) {
                    log.info("binlog server: a new dump from {} ends the older dump of {} (same {})",
                            d.connection().describe(), other.connection().describe(),
                            r.replicaUuid().isEmpty() ? "server_id " + r.replicaServerId() : "uuid " + r.replicaUuid());
                    dumps.remove(other);
                    other.kill(MySqlFlavor.ZOMBIE);
                }
            }
        }
        dumps.put(d, Boolean.TRUE);
    }

    /** Bytes the dumps have read from the store's files (not counting what went out by sendfile). */
    long storeBytesRead() {
        return storeBytesRead.sum();
    }

    void addStoreBytesRead(long n) {
        if (n != 0) {
            storeBytesRead.add(n);
        }
    }

    void unregisterDump(DumpSession d) {
        dumps.remove(d);
    }

    /**
     * On the store's commit (apply) thread: schedules one round of waking the caught-up dumps a moment later
     * ({@link #COMMIT_WAKE_DELAY_MICROS}) instead of waking each now, so the apply path does no per-client work, and
     * the commits of that moment reach a tailing client in one write instead of one per commit.
     */
    private void onCommit() {
        facts = null; // the last file may have changed
        if (wakePending.compareAndSet(false, true)) {
            try {
                bossGroup.schedule(this::wakeCaughtUpDumps, COMMIT_WAKE_DELAY_MICROS, TimeUnit.MICROSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                wakePending.set(false); // stopping
            }
        }
    }

    private void wakeCaughtUpDumps() {
        wakePending.set(false); // first: a commit from now on schedules another round
        for (DumpSession d : dumps.keySet()) {
            d.onCommit();
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (ServerConnection c : connections.values()) {
            try {
                c.checkTimeouts(now);
            } catch (RuntimeException e) {
                log.debug("timeout check: {}", e.toString());
            }
        }
    }

    List<QueryResponder.RegisteredReplica> registeredReplicas() {
        List<QueryResponder.RegisteredReplica> out = new ArrayList<>();
        for (ServerConnection c : connections.values()) {
            RegisterSlave r = c.registration();
            if (r != null) {
                out.add(new QueryResponder.RegisteredReplica(r.serverId(), r.host(), r.port(), c.slaveUuid()));
            }
        }
        out.sort((a, b) -> Long.compare(a.serverId(), b.serverId()));
        return out;
    }

    // ------------------------------------------------------------------ store facts

    MySqlFlavor flavor() {
        return MySqlFlavor.of(facts().serverVersion());
    }

    /** {@code @@binlog_checksum}: what the last stored file's FORMAT_DESCRIPTION declares (CRC32 when empty). */
    ChecksumType binlogChecksum() {
        return facts().checksum();
    }

    private StoreFacts facts() {
        StoreFacts f = facts;
        BinlogFileInfo last = store.lastFile();
        String name = last == null ? null : last.name();
        if (f != null && Objects.equals(f.file(), name)) {
            return f;
        }
        String version = "";
        ChecksumType checksum = ChecksumType.CRC32;
        if (last != null) {
            checksum = ChecksumType.ofCode(last.checksumCode());
            try (BinlogReader r = store.openReader(last.name(), 4)) {
                PositionedEvent e = r.poll();
                if (e != null && e.event().type() == EventType.FORMAT_DESCRIPTION) {
                    FormatDescription fd = FormatDescription.decode(e.event());
                    version = fd.serverVersion();
                    checksum = fd.checksum();
                }
            } catch (java.io.IOException | RuntimeException e) {
                log.debug("reading the FORMAT_DESCRIPTION of {}: {}", last.name(), e.toString());
            }
        }
        f = new StoreFacts(name, version, checksum);
        facts = f;
        return f;
    }

    // ------------------------------------------------------------------ status

    /** The server's state for the admin API; the password is redacted. */
    public BinlogServerStatus status() {
        List<BinlogServerStatus.ReplicaStatus> slaves = new ArrayList<>();
        List<BinlogFileInfo> files = store.files();
        long nowSeconds = System.currentTimeMillis() / 1000;
        for (ServerConnection c : connections.values()) {
            DumpSession d = c.dump();
            RegisterSlave r = c.registration();
            if (d == null && r == null) {
                continue;
            }
            long serverId = d != null ? d.request().replicaServerId() : r.serverId();
            String host = r != null ? r.host() : c.remoteHost();
            int port = r != null && r.port() != 0 ? r.port() : c.remotePort();
            String file = d != null ? d.file() : null;
            long position = d != null ? d.position() : 0;
            long lagBytes = d != null ? lagBytes(files, file, position) : 0;
            long lagSeconds = 0;
            if (d != null && lagBytes > 0 && d.lastEventTimestamp() > 0) {
                lagSeconds = Math.max(0, nowSeconds - d.lastEventTimestamp());
            }
            String uuid = c.slaveUuid();
            slaves.add(new BinlogServerStatus.ReplicaStatus(serverId, uuid.isEmpty() ? null : uuid, host, port,
                    c.remoteHost() + ":" + c.remotePort(), c.user(),
                    d != null ? Instant.ofEpochMilli(d.sinceMillis()).toString() : null,
                    d == null ? null : d.request().gtid() ? "gtid" : "position", file, position, lagSeconds, lagBytes,
                    d != null && lagBytes == 0, d != null ? d.eventsSent() : 0, d != null ? d.bytesSent() : 0,
                    d != null ? d.request().heartbeatPeriodNanos() / 1_000_000 : 0,
                    d == null ? null : d.request().clientChecksum() == null ? "unaware"
                            : d.request().clientChecksum().variableValue()));
        }
        slaves.sort((a, b) -> Long.compare(a.serverId(), b.serverId()));
        BinlogFileInfo last = files.isEmpty() ? null : files.get(files.size() - 1);
        return new BinlogServerStatus(config.host() + ":" + port(), config.user(),
                BinlogServerStatus.redact(config.password()), config.serverId(), config.serverUuid(),
                config.serverVersion(), slaves, currentGtid(files), last == null ? "" : last.name(),
                last == null ? 0 : last.endPosition(), store.executedGtids().toString(),
                store.purgedGtids().toString(), connections.size(), running ? "running" : "stopped", null);
    }

    /** The GTID of the last transaction stored (the newest a replica can get), "" when none. */
    static String currentGtid(List<BinlogFileInfo> files) {
        for (int i = files.size() - 1; i >= 0; i--) {
            if (files.get(i).lastGtid() != null) {
                return files.get(i).lastGtid().toString();
            }
        }
        return "";
    }

    /** Stored bytes after file:position. */
    static long lagBytes(List<BinlogFileInfo> files, String file, long position) {
        if (file == null) {
            return 0;
        }
        long lag = 0;
        boolean after = false;
        for (BinlogFileInfo f : files) {
            if (after) {
                lag += f.endPosition();
            } else if (f.name().equals(file)) {
                lag += Math.max(0, f.endPosition() - position);
                after = true;
            }
        }
        return lag;
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Netty's default estimator counts a FileRegion as 0 bytes, so a dump sending large events from their files would
     * never see its channel become unwritable: count a region as the bytes it has to send.
     */
    private static final MessageSizeEstimator FILE_REGIONS_COUNT = new MessageSizeEstimator() {
        private final Handle handle = new Handle() {
            private final Handle fallback = DefaultMessageSizeEstimator.DEFAULT.newHandle();

            @Override
            public int size(Object msg) {
                if (msg instanceof FileRegion r) {
                    return (int) Math.min(Integer.MAX_VALUE, r.count()); // the same when added and when removed
                }
                return fallback.size(msg);
            }
        };

        @Override
        public Handle newHandle() {
            return handle;
        }
    };

    /** Netty's epoll transport when the native library loads (it is a runtime dependency), else NIO. */
    private record Transport(String name, Class<? extends ServerChannel> serverChannel,
                             java.util.function.BiFunction<Integer, ThreadFactory, EventLoopGroup> groups) {
        EventLoopGroup group(int threads, String prefix, int nice) {
            return groups.apply(threads, ThreadNiceness.of(new DefaultThreadFactory(prefix, true), nice));
        }

        @SuppressWarnings("unchecked")
        static Transport best() {
            try {
                Class<?> epoll = Class.forName("io.netty.channel.epoll.Epoll");
                if ((Boolean) epoll.getMethod("isAvailable").invoke(null)) {
                    Class<?> groupClass = Class.forName("io.netty.channel.epoll.EpollEventLoopGroup");
                    Class<? extends ServerChannel> channel = (Class<? extends ServerChannel>)
                            Class.forName("io.netty.channel.epoll.EpollServerSocketChannel");
                    var ctor = groupClass.getConstructor(int.class, ThreadFactory.class);
                    return new Transport("epoll", channel, (n, tf) -> {
                        try {
                            return (EventLoopGroup) ctor.newInstance(n, tf);
                        } catch (ReflectiveOperationException e) {
                            throw new IllegalStateException("cannot create an epoll event loop", e);
                        }
                    });
                }
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                log.debug("epoll transport unavailable: {}", e.toString());
            }
            return new Transport("nio", NioServerSocketChannel.class, NioEventLoopGroup::new);
        }
    }
}

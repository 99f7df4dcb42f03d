package io.kingbus.syncer;

import io.kingbus.raft.BinlogStateMachine;
import io.kingbus.raft.Member;
import io.kingbus.raft.NotLeaderException;
import io.kingbus.raft.RaftCommand;
import io.kingbus.raft.RaftNode;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster's binlog syncer: kingbus as a replica of a real MySQL primary, running on the raft leader only.
 *
 * <p>Its configuration is replicated state ({@link BinlogStateMachine#syncerConfig()}, set by SYNCER_START /
 * SYNCER_STOP through {@link #requestStart} / {@link #requestStop} on the leader). The syncer runs here exactly when
 * this node is the ready leader and the configuration says running: it starts on leader-ready (the store then holds
 * everything committed before), and stops at once on leadership loss, on SYNCER_STOP and on {@link #close()}. A
 * stopped syncer stays stopped across leader changes; a running one is restarted by the new leader from its store's
 * executed GTID set. See {@link SyncerSession} for the work itself.
 *
 * <pre>{@code
 * Syncer syncer = new Syncer(raftNode, store, Syncer.Options.defaults()).start();
 * syncer.requestStart(new RaftCommand.SyncerStart(1001, uuid, "10.0.0.5:3306", "kb", "secret", false)).join();
 * syncer.status();   // admin-api.md §2 fields, the password redacted
 * }</pre>
 */
public final class Syncer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Syncer.class);
    /** What the status shows instead of the password. */
    public static final String REDACTED = "******";

    /**
     * Tunables.
     *
     * @param batchBytes      a proposal is sent once its events reach this many bytes (RaftNode splits at 1 MiB)
     * @param linger          ... or this long after its first event
     * @param maxOutstanding  uncommitted proposals at most; beyond, the dump waits (backpressure)
     * @param retryInitial    first delay after a transient failure (primary gone, network), doubling ...
     * @param retryMax        ... up to this
     * @param errorRetryInitial first delay after a failure that needs an operator (credentials, incompatible
     *                          primary, purged GTIDs), doubling ...
     * @param errorRetryMax   ... up to this
     */
    public record Options(Duration heartbeatPeriod, Duration connectTimeout, Duration readTimeout, int batchBytes,
                          Duration linger, int maxOutstanding, Duration retryInitial, Duration retryMax,
                          Duration errorRetryInitial, Duration errorRetryMax) {
        public Options {
            if (batchBytes < 1 || maxOutstanding < 1) {
                throw new IllegalArgumentException("batchBytes and maxOutstanding must be positive");
            }
        }

        /**
         * 5 s heartbeats; proposals sized by {@link #batchBytesFor} the JVM's G1 region size, or 2 ms, with
         * {@link #windowFor} of them outstanding (system properties {@code kingbus.syncer.batch-bytes},
         * {@code kingbus.syncer.linger-ms}, {@code kingbus.syncer.window} override them, for tuning); retries from
         * 0.5 s to 30 s, and from 5 s to 60 s after errors that need an operator.
         */
        public static Options defaults() {
            long region = g1RegionBytes();
            int batch = Integer.getInteger("kingbus.syncer.batch-bytes", batchBytesFor(region));
            return new Options(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), batch,
                    Duration.ofMillis(Long.getLong("kingbus.syncer.linger-ms", 2)),
                    Integer.getInteger("kingbus.syncer.window", windowFor(batch)), Duration.ofMillis(500),
                    Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(60));
        }

        /**
         * Event bytes per proposal: ~1 MB (one raft entry: RaftNode splits at 1 MiB) where that stays under half a G1
         * region (regions of 4 MiB and more; bin/kingbus sets 4 MiB), else 256 KiB. An object of half a region or
         * more is humongous, on the leader and, parsed from appendEntries, on every follower, and allocating those
         * forces GCs. Fewer, larger entries cut the per-entry work of Ratis and gRPC: a warm 3-node cluster used 24%
         * less CPU without its JIT with 1 MB entries in 4 MiB regions (docs/benchmarks.md, "Larger raft entries").
         */
        static int batchBytesFor(long g1RegionBytes) {
            return g1RegionBytes >= 4L << 20 ? 1_000_000 : 256 << 10;
        }

        /** Proposals outstanding: 8 of ~1 MB, 16 smaller ones. */
        static int windowFor(int batchBytes) {
            return batchBytes >= 1_000_000 ? 8 : 16;
        }

        /** The G1 region size, or 0 under another collector (or when the JVM does not say). */
        static long g1RegionBytes() {
            try {
                var vm = java.lang.management.ManagementFactory.getPlatformMXBean(
                        com.sun.management.HotSpotDiagnosticMXBean.class);
                if (!"true".equals(vm.getVMOption("UseG1GC").getValue())) {
                    return 0;
                }
                return Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue());
            } catch (RuntimeException e) {
                return 0;
            }
        }

        public Options withHeartbeat(Duration period) {
            return new Options(period, connectTimeout, readTimeout, batchBytes, linger, maxOutstanding, retryInitial,
                    retryMax, errorRetryInitial, errorRetryMax);
        }

        public Options withBatching(int bytes, Duration lingerTime, int outstanding) {
            return new Options(heartbeatPeriod, connectTimeout, readTimeout, bytes, lingerTime, outstanding,
                    retryInitial, retryMax, errorRetryInitial, errorRetryMax);
        }
    }

    /** Counters over this node's lifetime (all sessions). */
    static final class Counters {
        final AtomicLong connectAttempts = new AtomicLong();
        final AtomicLong reconnects = new AtomicLong();
        final AtomicLong proposals = new AtomicLong();
        final AtomicLong eventsCommitted = new AtomicLong();
        final AtomicLong bytesCommitted = new AtomicLong();
    }

    private final RaftNode raft;
    private final BinlogStore store;
    private final Options options;
    private final DiskGuard disk;
    private final Counters counters = new Counters();
    private final ScheduledExecutorService control = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kingbus-syncer-control");
        t.setDaemon(true);
        return t;
    });
    private final RaftNode.LeadershipListener leadership = new RaftNode.LeadershipListener() {
        @Override
        public void leaderReady(long term) {
            reconcileSoon();
        }

        @Override
        public void leadershipLost() {
            SyncerSession s = session;
            if (s != null) {
                s.stop(); // at once, on the caller's thread (never blocks)
            }
            reconcileSoon();
        }
    };
    private static final Duration CONFIG_COMMIT_TIMEOUT = Duration.ofSeconds(15);
    /** Serialises reading the configuration and proposing its change (admin requests, refreshes) on the leader. */
    private final Object configLock = new Object();
    private volatile SyncerSession session;
    private volatile boolean started;
    private volatile boolean closed;

    public Syncer(RaftNode raft, BinlogStore store, Options options) {
        this(raft, store, options, DiskGuard.unlimited());
    }

    /** @param disk when the syncer stops taking events because the node's disk is nearly full */
    public Syncer(RaftNode raft, BinlogStore store, Options options, DiskGuard disk) {
        this.raft = Objects.requireNonNull(raft, "raft");
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
        this.disk = Objects.requireNonNull(disk, "disk");
    }

    /** Follows leadership and the replicated configuration from now on. */
    public synchronized Syncer start() {
        if (started) {
            return this;
        }
        started = true;
        raft.stateMachine().setSyncerListener(c -> reconcileSoon());
        raft.addLeadershipListener(leadership);
        control.scheduleWithFixedDelay(this::reconcile, 0, 1, TimeUnit.SECONDS);
        return this;
    }

    /** Stops the syncer here (not the cluster's configuration) and waits a little for it to end. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        raft.removeLeadershipListener(leadership);
        SyncerSession s = session;
        if (s != null) {
            s.stop();
        }
        control.shutdownNow();
        if (s != null && !s.awaitStopped(Duration.ofSeconds(5))) {
            log.warn("the syncer did not stop within 5 s");
        }
    }

    // ------------------------------------------------------------------ control (leader)

    /**
     * Replicates SYNCER_START (this node must be the ready leader). Completes once it is committed and applied here;
     * fails with {@link NotLeaderException} on a follower. The same arguments again are a no-op; other arguments while
     * it runs restart it with them (one SYNCER_START: the leader's session ends and a new one resumes from the store
     * with the new arguments), as the operator expects when it applies a changed spec.
     */
    public CompletableFuture<Long> requestStart(RaftCommand.SyncerStart args) {
        PrimaryAddress.parse(args.mysqlAddr());
        synchronized (configLock) {
            BinlogStateMachine.SyncerConfig current = raft.stateMachine().syncerConfig();
            if (current.running() && current.args() != null) {
                if (current.args().equals(args)) {
                    return CompletableFuture.completedFuture(current.index());
                }
                log.info("syncer restart requested with new arguments: {} (was {})", args, current.args());
            }
            return proposeAndWait(args);
        }
    }

    /** Replicates SYNCER_STOP (this node must be the ready leader); a no-op when already stopped. */
    public CompletableFuture<Long> requestStop() {
        synchronized (configLock) {
            BinlogStateMachine.SyncerConfig current = raft.stateMachine().syncerConfig();
            if (!current.running()) {
                return CompletableFuture.completedFuture(current.index());
            }
            return proposeAndWait(new RaftCommand.SyncerStop());
        }
    }

    /**
     * Proposes a configuration command and waits (bounded) for it to be applied here, so that the next decision
     * under {@link #configLock} reads the configuration it made.
     */
    private CompletableFuture<Long> proposeAndWait(RaftCommand command) {
        CompletableFuture<Long> f = raft.proposeCommand(command);
        try {
            f.get(CONFIG_COMMIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // the caller sees it through the future (a timeout leaves it pending: the caller's own bound applies)
        }
        return f;
    }

    /**
     * Once the raft log no longer holds the entry that set the configuration (purged behind a snapshot marker), a
     * member that catches up by copying files from a peer (notify-mode install) would not learn it; the leader then
     * proposes the configuration in force again, so it is always in the log after the latest snapshot.
     */
    private void refreshPurgedConfig() {
        if (!raft.isLeaderReady()) {
            return;
        }
        BinlogStateMachine.SyncerConfig c = raft.stateMachine().syncerConfig();
        long start = raft.logStartIndex();
        if (c.index() < 0 || start <= c.index() || c.args() == null) {
            return;
        }
        synchronized (configLock) {
            c = raft.stateMachine().syncerConfig();
            if (c.index() < 0 || raft.logStartIndex() <= c.index() || c.args() == null || !raft.isLeaderReady()) {
                return;
            }
            log.info("the raft log now starts at {}, after the syncer configuration's entry {}: proposing it again "
                    + "for members that catch up from a snapshot ({})", raft.logStartIndex(), c.index(), c);
            proposeAndWait(c.running() ? c.args() : new RaftCommand.SyncerStop());
        }
    }

    public boolean isLeader() {
        return raft.isLeader();
    }

    public Member leader() {
        return raft.leader();
    }

    private void reconcileSoon() {
        if (closed) {
            return;
        }
        try {
            control.execute(this::reconcile);
        } catch (RuntimeException ignored) {
            // closing
        }
    }

    /** Runs the syncer here exactly when this node is the ready leader and the configuration says running. */
    private void reconcile() {
        try {
            BinlogStateMachine.SyncerConfig c = raft.stateMachine().syncerConfig();
            boolean want = !closed && c.running() && c.args() != null && raft.isLeaderReady()
                    && !raft.stateMachine().failed();
            SyncerSession s = session;
            // a halted session (an error retrying cannot mend) stays, with its error, until the configuration changes
            if (s != null && (!want || !s.args.equals(c.args()) || (s.ended() && !s.halted()))) {
                s.stop();
                if (!s.awaitStopped(Duration.ofSeconds(30))) {
                    log.warn("the syncer session did not end within 30 s; starting anew anyway");
                }
                session = null;
                s = null;
            }
            if (want && s == null) {
                try {
                    session = new SyncerSession(c.args(), raft, store, options, disk, counters).start();
                } catch (IllegalArgumentException e) {
                    log.warn("the replicated syncer arguments are unusable: {}", e.getMessage());
                }
            }
            if (!closed) {
                refreshPurgedConfig();
            }
        } catch (RuntimeException e) {
            log.warn("syncer reconcile failed: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------ status

    /** Whether a syncer session runs on this node now. */
    public boolean runningHere() {
        SyncerSession s = session;
        return s != null && !s.ended();
    }

    /** Dump connections opened by this node (logins attempted), over its lifetime. */
    public long connectAttempts() {
        return counters.connectAttempts.get();
    }

    /**
     * GET /binlog/syncer/status (admin-api.md §2, in its field order) as seen from this node, plus: primary_*,
     * lag_seconds, lag_bytes, last_error, reconnects, connection_attempts and more. The password is shown as
     * {@value #REDACTED} (empty when no syncer was ever configured).
     */
    public Map<String, Object> status() {
        BinlogStateMachine.SyncerConfig c = raft.stateMachine().syncerConfig();
        RaftCommand.SyncerStart a = c.args();
        SyncerSession s = session;
        BinlogFileInfo last = store.lastFile();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("current_gtid", s == null ? "" : s.currentGtid());
        m.put("executed_gtid_set", store.executedGtids().toString());
        m.put("last_binlog_file", last == null ? "" : last.name());
        m.put("last_file_position", last == null ? 0 : last.endPosition());
        m.put("mysql_addr", a == null ? "" : a.mysqlAddr());
        m.put("mysql_password", a == null ? "" : REDACTED);
        m.put("mysql_user", a == null ? "" : a.mysqlUser());
        m.put("purged_gtid_set", store.purgedGtids().toString());
        m.put("semi_sync", a != null && a.semiSync());
        m.put("status", statusWord(c, s));
        m.put("syncer_id", a == null ? 0 : a.syncerId());
        m.put("syncer_uuid", a == null ? "" : a.syncerUuid());

        PrimaryInfo p = s == null ? null : s.primary();
        m.put("primary_server_uuid", p == null ? "" : p.serverUuid());
        m.put("primary_server_id", p == null ? 0 : p.serverId());
        m.put("primary_version", p == null ? "" : p.serverVersion());
        m.put("primary_semi_sync", p != null && p.semiSync());
        long pending = s == null ? 0 : s.pendingBytes();
        m.put("lag_bytes", pending);
        m.put("lag_seconds", lagSeconds(s, p, pending));
        m.put("last_error", s == null || s.lastError() == null ? "" : s.lastError());
        m.put("last_error_time", s == null || s.lastErrorMillis() == 0 ? ""
                : Instant.ofEpochMilli(s.lastErrorMillis()).toString());
        m.put("retry_in_ms", s == null ? 0 : s.retryInMillis());
        m.put("reconnects", counters.reconnects.get());
        m.put("connection_attempts", counters.connectAttempts.get());
        DumpStatus d = s == null ? null : s.dumpStatus();
        m.put("received_binlog_file", d == null ? "" : d.file());
        m.put("received_file_position", d == null ? 0 : d.position());
        m.put("bytes_received", d == null ? 0 : d.bytesReceived());
        m.put("events_committed", counters.eventsCommitted.get());
        m.put("bytes_committed", counters.bytesCommitted.get());
        m.put("proposals", counters.proposals.get());
        m.put("config_index", c.index());
        m.put("node", raft.name());
        return m;
    }

    private String statusWord(BinlogStateMachine.SyncerConfig c, SyncerSession s) {
        if (!c.running()) {
            return "stopped";
        }
        if (s != null && s.halted()) {
            return "error";
        }
        if (s == null || s.ended()) {
            return "connecting"; // configured to run; this node is not (yet) running it
        }
        return switch (s.state()) {
            case RUNNING -> "running";
            case ERROR -> "error";
            case STOPPED -> "stopped";
            case CONNECTING -> "connecting";
        };
    }

    /** Like Seconds_Behind_Master: 0 with nothing pending, else the primary's now minus the last committed event. */
    private static long lagSeconds(SyncerSession s, PrimaryInfo p, long pending) {
        if (s == null || p == null || s.state() != SyncerSession.State.RUNNING || pending == 0) {
            return 0;
        }
        long ts = s.lastCommittedTimestamp();
        if (ts == 0) {
            DumpStatus d = s.dumpStatus();
            ts = d == null ? 0 : d.lastEventTimestamp();
        }
        if (ts == 0) {
            return 0;
        }
        long primaryNow = System.currentTimeMillis() / 1000 + p.clockOffsetSeconds();
        return Math.max(0, primaryNow - ts);
    }
}

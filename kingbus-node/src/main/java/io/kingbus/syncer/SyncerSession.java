package io.kingbus.syncer;

import io.kingbus.binlog.EventType;
import io.kingbus.binlog.GtidEvent;
import io.kingbus.gtid.GtidSet;
import io.kingbus.raft.NotLeaderException;
import io.kingbus.raft.ProposalRejectedException;
import io.kingbus.raft.RaftCommand;
import io.kingbus.raft.RaftNode;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The syncer's work during one leadership term on the leader: a loop of dump sessions against the primary, each
 * resuming by GTID from the store's executed set, whose events are batched and proposed to the raft group.
 *
 * <ul>
 *   <li>Batches: whole events, up to {@link Syncer.Options#batchBytes()} or {@link Syncer.Options#linger()} after
 *       the batch's first event, whichever comes first; a semi-sync ACK request ends a batch at once.</li>
 *   <li>Backpressure: at most {@link Syncer.Options#maxOutstanding()} proposals uncommitted; beyond that the dump
 *       listener waits, so the dump client stops reading the socket and the primary waits.</li>
 *   <li>A failed proposal ends the session; the next one resumes from what the store has (appends are idempotent by
 *       position, a half-stored transaction is discarded and fetched again).</li>
 *   <li>Semi-sync: the ACK for an event goes out once the proposal holding it is committed (and applied here).</li>
 *   <li>When a GTID dump starts at a file the store lacks while the store's last file misses its end (the primary
 *       rotated, or restarted, before that part was stored), the missing tail is fetched first by file:pos, so the
 *       stored files stay byte-identical to the primary's.</li>
 * </ul>
 */
final class SyncerSession {
    private static final Logger log = LoggerFactory.getLogger(SyncerSession.class);

    /** Ends a GTID session that must first fetch the tail of the store's last file. */
    private static final class TailMissing extends RuntimeException {
        final String file;
        final long position;
        final String next;

        TailMissing(String file, long position, String next) {
            super("the dump started at " + next + "; the tail of " + file + " after " + position + " is missing",
                    null, false, false);
            this.file = file;
            this.position = position;
            this.next = next;
        }
    }

    /** Ends the session until the node's disk has room again ({@link DiskGuard}); not an error to back off from. */
    private static final class DiskLow extends RuntimeException {
        DiskLow(String message) {
            super(message, null, false, false);
        }
    }

    /** Ends the session for good: retrying cannot help (an event over 1 GiB, MySQL's largest). */
    private static final class Halt extends RuntimeException {
        Halt(String message) {
            super(message, null, false, false);
        }
    }

    enum State { CONNECTING, RUNNING, ERROR, STOPPED }

    final RaftCommand.SyncerStart args;
    private final PrimaryAddress address;
    private final RaftNode raft;
    private final BinlogStore store;
    private final Syncer.Options options;
    private final DiskGuard disk;
    private final Syncer.Counters counters;
    private final Thread thread;
    private final Object sleeper = new Object();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();

    private volatile boolean stopping;
    private volatile BinlogDumpClient client;
    private volatile Pipeline pipeline;
    private volatile State state = State.CONNECTING;
    private volatile PrimaryInfo primary;
    private volatile String lastError;
    /** The batch the last session stopped on for want of disk space (-1: none); the wait is for room for it. */
    private volatile long diskShortBatch = -1;
    private volatile long lastErrorMillis;
    private volatile long retryAtMillis;
    /** The last GTID event received; {@link #currentGtid()} decodes it. */
    private volatile ReceivedEvent lastGtidEvent;
    /** Set when the session ended on an error that needs an operator; it is not restarted by itself. */
    private volatile boolean halted;
    /** "file:position" of the store's last file whose tail was already looked for on the primary. */
    private String tailChecked;

    SyncerSession(RaftCommand.SyncerStart args, RaftNode raft, BinlogStore store, Syncer.Options options,
                  DiskGuard disk, Syncer.Counters counters) {
        this.args = args;
        this.address = PrimaryAddress.parse(args.mysqlAddr());
        this.raft = raft;
        this.store = store;
        this.options = options;
        this.disk = disk;
        this.counters = counters;
        this.thread = new Thread(this::run, "kingbus-syncer");
        this.thread.setDaemon(true);
    }

    SyncerSession start() {
        thread.start();
        return this;
    }

    /** Stops at once: closes the dump connection; outstanding proposals finish or fail by themselves. */
    void stop() {
        stopping = true;
        BinlogDumpClient c = client;
        if (c != null) {
            c.close();
        }
        Pipeline p = pipeline;
        if (p != null) {
            p.abort(null);
        }
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    /** Waits for the loop to end (the dump closed, outstanding proposals settled); false on timeout. */
    boolean awaitStopped(Duration timeout) {
        try {
            stopped.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    boolean ended() {
        return stopped.isDone();
    }

    // ------------------------------------------------------------------ the loop

    private void run() {
        ReconnectBackoff transientBackoff = new ReconnectBackoff(options.retryInitial(), options.retryMax(), 2.0, 0.2,
                Duration.ofSeconds(60), System::nanoTime, new Random());
        ReconnectBackoff errorBackoff = new ReconnectBackoff(options.errorRetryInitial(), options.errorRetryMax(), 2.0,
                0.2, Duration.ofSeconds(60), System::nanoTime, new Random());
        log.info("syncer started on this leader: {} as server_id {} / server_uuid {}, user {}{}", address,
                args.syncerId(), args.syncerUuid(), args.mysqlUser(), args.semiSync() ? ", semi-sync" : "");
        try {
            while (!stopping) {
                if (!awaitDiskSpace()) {
                    break;
                }
                Throwable failure = runOnce(transientBackoff, errorBackoff);
                if (stopping) {
                    break;
                }
                if (failure instanceof DiskLow) {
                    continue; // the batch in hand was dropped; resumes from the store once there is room
                }
                String halt = haltReason(failure);
                if (halt != null) {
                    lastError = halt;
                    lastErrorMillis = System.currentTimeMillis();
                    retryAtMillis = 0;
                    halted = true;
                    log.error("syncer stopped: {}", halt);
                    break;
                }
                if (failure instanceof TailMissing tail) {
                    try {
                        fetchTail(tail);
                        continue; // resume by GTID at once
                    } catch (RuntimeException e) {
                        failure = e;
                    }
                    if (stopping) {
                        break;
                    }
                }
                boolean transientFailure = isTransient(failure);
                Duration delay = transientFailure ? transientBackoff.nextDelay() : errorBackoff.nextDelay();
                noteError(failure, delay);
                sleep(delay);
                counters.reconnects.incrementAndGet();
            }
        } catch (RuntimeException | Error e) {
            log.error("syncer loop failed", e);
            lastError = "syncer loop failed: " + e;
        } finally {
            state = halted ? State.ERROR : State.STOPPED;
            log.info("syncer stopped on this node");
            stopped.complete(null);
        }
    }

    /**
     * Waits, without a connection to the primary, while the node's disk is short of its reserve (MySQL waits on a
     * full disk too); one log line when the wait starts and one when it ends. False when stopped meanwhile.
     */
    private boolean awaitDiskSpace() {
        long batch = Math.max(0, diskShortBatch);
        String low = disk.shortage(batch);
        if (low == null && (diskShortBatch < 0 || disk.roomFor(batch))) {
            diskShortBatch = -1;
            return true;
        }
        if (low == null) {
            low = "disk space low: waiting for a margin above the reserve before fetching again";
        }
        lastError = low;
        lastErrorMillis = System.currentTimeMillis();
        retryAtMillis = 0;
        state = State.ERROR;
        log.warn("syncer paused: {}", low);
        while (!stopping && !disk.roomFor(batch)) {
            sleep(Duration.ofSeconds(1));
        }
        diskShortBatch = -1;
        if (!stopping) {
            log.info("syncer resumes: {} usable again", DiskGuard.mib(disk.usableBytes()));
        }
        return !stopping;
    }

    /** One dump session by GTID; returns why it ended (null when stopped). */
    private Throwable runOnce(ReconnectBackoff transientBackoff, ReconnectBackoff errorBackoff) {
        state = State.CONNECTING;
        GtidSet from = store.executedGtids();
        DumpConfig config = base().gtids(from).build();
        Pipeline p = new Pipeline(transientBackoff, errorBackoff);
        BinlogDumpClient c = new BinlogDumpClient(config, p);
        p.client = c;
        pipeline = p;
        client = c;
        if (stopping) {
            return null;
        }
        counters.connectAttempts.incrementAndGet();
        Throwable failure = null;
        try {
            c.start().join();
        } catch (CompletionException e) {
            failure = e.getCause();
        }
        p.finish();
        Throwable proposal = p.failure;
        if (stopping) {
            return null;
        }
        if (failure instanceof SyncerException se && se.getCause() instanceof TailMissing tm) {
            return tm;
        }
        if (proposal != null) {
            return proposal;
        }
        return failure != null ? failure : new SyncerException(SyncerException.Kind.DISCONNECTED,
                "the dump from " + address + " ended");
    }

    private DumpConfig.Builder base() {
        return DumpConfig.builder(address.host(), address.port())
                .user(args.mysqlUser())
                .password(args.mysqlPassword())
                .serverId(args.syncerId())
                .serverUuid(UUID.fromString(args.syncerUuid()))
                .semiSync(args.semiSync())
                .heartbeatPeriod(options.heartbeatPeriod())
                .connectTimeout(options.connectTimeout())
                .readTimeout(options.readTimeout())
                .eventMemoryLimit(eventMemoryLimit(Runtime.getRuntime().maxMemory()));
    }

    /**
     * The largest event this leader can take in with a heap of {@code maxHeap} bytes: it holds the event once as it
     * arrives and up to about once more in raft entries (its parts) until they are written and sent, beside the rest
     * of the node (128 MiB). Measured with a 1000 MiB row: -Xmx3g took it, -Xmx2g ran out of heap; a 100 MiB row
     * needed ~512 MiB. Above it, the leader would run out of heap, and so would every leader after it.
     */
    static long eventMemoryLimit(long maxHeap) {
        return Math.max(0, (maxHeap - (128L << 20)) / 2);
    }

    /** Why the session must end for good, or null: a failure that retrying cannot mend. */
    private static String haltReason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof Halt h) {
                return h.getMessage();
            }
            if (c instanceof EventOverMemoryException) {
                return c.getMessage() + "; the syncer stopped and does not retry: a leader needs about twice an "
                        + "event's size of heap, plus 128 MiB (this node's maximum heap is "
                        + Runtime.getRuntime().maxMemory() + " bytes). Give the nodes more (-Xmx in KINGBUS_JAVA_OPTS), "
                        + "then stop and start the syncer";
            }
            if (c instanceof io.kingbus.raft.EventTooLargeException e) {
                return e.getMessage() + "; the syncer stopped and does not retry (make the primary's transaction "
                        + "smaller or skip it, then stop and start the syncer)";
            }
        }
        return null;
    }

    /** True once the session ended on an error that retrying cannot mend (status stays "error"). */
    boolean halted() {
        return halted;
    }

    private static boolean isTransient(Throwable t) {
        if (t instanceof SyncerException se) {
            if (se.kind() == SyncerException.Kind.LISTENER) {
                return true; // our side (a proposal failed, leadership moved): retry soon
            }
            return se.isTransient();
        }
        if (t instanceof ProposalRejectedException) {
            return false;
        }
        return true;
    }

    private void noteError(Throwable failure, Duration delay) {
        String text = describe(failure);
        boolean changed = !text.equals(lastError);
        lastError = text;
        lastErrorMillis = System.currentTimeMillis();
        retryAtMillis = lastErrorMillis + delay.toMillis();
        state = State.ERROR;
        if (changed) {
            log.warn("syncer: {}; retrying in {} ms", text, delay.toMillis());
        } else {
            log.info("syncer: the same error again; retrying in {} ms", delay.toMillis());
        }
    }

    static String describe(Throwable t) {
        if (t instanceof SyncerException se) {
            Throwable cause = se.getCause();
            if (se.kind() == SyncerException.Kind.LISTENER && cause != null) {
                return describe(cause);
            }
            return se.kind() + ": " + se.getMessage();
        }
        if (t instanceof NotLeaderException) {
            return "leadership moved: " + t.getMessage();
        }
        if (t instanceof ProposalRejectedException) {
            return "the store refused the primary's events (does mysql_addr still point at the primary this store "
                    + "was filled from?): " + t.getMessage();
        }
        return t == null ? "unknown error" : t.getMessage() == null ? t.toString() : t.getMessage();
    }

    private void sleep(Duration d) {
        long until = System.currentTimeMillis() + d.toMillis();
        synchronized (sleeper) {
            while (!stopping) {
                long left = until - System.currentTimeMillis();
                if (left <= 0) {
                    return;
                }
                try {
                    sleeper.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // ------------------------------------------------------------------ the missing tail of the last file

    private boolean tailMissing(ReceivedEvent first) {
        if (first.event().type() != EventType.ROTATE || !first.isArtificial()) {
            return false;
        }
        BinlogFileInfo last = store.lastFile();
        String next = first.file();
        if (last == null || next == null || next.isEmpty() || last.name().equals(next)) {
            return false;
        }
        for (BinlogFileInfo f : store.files()) {
            if (f.name().equals(next)) {
                return false;
            }
        }
        return !(last.name() + ":" + last.endPosition()).equals(tailChecked);
    }

    /**
     * Fetches what the primary has in {@code tail.file} after the stored end (its final ROTATE or STOP) with a
     * file:pos dump and proposes it, before the GTID dump goes on in the next file.
     */
    private void fetchTail(TailMissing tail) {
        String key = tail.file + ":" + tail.position;
        log.info("syncer: the GTID dump starts at {}, but the stored {} ends at {} without a rotation: fetching the "
                + "rest of {} by file:pos", tail.next, tail.file, tail.position, tail.file);
        List<byte[]> events = new ArrayList<>();
        boolean[] done = new boolean[1];
        BinlogDumpClient[] holder = new BinlogDumpClient[1];
        BinlogListener listener = e -> {
            if (done[0] || e.isHeartbeat()) {
                return;
            }
            if (!tail.file.equals(e.file())) {
                done[0] = true;
                holder[0].close();
                return;
            }
            if (e.isArtificial()) {
                return;
            }
            events.add(e.event().bytes());
            if (e.event().type() == EventType.ROTATE) {
                done[0] = true;
                holder[0].close();
            }
        };
        BinlogDumpClient c = new BinlogDumpClient(base().filePosition(tail.file, tail.position).nonBlocking(true)
                .build(), listener);
        holder[0] = c;
        client = c;
        if (stopping) {
            return;
        }
        counters.connectAttempts.incrementAndGet();
        try {
            c.start().get(options.readTimeout().toMillis() * 2 + 30_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SyncerException se && se.kind() == SyncerException.Kind.SERVER_ERROR) {
                // e.g. 1236: the file is purged on the primary; nothing can be done, go on without it
                log.warn("syncer: cannot fetch the end of {} from the primary ({}); the stored {} ends at {} and "
                        + "the store goes on with {}", tail.file, se.getMessage(), tail.file, tail.position, tail.next);
                tailChecked = key;
                return;
            }
            throw cause instanceof RuntimeException re ? re : new CompletionException(cause);
        } catch (TimeoutException e) {
            c.close();
            throw new SyncerException(SyncerException.Kind.TIMEOUT, "fetching the end of " + tail.file + " timed out");
        } catch (InterruptedException e) {
            c.close();
            Thread.currentThread().interrupt();
            return;
        }
        if (stopping) {
            return;
        }
        long end = tail.position;
        if (!events.isEmpty()) {
            for (byte[] e : events) {
                end += e.length;
            }
            try {
                raft.proposeEvents(tail.file, events).get(60, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new CompletionException(e.getCause());
            } catch (TimeoutException e) {
                throw new SyncerException(SyncerException.Kind.TIMEOUT, "the end of " + tail.file
                        + " was not committed in time");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        log.info("syncer: stored the end of {} ({} events, {} bytes, up to {})", tail.file, events.size(),
                end - tail.position, end);
        tailChecked = tail.file + ":" + end;
    }

    // ------------------------------------------------------------------ status

    State state() {
        return state;
    }

    PrimaryInfo primary() {
        return primary;
    }

    String lastError() {
        return lastError;
    }

    long lastErrorMillis() {
        return lastErrorMillis;
    }

    long retryInMillis() {
        return state == State.ERROR ? Math.max(0, retryAtMillis - System.currentTimeMillis()) : 0;
    }

    String currentGtid() {
        ReceivedEvent e = lastGtidEvent;
        if (e == null) {
            return "";
        }
        try {
            return GtidEvent.decode(e.event(), e.checksum()).gtid().toString();
        } catch (RuntimeException malformed) {
            return ""; // the store decides about malformed events
        }
    }

    DumpStatus dumpStatus() {
        BinlogDumpClient c = client;
        return c == null ? null : c.status();
    }

    /** Bytes received from the primary and not yet committed (in the dump queue, batched or proposed). */
    long pendingBytes() {
        Pipeline p = pipeline;
        BinlogDumpClient c = client;
        long queued = c == null ? 0 : c.status().queuedBytes();
        return queued + (p == null ? 0 : p.uncommittedBytes());
    }

    /** The primary's header timestamp (seconds) of the last event committed, 0 if none yet. */
    long lastCommittedTimestamp() {
        Pipeline p = pipeline;
        return p == null ? 0 : p.lastCommittedTimestamp;
    }

    // ------------------------------------------------------------------ batching and proposing

    /** Receives one dump session's events; batches and proposes them. */
    private final class Pipeline implements BinlogListener {
        private final ReconnectBackoff transientBackoff;
        private final ReconnectBackoff errorBackoff;
        private final Object lock = new Object();
        private final Semaphore window = new Semaphore(options.maxOutstanding());
        private final AtomicLong inFlightBytes = new AtomicLong();
        private final Thread flusher;
        volatile BinlogDumpClient client;
        volatile Throwable failure;
        volatile long lastCommittedTimestamp;
        private boolean first = true;
        private boolean streamed;
        private boolean finished;

        // the open batch, guarded by lock
        private List<byte[]> events = new ArrayList<>();
        private String file;
        private long bytes;
        private long startedNanos;
        private String ackFile;
        private long ackPosition;
        private long lastTimestamp;

        Pipeline(ReconnectBackoff transientBackoff, ReconnectBackoff errorBackoff) {
            this.transientBackoff = transientBackoff;
            this.errorBackoff = errorBackoff;
            this.flusher = new Thread(this::lingerLoop, "kingbus-syncer-flush");
            this.flusher.setDaemon(true);
            this.flusher.start();
        }

        @Override
        public void onConnected(PrimaryInfo info) {
            primary = info;
            state = State.RUNNING;
            transientBackoff.sessionStarted();
            log.info("syncer: connected to {} ({}, server_uuid {}, server_id {}, {} login{}{}); resuming after {}",
                    address, info.serverVersion(), info.serverUuid(), info.serverId(), info.authPlugin(),
                    info.tls() ? ", TLS" : "", info.semiSync() ? ", semi-sync" : "", shortSet(store.executedGtids()));
        }

        @Override
        public void onEvent(ReceivedEvent e) throws Exception {
            Throwable f = failure;
            if (f != null) {
                throw f instanceof Exception ex ? ex : new CompletionException(f);
            }
            if (e.isHeartbeat()) {
                return;
            }
            if (first) {
                first = false;
                if (tailMissing(e)) {
                    BinlogFileInfo last = store.lastFile();
                    throw new TailMissing(last.name(), last.endPosition(), e.file());
                }
            }
            if (!streamed && !e.isArtificial()) {
                streamed = true;
                state = State.RUNNING;
                errorBackoff.reset();
            }
            if (e.event().type() == EventType.GTID) {
                lastGtidEvent = e; // decoded when the status asks (not once per transaction here)
            }
            byte[] raw = e.event().bytes();
            int maxEvent = raft.maxEventBytes();
            if (raw.length > maxEvent) { // an event over a raft entry goes in parts; this is past MySQL's own limit
                throw new Halt("the " + e.event().typeName() + " event of " + raw.length + " bytes at "
                        + e.file() + ":" + (e.endPosition() - raw.length) + " (transaction " + currentGtid()
                        + ") exceeds the largest binlog event kingbus replicates (" + maxEvent + " bytes); the "
                        + "syncer stopped and does not retry: the primary's transaction must be made smaller (or "
                        + "skipped) before the syncer is stopped and started again");
            }
            synchronized (lock) {
                if (events.isEmpty()) {
                    file = e.file();
                    startedNanos = System.nanoTime();
                    lock.notifyAll(); // the flusher times the linger from here
                }
                events.add(raw);
                bytes += raw.length;
                if (!e.isArtificial() && e.event().timestamp() != 0) {
                    lastTimestamp = e.event().timestamp();
                }
                if (e.ackRequested()) {
                    ackFile = e.file();
                    ackPosition = e.endPosition();
                }
                if (bytes >= options.batchBytes() || e.ackRequested()) {
                    flushLocked();
                }
            }
        }

        /** Proposes the linger-aged batch while the dump thread waits for the next event. */
        private void lingerLoop() {
            long linger = options.linger().toNanos();
            synchronized (lock) {
                while (!finished) {
                    try {
                        if (events.isEmpty()) {
                            lock.wait();
                            continue;
                        }
                        long left = startedNanos + linger - System.nanoTime();
                        if (left > 0) {
                            TimeUnit.NANOSECONDS.timedWait(lock, left);
                            continue;
                        }
                        flushLocked();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        /** Submits the open batch in order; waits for a window slot (the dump waits with it). Holds lock. */
        private void flushLocked() {
            if (events.isEmpty()) {
                return;
            }
            List<byte[]> batch = events;
            String batchFile = file;
            long batchBytes = bytes;
            String ack = ackFile;
            long ackPos = ackPosition;
            long timestamp = lastTimestamp;
            events = new ArrayList<>();
            bytes = 0;
            ackFile = null;
            if (failure != null || stopping) {
                return;
            }
            String low = disk.shortage(batchBytes);
            if (low != null) {
                diskShortBatch = batchBytes;
                abort(new DiskLow(low)); // nothing proposed past here: the next session refetches from the store
                return;
            }
            try {
                while (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    if (failure != null || stopping) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                abort(e);
                return;
            }
            inFlightBytes.addAndGet(batchBytes);
            CompletableFuture<Long> f;
            try {
                f = raft.proposeEvents(batchFile, batch);
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            counters.proposals.incrementAndGet();
            f.whenComplete((index, t) -> {
                inFlightBytes.addAndGet(-batchBytes);
                window.release();
                if (t != null) {
                    abort(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t);
                    return;
                }
                counters.eventsCommitted.addAndGet(batch.size());
                counters.bytesCommitted.addAndGet(batchBytes);
                if (timestamp != 0) {
                    lastCommittedTimestamp = timestamp;
                }
                if (ack != null) {
                    BinlogDumpClient c = client;
                    if (c != null) {
                        c.ack(ack, ackPos); // durable on a majority now
                    }
                }
            });
        }

        /** Ends the session: the first failure wins; nothing more is proposed. */
        void abort(Throwable t) {
            if (t != null && failure == null) {
                synchronized (this) {
                    if (failure == null) {
                        failure = t;
                    }
                }
            }
            BinlogDumpClient c = client;
            if (c != null) {
                c.close();
            }
        }

        /** After the dump ended: drops the open batch, waits for the outstanding proposals to settle. */
        void finish() {
            synchronized (lock) {
                finished = true;
                events = new ArrayList<>();
                bytes = 0;
                lock.notifyAll();
            }
            flusher.interrupt();
            int all = options.maxOutstanding();
            try {
                if (window.tryAcquire(all, 120, TimeUnit.SECONDS)) {
                    window.release(all);
                } else {
                    log.warn("syncer: proposals still uncommitted after 120 s; resuming from the store anyway");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long uncommittedBytes() {
            long open;
            synchronized (lock) {
                open = bytes;
            }
            return open + inFlightBytes.get();
        }
    }

    static String shortSet(GtidSet s) {
        String text = s.toString();
        return text.isEmpty() ? "(nothing)" : text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
}

package io.kingbus.node;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.kingbus.admin.Envelope;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.gtid.GtidSet;
import io.kingbus.raft.Member;
import io.kingbus.raft.NotLeaderException;
import io.kingbus.raft.ProposalRejectedException;
import io.kingbus.raft.RaftNode;
import io.kingbus.raft.RaftNodeStatus;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * TEST ONLY: lets tests and benchmarks propose binlog events into a running node process, standing in for the
 * syncer. Mounted by {@link KingbusNode} only when the JVM runs with {@code -Dkingbus.test-routes=true}; production
 * nodes never expose it.
 *
 * <pre>
 * POST /internal/test/propose?file=NAME[&amp;entryBytes=N][&amp;window=W][&amp;latencies=true]
 *      body: whole binlog events, concatenated (each framed by the event_size of its own header)
 *      200 {"index": raft index of the last entry, once committed and applied here, "entries", "events", "bytes",
 *           "elapsedMicros", "commitMicros": {"p50", "p99", "max"}, "latenciesMicros": [...] (latencies=true)}
 *      400 malformed body or parameters (nothing after the malformed event is proposed)
 *      409 the store refused the events (they do not continue the stored stream); another proposal is running
 *      413 an event larger than the largest binlog event (1 GiB; one over a raft entry goes in parts)
 *      421 this node is a follower (the message names the leader); 503 no leader, or the leader is not ready
 *      504 not committed in time
 * GET  /internal/test/store[?waitFor=GTID_SET[&amp;timeoutMs=N]]
 *      {"executed", "lastFile", "lastEnd", "files": [{"name", "end"}], "role", "commitIndex", "appliedIndex"}: this
 *      node's store as applied now; with waitFor, once the executed set contains GTID_SET or after timeoutMs (default
 *      30,000), whichever is first (the caller compares); 400 a malformed GTID set or timeout
 * </pre>
 *
 * Without {@code entryBytes} the whole body is read and handed to {@link RaftNode#proposeEvents} in one call (the
 * raft node splits it into entries of its configured size). With {@code entryBytes} the body is streamed: events
 * are grouped into proposals of at most that many bytes (an event bigger goes alone), submitted in order with at
 * most {@code window} outstanding, and each group's commit latency is measured. Proposals are serialised: one
 * request proposes at a time, so the groups of concurrent requests never interleave.
 */
public final class TestProposalRoutes {
    /** The system property that mounts these routes. */
    public static final String PROPERTY = "kingbus.test-routes";

    private static final Logger log = LoggerFactory.getLogger(TestProposalRoutes.class);
    private static final int DEFAULT_WINDOW = 64;
    private static final long COMMIT_TIMEOUT_MS = 120_000;
    private static final ReentrantLock PROPOSING = new ReentrantLock(true);

    private TestProposalRoutes() {
    }

    /** True when the JVM runs with {@code -Dkingbus.test-routes=true}. */
    public static boolean enabled() {
        return Boolean.getBoolean(PROPERTY);
    }

    public static void register(Javalin app, RaftNode raft) {
        log.warn("TEST ROUTES ENABLED (-D{}=true): POST /internal/test/propose accepts binlog events from anyone; "
                + "never run a production node like this", PROPERTY);
        app.post("/internal/test/propose", ctx -> propose(ctx, raft));
        app.get("/internal/test/store", ctx -> store(ctx, raft));
    }

    // ------------------------------------------------------------------ GET /internal/test/store

    private static void store(Context ctx, RaftNode raft) {
        BinlogStore store = raft.store();
        String waitFor = ctx.queryParam("waitFor");
        if (waitFor != null) {
            try {
                awaitExecuted(store, gtidSet(waitFor), intParam(ctx, "timeoutMs", 30_000, 0, 600_000));
            } catch (Failure f) {
                Envelope.fail(ctx, f.status, f.getMessage());
                return;
            }
        }
        ObjectNode data = Envelope.object();
        data.put("executed", store.executedGtids().toString());
        BinlogFileInfo last = store.lastFile();
        data.put("lastFile", last == null ? null : last.name());
        data.put("lastEnd", last == null ? 0 : last.endPosition());
        ArrayNode files = data.putArray("files");
        for (BinlogFileInfo f : store.files()) {
            files.addObject().put("name", f.name()).put("end", f.endPosition());
        }
        RaftNodeStatus s = raft.status();
        data.put("role", s.role());
        data.put("commitIndex", s.commitIndex());
        data.put("appliedIndex", s.appliedIndex());
        Envelope.ok(ctx, data);
    }

    private static GtidSet gtidSet(String text) throws Failure {
        try {
            return GtidSet.parse(text);
        } catch (IllegalArgumentException e) {
            throw new Failure(400, "waitFor is not a GTID set: " + oneLine(e.getMessage()));
        }
    }

    /**
     * Returns once the store's executed set contains {@code want} or after {@code timeoutMs}: woken by the store's
     * commit listener, so a benchmark learns the moment the store has a backlog without polling the node (polls
     * every 5 ms through the HTTP server were ~4% of the nodes' CPU in the syncer bench).
     */
    private static void awaitExecuted(BinlogStore store, GtidSet want, long timeoutMs) {
        Thread waiter = Thread.currentThread();
        Runnable wake = () -> LockSupport.unpark(waiter);
        store.addCommitListener(wake);
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            long left;
            while (!store.executedGtids().containsAll(want) && (left = deadline - System.nanoTime()) > 0) {
                LockSupport.parkNanos(left); // every batch the store publishes (catch-up too) unparks it
            }
        } finally {
            store.removeCommitListener(wake);
        }
    }

    // ------------------------------------------------------------------ POST /internal/test/propose

    /** A failure with its HTTP status; the message is the envelope's reason. */
    private static final class Failure extends Exception {
        final int status;

        Failure(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }
    }

    private static void propose(Context ctx, RaftNode raft) {
        try {
            String file = ctx.queryParam("file");
            if (file != null && (file.isEmpty() || file.getBytes(StandardCharsets.UTF_8).length > 4096)) {
                throw new Failure(400, "file must be a binlog file name (1..4096 bytes)");
            }
            int entryBytes = intParam(ctx, "entryBytes", 0, 1, raft.config().maxLargeEntryBytes());
            int window = intParam(ctx, "window", DEFAULT_WINDOW, 1, 100_000);
            boolean latencies = Boolean.parseBoolean(ctx.queryParam("latencies"));
            checkLeader(raft);
            if (!PROPOSING.tryLock(60, TimeUnit.SECONDS)) {
                throw new Failure(409, "another test proposal has been running for 60 s");
            }
            try {
                ObjectNode data = entryBytes == 0 ? proposeWhole(ctx, raft, file)
                        : proposeStreamed(ctx, raft, file, entryBytes, window, latencies);
                Envelope.ok(ctx, data);
            } finally {
                PROPOSING.unlock();
            }
        } catch (Failure f) {
            Envelope.fail(ctx, f.status, f.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Envelope.fail(ctx, 503, "interrupted");
        }
    }

    private static int intParam(Context ctx, String name, int dflt, int min, int max) throws Failure {
        String text = ctx.queryParam(name);
        if (text == null || text.isEmpty()) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(text);
            if (v < min || v > max) {
                throw new Failure(400, name + " must be in " + min + ".." + max + ", not " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new Failure(400, name + " '" + oneLine(text) + "' is not a number");
        }
    }

    /** 421 on a follower that knows the leader, 503 without a leader or while the new leader is not ready. */
    private static void checkLeader(RaftNode raft) throws Failure {
        if (raft.isLeaderReady()) {
            return;
        }
        if (raft.isLeader()) {
            throw new Failure(503, "this node was just elected leader and is not ready to take proposals yet");
        }
        throw notLeader(raft.leader(), null);
    }

    private static Failure notLeader(Member leader, String detail) {
        if (leader == null) {
            return new Failure(503, "no leader: the raft group has no leader now" + (detail == null ? "" : " ("
                    + detail + ")"));
        }
        return new Failure(421, "not the leader: the leader is " + leader.name()
                + (leader.adminUrl() == null ? "" : " (" + leader.adminUrl() + ")"));
    }

    /** The whole body, one {@link RaftNode#proposeEvents} call. */
    private static ObjectNode proposeWhole(Context ctx, RaftNode raft, String file) throws Failure {
        long cap = Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4);
        List<byte[]> events = new ArrayList<>();
        long bytes = 0;
        try (InputStream in = new BufferedInputStream(ctx.req().getInputStream(), 64 << 10)) {
            for (byte[] e; (e = nextEvent(in, bytes, raft)) != null; ) {
                bytes += e.length;
                if (bytes > cap) {
                    throw new Failure(413, "request body too large for one proposal: over " + cap
                            + " bytes (use entryBytes to stream it)");
                }
                events.add(e);
            }
        } catch (IOException e) {
            throw new Failure(400, "cannot read the request body: " + oneLine(e.getMessage()));
        }
        if (events.isEmpty()) {
            throw new Failure(400, "the body holds no events");
        }
        long t0 = System.nanoTime();
        long index = await(raft.proposeEvents(file, events), raft);
        long micros = (System.nanoTime() - t0) / 1000;
        ObjectNode data = Envelope.object();
        data.put("index", index);
        data.put("entries", 1);
        data.put("events", events.size());
        data.put("bytes", bytes);
        data.put("elapsedMicros", micros);
        return data;
    }

    /** Streams the body into groups of at most {@code entryBytes}, at most {@code window} outstanding. */
    private static ObjectNode proposeStreamed(Context ctx, RaftNode raft, String file, int entryBytes, int window,
                                              boolean withLatencies) throws Failure, InterruptedException {
        Semaphore outstanding = new Semaphore(window);
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        Latencies latencies = new Latencies();
        long t0 = System.nanoTime();
        long events = 0;
        long bytes = 0;
        Failure malformed = null;
        String groupFile = file;
        String tracker = file;
        List<byte[]> group = new ArrayList<>();
        long groupBytes = 0;
        try (InputStream in = new BufferedInputStream(ctx.req().getInputStream(), 64 << 10)) {
            while (firstFailure.get() == null) {
                byte[] e;
                try {
                    e = nextEvent(in, bytes, raft);
                } catch (Failure f) {
                    malformed = f;
                    break;
                }
                if (e == null) {
                    break;
                }
                if (!group.isEmpty() && groupBytes + e.length + 4 > entryBytes) {
                    submit(raft, groupFile, group, outstanding, firstFailure, futures, latencies);
                    group = new ArrayList<>();
                    groupBytes = 0;
                }
                if (group.isEmpty()) {
                    groupFile = tracker;
                }
                group.add(e);
                groupBytes += e.length + 4;
                events++;
                bytes += e.length;
                tracker = fileAfter(e, tracker);
            }
        } catch (IOException e) {
            malformed = new Failure(400, "cannot read the request body: " + oneLine(e.getMessage()));
        }
        if (!group.isEmpty() && firstFailure.get() == null && malformed == null) {
            submit(raft, groupFile, group, outstanding, firstFailure, futures, latencies);
        }
        long index = -1;
        int committed = 0;
        Failure failure = null;
        for (CompletableFuture<Long> f : futures) {
            try {
                index = await(f, raft);
                committed++;
            } catch (Failure x) {
                if (failure == null) {
                    failure = x;
                }
            }
        }
        long micros = (System.nanoTime() - t0) / 1000;
        if (failure != null) {
            throw new Failure(failure.status, failure.getMessage() + " (" + committed + " of " + futures.size()
                    + " proposals committed before, up to index " + index + ")");
        }
        if (malformed != null) {
            throw new Failure(malformed.status, malformed.getMessage() + (futures.isEmpty() ? "; nothing was proposed"
                    : "; the " + futures.size() + " proposals before it were committed, up to index " + index));
        }
        if (futures.isEmpty()) {
            throw new Failure(400, "the body holds no events");
        }
        long[] inOrder = latencies.values();
        long[] sorted = inOrder.clone();
        Arrays.sort(sorted);
        ObjectNode data = Envelope.object();
        data.put("index", index);
        data.put("entries", futures.size());
        data.put("events", events);
        data.put("bytes", bytes);
        data.put("elapsedMicros", micros);
        ObjectNode commit = data.putObject("commitMicros");
        commit.put("p50", percentile(sorted, 0.50));
        commit.put("p99", percentile(sorted, 0.99));
        commit.put("max", sorted.length == 0 ? 0 : sorted[sorted.length - 1]);
        if (withLatencies) {
            ArrayNode all = data.putArray("latenciesMicros");
            for (long l : inOrder) {
                all.add(l);
            }
        }
        return data;
    }

    private static void submit(RaftNode raft, String file, List<byte[]> group, Semaphore outstanding,
                               AtomicReference<Throwable> firstFailure, List<CompletableFuture<Long>> futures,
                               Latencies latencies) throws InterruptedException, Failure {
        if (!outstanding.tryAcquire(COMMIT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            throw new Failure(504, "no proposal committed for " + COMMIT_TIMEOUT_MS + " ms");
        }
        long start = System.nanoTime();
        CompletableFuture<Long> f;
        try {
            f = raft.proposeEvents(file, group);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((index, t) -> {
            long micros = (System.nanoTime() - start) / 1000;
            outstanding.release();
            if (t != null) {
                firstFailure.compareAndSet(null, t);
            }
            latencies.add(micros);
        });
        futures.add(f);
    }

    /** Commit latencies in completion order. */
    private static final class Latencies {
        private long[] values = new long[1024];
        private int size;

        synchronized void add(long micros) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = micros;
        }

        synchronized long[] values() {
            return Arrays.copyOf(values, size);
        }
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Waits for a proposal and maps its failure to a status. */
    private static long await(CompletableFuture<Long> f, RaftNode raft) throws Failure {
        try {
            return f.get(COMMIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new Failure(504, "not committed within " + COMMIT_TIMEOUT_MS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(503, "interrupted while waiting for the commit");
        } catch (ExecutionException | CompletionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
                c = c.getCause();
            }
            if (c instanceof NotLeaderException n) {
                throw notLeader(n.leader() == null ? raft.leader() : n.leader(), oneLine(n.getMessage()));
            }
            if (c instanceof ProposalRejectedException r) {
                throw new Failure(409, "rejected by the store: " + oneLine(r.getMessage()));
            }
            if (c instanceof IllegalArgumentException) {
                throw new Failure(413, oneLine(c.getMessage()));
            }
            if (c instanceof IOException) {
                throw new Failure(503, "not committed: " + oneLine(c.getMessage()));
            }
            throw new Failure(500, "proposal failed: " + c.getClass().getSimpleName() + ": " + oneLine(c.getMessage()));
        }
    }

    /**
     * The next whole event of the body, or null at its end. A header whose event_size is impossible, or a body that
     * ends inside an event, is a 400 naming the byte offset; an event larger than {@link RaftNode#maxEventBytes()}
     * is a 413 (refused before its bytes are buffered).
     */
    private static byte[] nextEvent(InputStream in, long offset, RaftNode raft) throws IOException, Failure {
        byte[] header = in.readNBytes(BinlogEvent.HEADER_LENGTH);
        if (header.length == 0) {
            return null;
        }
        if (header.length < BinlogEvent.HEADER_LENGTH) {
            throw new Failure(400, "malformed body: " + header.length + " bytes at offset " + offset
                    + " are not a whole " + BinlogEvent.HEADER_LENGTH + "-byte event header");
        }
        long size = (header[BinlogEvent.LENGTH_OFFSET] & 0xffL)
                | (header[BinlogEvent.LENGTH_OFFSET + 1] & 0xffL) << 8
                | (header[BinlogEvent.LENGTH_OFFSET + 2] & 0xffL) << 16
                | (header[BinlogEvent.LENGTH_OFFSET + 3] & 0xffL) << 24;
        if (size < BinlogEvent.HEADER_LENGTH) {
            throw new Failure(400, "malformed body: the event at offset " + offset + " declares " + size
                    + " bytes, less than its " + BinlogEvent.HEADER_LENGTH + "-byte header");
        }
        long max = raft.maxEventBytes();
        if (size > max) {
            throw new Failure(413, "the event at offset " + offset + " declares " + size + " bytes; the largest "
                    + "binlog event kingbus replicates has " + max + " bytes");
        }
        byte[] event = new byte[(int) size];
        System.arraycopy(header, 0, event, 0, header.length);
        int n = in.readNBytes(event, header.length, event.length - header.length);
        if (n < event.length - header.length) {
            throw new Failure(400, "malformed body: the event at offset " + offset + " declares " + size
                    + " bytes but the body ends after " + (header.length + n));
        }
        return event;
    }

    /** The file the events after {@code raw} belong to: a ROTATE (real or fake) names it. */
    private static String fileAfter(byte[] raw, String current) {
        if ((raw[BinlogEvent.TYPE_OFFSET] & 0xff) != EventType.ROTATE) {
            return current;
        }
        try {
            BinlogEvent event = BinlogEvent.of(raw);
            ChecksumType cs = event.checksumMatches(ChecksumType.CRC32) ? ChecksumType.CRC32 : ChecksumType.OFF;
            String next = RotateEvent.decode(event, cs).nextFile();
            return next == null || next.isEmpty() ? current : next;
        } catch (RuntimeException malformed) {
            return current; // the store refuses it deterministically
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").strip();
    }
}

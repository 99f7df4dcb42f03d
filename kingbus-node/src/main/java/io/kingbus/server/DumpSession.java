package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.Bytes;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.HeartbeatEvent;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.FormatDescription;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.EofPacket;
import io.kingbus.protocol.ErrPacket;
import io.kingbus.protocol.ErrorCodes;
import io.kingbus.store.BinlogChunkReader;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogReader;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreCorruptionException;
import io.kingbus.store.StoreException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID stream, sent the way MySQL 5.7/8.0's Binlog_sender sends it (verified
 * event for event against real 5.7.22 and 8.0.15 primaries):
 * <ul>
 * <li>a fake ROTATE naming the file (checksummed as the client's {@code @master_binlog_checksum} says), then the file's
 * FORMAT_DESCRIPTION with the in-use flag cleared; a file:pos dump starting mid-file zeroes its log_pos and created
 * time, a GTID dump that skips the first file's first transaction zeroes its created time;</li>
 * <li>the stored events; a GTID dump skips the transactions the replica has (MySQL's skip_event) and, for each skipped
 * event, sends a heartbeat with its end position once {@code @master_heartbeat_period} has passed since the last
 * packet (with no period: after every skipped event), else before the next event it sends, and at the end of what is
 * readable;</li>
 * <li>a fake ROTATE before every following file, whether or not the previous file ended with a real ROTATE;</li>
 * <li>heartbeats (v1, or v2 when the dump flags ask) after {@code @master_heartbeat_period} of silence, always naming
 * the current file and position;</li>
 * <li>an EOF at the end for non-blocking dumps (flag or server_id 0); errors as MySQL's 1236 texts. A client that never
 * set {@code @master_binlog_checksum} (which MySQL refuses) gets the events without their CRC32 and a
 * FORMAT_DESCRIPTION announcing NONE.</li>
 * </ul>
 *
 * <p>Threads: the session never blocks a Netty event loop or waits in a thread of its own. Its work runs as a task on
 * the server's small dump executor, scheduled when there is something to do (a commit in the store, the socket
 * becoming writable again, a heartbeat due) and at most once at a time per session. A task writes while the channel
 * is writable and for at most {@link #BUDGET_BYTES}, then yields, so one fast client never starves the others and a
 * slow one holds at most its socket buffer (the channel's high water mark, {@code writeBufferHigh}) plus one event of
 * up to {@link #CHUNK} bytes, one read buffer and one batch being gathered; a dump waiting for commits holds no buffer
 * at all.
 *
 * <p>Serving path: the store's committed bytes are read as they are, many events per positional read
 * ({@link BinlogChunkReader}, up to {@link #CHUNK} bytes into one pooled direct buffer), and framed from there without
 * an object per event: small events are copied once into the outgoing batch, larger ones (from
 * {@link Framing#SLICE_THRESHOLD}) are sent as slices of the read buffer, and an event larger than the read buffer
 * goes from its file (a {@code DefaultFileRegion}: sendfile, no copy in the JVM, so 100 clients reading a 20 MiB event
 * do not hold 100 copies of it; the server's size estimator counts regions for writability). Checksums are not
 * re-verified on the way out, as MySQL's dump thread does not (the store verified them on append; the replica checks
 * them); event framing is checked. Only what must differ from the stored bytes is rewritten: the FORMAT_DESCRIPTION,
 * events sent without their CRC32 to a checksum-unaware client, and the fake ROTATEs and heartbeats. A GTID dump looks
 * at GTID events in place and decodes events only inside transactions the replica already has; with a heartbeat period
 * (what MySQL replicas have) it does not even read those: it seeks over runs of them by the store's transaction index
 * ({@link BinlogChunkReader#containedRun}), so a replica that has most of a file costs the reads of what it lacks.
 */
final class DumpSession {
    private static final Logger log = LoggerFactory.getLogger(DumpSession.class);
    /** Bytes one task run may queue before it yields to other sessions. */
    static final int BUDGET_BYTES = 4 << 20;
    /** Largest read from the store: whole events of up to this many bytes per positional read. */
    static final int CHUNK = 128 * 1024;
    /** Smallest read buffer taken for what is committed (a tailing dump reads little at a time). */
    private static final int MIN_READ = 16 * 1024;
    /** Transactions the replica lacks that one index scan looks through for the next run it has. */
    static final int SCAN_LIMIT = 4096;
    private static final int IDLE = 0;
    private static final int SCHEDULED = 1;
    private static final int RESCHEDULE = 2;

    /** What the client asked for. */
    record Request(boolean gtid, String file, long position, GtidSet have, int flags, long replicaServerId,
                   boolean nonBlocking, boolean heartbeatV2, long heartbeatPeriodNanos,
                   ChecksumType clientChecksum, String replicaUuid) {
    }

    private final BinlogServer server;
    private final ServerConnection connection;
    private final Channel channel;
    private final Request request;
    private final Framing framing;
    private final long sinceMillis = System.currentTimeMillis();
    private final AtomicInteger state = new AtomicInteger(IDLE);

    // Owned by the task (one run at a time).
    private BinlogChunkReader chunks;
    /** Reused read buffer for runs of small events (never sliced); null while caught up. */
    private ByteBuf readBuffer;
    /** The buffer the next events come from: readBuffer or a large event's own buffer. */
    private ByteBuf current;
    private int currentOffset;
    private int currentEnd;
    /** The file of the events in {@link #current} and the position of the one at {@link #currentOffset}. */
    private String chunkFile;
    private long chunkPosition;
    /** MySQL's skip_event in a GTID dump: transactions the replica has (null in a file:pos dump). */
    private GtidSkip skip;
    /** The end of skipped events not yet announced by a heartbeat (MySQL's exclude_group_end_pos), or -1. */
    private long pendingSkipEnd = -1;
    /**
     * Skipping by the store's transaction index (a GTID dump with a heartbeat period): the next run of transactions
     * the replica has in {@link #runFile}, {@code [runStart, runEnd)}, is sought over instead of read; reads stop at
     * runStart. runStart == runEnd: no run starts before runStart (plan again there). runFile null: plan again.
     */
    private boolean indexSkip;
    private String runFile;
    private long runStart;
    private long runEnd;
    /** The file {@link #containedLeft} counts for: transactions the replica has there not yet passed, -1 unknown. */
    private String countFile;
    private long containedLeft;
    /** An event too large for the read buffer, to be sent from its file: its header (19 bytes), start and length. */
    private byte[] largeHead;
    private long largeStart;
    private long largeLength;
    /** The large event above belongs to a transaction the replica has: skipped, not sent. */
    private boolean largeSkipped;
    /** Store bytes read, as last added to the server's total. */
    private long readReported;
    private boolean lastEventSkipped;
    private boolean started;
    private boolean finished;
    private boolean clearCreated;
    private ChecksumType eventChecksum;
    private boolean strip;
    private String sentFile;
    private long lastSentNanos = System.nanoTime();
    /** Packets were queued since {@link #lastSentNanos} was last taken (taken once per read, not per event). */
    private boolean sentSinceStamp;
    private String file;
    private long position;
    private long lastEventTimestamp;
    private long eventsSent;
    private long bytesSent;

    // Read by status and the heartbeat tick: the task's own fields above, published once per run (a volatile write
    // per event is what a dump of small events spent much of its time on).
    private volatile String shownFile;
    private volatile long shownPosition;
    private volatile long shownTimestamp;
    private volatile long shownEvents;
    private volatile long shownBytes;
    private volatile boolean caughtUp;
    private volatile long lastWriteNanos = System.nanoTime();
    private volatile boolean heartbeatDue;
    private volatile String killMessage;
    private volatile boolean closeRequested;
    private ScheduledFuture<?> heartbeatTimer;

    DumpSession(BinlogServer server, ServerConnection connection, Channel channel, Request request, int firstSequenceId) {
        this.server = server;
        this.connection = connection;
        this.channel = channel;
        this.request = request;
        this.framing = new Framing(firstSequenceId);
        this.file = request.file();
        this.position = request.position();
        publish();
    }

    Request request() {
        return request;
    }

    ServerConnection connection() {
        return connection;
    }

    long sinceMillis() {
        return sinceMillis;
    }

    String file() {
        return shownFile;
    }

    long position() {
        return shownPosition;
    }

    long lastEventTimestamp() {
        return shownTimestamp;
    }

    boolean caughtUp() {
        return caughtUp;
    }

    long eventsSent() {
        return shownEvents;
    }

    long bytesSent() {
        return shownBytes;
    }

    /** Makes the task's progress visible to status and the heartbeat tick. */
    private void publish() {
        if (sentSinceStamp) {
            stampSent();
        }
        shownFile = file;
        shownPosition = position;
        shownTimestamp = lastEventTimestamp;
        shownEvents = eventsSent;
        shownBytes = bytesSent;
        if (chunks != null) {
            long read = chunks.bytesRead();
            server.addStoreBytesRead(read - readReported);
            readReported = read;
        }
    }

    private void stampSent() {
        sentSinceStamp = false;
        lastSentNanos = System.nanoTime();
        lastWriteNanos = lastSentNanos;
    }

    /** Starts the stream (on the dump executor). */
    void begin() {
        long period = request.heartbeatPeriodNanos();
        if (period > 0 && !request.nonBlocking()) {
            long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(10), period / 4);
            heartbeatTimer = channel.eventLoop().scheduleAtFixedRate(this::heartbeatTick, tick, tick,
                    TimeUnit.NANOSECONDS);
        }
        wake();
    }

    /** Something may be ready (a commit, writability, a heartbeat, a kill): run the task unless it runs already. */
    void wake() {
        while (true) {
            int s = state.get();
            if (s == IDLE) {
                if (state.compareAndSet(IDLE, SCHEDULED)) {
                    try {
                        server.dumpExecutor().execute(this::run);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        state.set(IDLE); // the server is stopping; its stop() closes the session
                    }
                    return;
                }
            } else if (s == SCHEDULED) {
                if (state.compareAndSet(SCHEDULED, RESCHEDULE)) {
                    return;
                }
            } else {
                return;
            }
        }
    }

    /** Called after every store commit: only sessions waiting at the end of the binlog need waking. */
    void onCommit() {
        if (caughtUp) {
            wake();
        }
    }

    /** Ends this session because a newer dump from the same replica arrived (MySQL's zombie dump thread). */
    void kill(String message) {
        killMessage = message;
        wake();
    }

    /** The connection is gone or the server stops: release the reader from the task. */
    void close() {
        closeRequested = true;
        ScheduledFuture<?> t = heartbeatTimer;
        if (t != null) {
            t.cancel(false);
        }
        wake();
    }

    /** After the dump executor has stopped (server stop): release the reader from the calling thread. */
    void forceRelease() {
        closeRequested = true;
        if (!finished) {
            release();
        }
    }

    private void heartbeatTick() {
        if (caughtUp && System.nanoTime() - lastWriteNanos >= request.heartbeatPeriodNanos() * 9 / 10) {
            heartbeatDue = true;
            wake();
        }
    }

    private void run() {
        do {
            state.set(SCHEDULED);
            try {
                step();
            } catch (RuntimeException | Error e) {
                log.warn("binlog dump to {} failed: {}", connection.describe(), e.toString(), e);
                fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, "internal error in the kingbus binlog server: "
                        + e.getClass().getSimpleName());
            }
        } while (!state.compareAndSet(SCHEDULED, IDLE));
    }

    // ------------------------------------------------------------------ the task

    private void step() {
        if (finished) {
            return;
        }
        if (closeRequested || !channel.isActive()) {
            release();
            return;
        }
        String kill = killMessage;
        if (kill != null) {
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, withRange(kill));
            return;
        }
        if (!started) {
            started = true;
            if (!open()) {
                return;
            }
        }
        long budget = BUDGET_BYTES;
        boolean wrote = false;
        while (channel.isWritable() && budget > 0) {
            if (currentOffset >= currentEnd) {
                if (sentSinceStamp) {
                    stampSent();
                }
                caughtUp = true; // before reading: a commit published after the read then wakes us (onCommit)
                try {
                    long soughtTo = seekPastContained();
                    if (soughtTo >= 0) {
                        caughtUp = false;
                        wrote = true;
                        budget -= 64;
                        budget -= skipped(soughtTo);
                        continue;
                    }
                    if (fill() == 0) {
                        break;
                    }
                } catch (StoreCorruptionException ex) {
                    log.warn("binlog dump to {}: {}", connection.describe(), ex.getMessage());
                    fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, withRange(MySqlFlavor.BOGUS_DATA));
                    return;
                } catch (StoreException ex) {
                    fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, withRange(MySqlFlavor.BINLOG_NOT_OPEN));
                    return;
                } catch (IOException ex) {
                    log.warn("binlog dump to {}: {}", connection.describe(), ex.toString());
                    fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, withRange("I/O error reading log event"));
                    return;
                }
                caughtUp = false;
                if (largeLength > 0 && largeSkipped) {
                    wrote = true;
                    budget -= skipLarge();
                    continue;
                }
                if (largeLength > 0) {
                    wrote = true;
                    try {
                        budget -= sendLarge();
                    } catch (IOException ex) {
                        log.warn("binlog dump to {}: {}", connection.describe(), ex.toString());
                        fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, withRange("I/O error reading log event"));
                        return;
                    }
                    continue;
                }
            }
            wrote = true;
            ByteBuf buf = current;
            int at = currentOffset;
            int length = buf.getIntLE(at + BinlogEvent.LENGTH_OFFSET); // checked by the chunk reader
            long end = chunkPosition + length;
            currentOffset += length;
            chunkPosition = end;
            if (!chunkFile.equals(sentFile)) {
                // a new file: MySQL sends a fake ROTATE before every file, even after the previous file's real
                // ROTATE; what was skipped at the end of the previous file is not announced
                pendingSkipEnd = -1;
                lastEventSkipped = false;
                budget -= sendFakeRotate(chunkFile, 4);
            }
            if (skip != null && skip.skips(buf, at, length)) {
                budget -= Math.max(64, length / 8); // reading costs too, but less than sending
                budget -= skipped(end);
                continue;
            }
            lastEventSkipped = false;
            if (pendingSkipEnd >= 0) {
                budget -= heartbeat(pendingSkipEnd); // the replica's position moves past the skipped events
                pendingSkipEnd = -1;
            }
            budget -= send(buf, at, length, end);
        }
        if (caughtUp) {
            releaseBuffers(); // a dump waiting for commits holds no read buffer
        }
        if (caughtUp) {
            if (lastEventSkipped) {
                // everything readable is sent; the last events were skipped: say where we are (MySQL does it at
                // the end of the active file before waiting)
                lastEventSkipped = false;
                pendingSkipEnd = -1;
                heartbeat(readerPosition());
                wrote = true;
            }
            if (request.nonBlocking()) {
                framing.writeRaw(channel, new EofPacket(0, 0x0002).encode());
                finish(true);
                return;
            }
            if (heartbeatDue) {
                heartbeatDue = false;
                if (sentSinceStamp) {
                    stampSent();
                }
                if (System.nanoTime() - lastSentNanos >= request.heartbeatPeriodNanos() * 9 / 10) {
                    heartbeat(readerPosition());
                    wrote = true;
                }
            }
        }
        if (wrote) {
            framing.flushBatch(channel);
            channel.flush();
        }
        publish();
        if (!caughtUp && channel.isWritable()) {
            wake(); // budget used up: yield to the other sessions, then go on
        }
    }

    /**
     * Events the replica has were skipped up to {@code end} (MySQL's skip_event): a heartbeat there once
     * {@code @master_heartbeat_period} has passed since the last packet (with no period: after every skipped event),
     * else the position is announced before the next event sent. Returns the bytes queued.
     */
    private long skipped(long end) {
        lastEventSkipped = true;
        file = chunkFile;
        position = end;
        if (sentSinceStamp) {
            stampSent();
        }
        if (System.nanoTime() - lastSentNanos >= request.heartbeatPeriodNanos()) {
            pendingSkipEnd = -1;
            return heartbeat(end); // keep the replica's position (and connection) moving
        }
        pendingSkipEnd = end;
        return 0;
    }

    /**
     * With index skipping: when the reader stands at the start of a run of transactions the replica has, moves it to
     * the run's end without reading and returns that end; else -1. A run never holds events between transactions
     * (the index has transactions only) nor a file's first events, so what is sought over is exactly what
     * {@link GtidSkip} would skip, but for the heartbeats: this path is taken only with a heartbeat period, where
     * MySQL sends one per period while skipping, not per skipped event.
     */
    private long seekPastContained() throws IOException {
        if (!indexSkip || chunks.advance() == 0) {
            return -1;
        }
        String f = chunks.file();
        long p = chunks.position();
        if (!f.equals(runFile) || p > runStart || runStart == runEnd && p == runStart) {
            if (!f.equals(countFile)) {
                countFile = f;
                containedLeft = containedIn(f);
            }
            // all the transactions it has here passed (the common case once the replica's prefix is sought over):
            // no index scan through the rest, which the replica lacks
            long[] run = containedLeft == 0 ? new long[] {Long.MAX_VALUE, Long.MAX_VALUE, 0}
                    : chunks.containedRun(skip.have(), SCAN_LIMIT);
            runFile = f;
            runStart = run[0];
            runEnd = run[1];
            if (containedLeft > 0) {
                containedLeft = Math.max(0, containedLeft - run[2]);
            }
        }
        if (p != runStart || runEnd <= runStart || !f.equals(sentFile)) {
            return -1;
        }
        chunks.seek(runEnd);
        runFile = null;
        chunkFile = f;
        chunkPosition = runEnd;
        return runEnd;
    }

    /**
     * How many of the file's transactions the replica has, from the PREVIOUS_GTIDS of the file and of the next one
     * (the store's executed set for the last file, as of now); -1 when not known.
     */
    private long containedIn(String name) {
        List<BinlogFileInfo> files = server.store().files();
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i).name().equals(name)) {
                GtidSet after = i + 1 < files.size() ? files.get(i + 1).previousGtids()
                        : server.store().executedGtids();
                return after.subtract(files.get(i).previousGtids()).intersection(skip.have()).count();
            }
        }
        return -1;
    }

    /**
     * Sends the event too large for the read buffer that {@link #fill} left in {@link #largeHead}: its header from
     * memory, its body straight from the file (sendfile): no buffer of its size per client. Returns the bytes queued.
     */
    private long sendLarge() throws IOException {
        long length = largeLength;
        long start = largeStart;
        byte[] head = largeHead;
        largeLength = 0;
        largeHead = null;
        long end = start + length;
        long queued = 0;
        if (!chunkFile.equals(sentFile)) {
            pendingSkipEnd = -1;
            lastEventSkipped = false;
            queued += sendFakeRotate(chunkFile, 4);
        }
        // GtidSkip answered false for it from its type (judgeUnread), or would have without changing its state
        // (fromFile)
        lastEventSkipped = false;
        if (pendingSkipEnd >= 0) {
            queued += heartbeat(pendingSkipEnd);
            pendingSkipEnd = -1;
        }
        long bodyEnd = end;
        if (strip) {
            bodyEnd -= 4; // without its CRC32, and its header says so
            Bytes.putU32(head, BinlogEvent.LENGTH_OFFSET, length - 4);
        }
        long n = framing.writeFromFile(channel, 0, head, chunks::openFile, start + head.length,
                bodyEnd - start - head.length);
        sent(n);
        queued += n;
        long timestamp = Bytes.u32(head, 0);
        if (timestamp != 0) {
            lastEventTimestamp = timestamp;
        }
        file = chunkFile;
        position = end;
        chunkPosition = end;
        return queued;
    }

    /**
     * Skips the event too large for the read buffer that {@link #fill} found inside a transaction the replica has,
     * as the read path skips one (the reader has moved past it unread). Returns the bytes queued.
     */
    private long skipLarge() {
        long end = largeStart + largeLength;
        largeLength = 0;
        largeHead = null;
        largeSkipped = false;
        long queued = 0;
        if (!chunkFile.equals(sentFile)) {
            pendingSkipEnd = -1; // never in practice: a file starts with its FORMAT_DESCRIPTION
            lastEventSkipped = false;
            queued += sendFakeRotate(chunkFile, 4);
        }
        chunkPosition = end;
        return queued + skipped(end);
    }

    /** Where the reader is in the file last announced to the client (after skipped events too). */
    private long readerPosition() {
        if (chunks != null && sentFile != null && sentFile.equals(chunkFile)) {
            return chunkPosition;
        }
        return position;
    }

    /**
     * Reads the next committed events into {@link #current}: runs of small events into the reused read buffer, an
     * event of {@link Framing#SLICE_THRESHOLD} bytes or more into a buffer of its own (its slices then keep only it
     * alive while queued, so what a slow client holds is what the channel's write accounting sees). Returns the bytes
     * read, 0 when nothing more is committed.
     */
    private int fill() throws IOException {
        if (current != null && current != readBuffer) {
            current.release(); // a large event's buffer: its queued slices keep it until sent
        }
        current = null;
        currentOffset = 0;
        currentEnd = 0;
        long available = chunks.advance();
        chunkFile = chunks.file();
        chunkPosition = chunks.position();
        if (available == 0) {
            return 0;
        }
        int size = (int) Math.min(CHUNK, Math.max(available, MIN_READ));
        if (readBuffer != null && (readBuffer.refCnt() > 1 || readBuffer.capacity() < size)) {
            readBuffer.release(); // too small, or (never by design) still sliced by queued writes
            readBuffer = null;
        }
        if (readBuffer == null) {
            readBuffer = channel.alloc().directBuffer(size);
        }
        int aloneFrom = Framing.SLICE_THRESHOLD - 1; // a payload (status byte + event) that Framing slices
        ByteBuf into = readBuffer;
        int window = into.capacity();
        if (indexSkip && chunkFile.equals(runFile) && runStart > chunkPosition) {
            window = (int) Math.min(window, runStart - chunkPosition); // stop at the run: it is sought over, not read
        }
        int n = chunks.read(into.internalNioBuffer(0, window), aloneFrom);
        int judged = n < 0 && -n > into.capacity() ? judgeUnread(into, -n) : 0;
        if (judged > 0) {
            largeStart = chunks.position();
            largeLength = -n;
            largeSkipped = true;
            chunks.skipTooLarge();
            chunkFile = chunks.file();
            chunkPosition = largeStart;
            return -n;
        }
        if (n < 0 && -n > into.capacity() && (judged < 0 || fromFile(into))) {
            largeHead = new byte[BinlogEvent.HEADER_LENGTH];
            into.getBytes(0, largeHead);
            largeStart = chunks.position();
            largeLength = -n;
            chunks.skipTooLarge();
            chunkFile = chunks.file();
            chunkPosition = largeStart;
            return -n;
        }
        if (n < 0) {
            into = channel.alloc().directBuffer(-n);
            try {
                n = chunks.read(into.internalNioBuffer(0, into.capacity()), aloneFrom);
            } catch (IOException | RuntimeException e) {
                into.release();
                throw e;
            }
            if (n <= 0) {
                into.release();
                throw new StoreCorruptionException("the event at " + chunks.file() + ":" + chunks.position()
                        + " changed size between two reads", null);
            }
        }
        into.setIndex(0, n);
        current = into;
        currentEnd = n;
        chunkFile = chunks.file();
        chunkPosition = chunks.position() - n;
        return n;
    }

    /**
     * True when the event too large for the read buffer, whose header is at the start of {@code head}, may be sent
     * from its file: not a FORMAT_DESCRIPTION (rewritten on the way out), and not one whose body the GTID skip must
     * decode (inside a transaction the replica has, which index skipping normally seeks over; events
     * {@link #judgeUnread} can judge by type are not asked about here).
     */
    private boolean fromFile(ByteBuf head) {
        int type = head.getUnsignedByte(BinlogEvent.TYPE_OFFSET);
        return type != EventType.FORMAT_DESCRIPTION && (skip == null || !skip.wantsBody(type));
    }

    /**
     * Whether the event too large for the read buffer, whose header is at the start of {@code head}, belongs to a
     * transaction the replica has, when its type says so without its body (a large ROWS or QUERY event is never BEGIN,
     * COMMIT or XID): skipped without being read, so a GTID dump without index skipping (no heartbeat period) holds
     * no buffer of its size. Returns 1 to skip it, -1 to send it from its file (the GTID skip has seen it: it must
     * not be read and shown again), 0 when the GTID skip needs its body or does not care.
     */
    private int judgeUnread(ByteBuf head, long length) {
        int type = head.getUnsignedByte(BinlogEvent.TYPE_OFFSET);
        if (skip == null || !skip.wantsBody(type) || !GtidSkip.judgedByType(type, length)) {
            return 0;
        }
        return skip.skipsOpaque(type) ? 1 : -1;
    }

    private void releaseBuffers() {
        if (current != null && current != readBuffer) {
            current.release();
        }
        current = null;
        currentOffset = 0;
        currentEnd = 0;
        if (readBuffer != null) {
            readBuffer.release();
            readBuffer = null;
        }
    }

    /** Opens the reader and sends the first fake ROTATE (and FORMAT_DESCRIPTION); false (after an ERR) on failure. */
    private boolean open() {
        BinlogStore store = server.store();
        List<BinlogFileInfo> files = store.files();
        eventChecksum = request.clientChecksum() == null ? ChecksumType.OFF : request.clientChecksum();
        if (files.isEmpty()) {
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.BINLOG_NOT_OPEN);
            return false;
        }
        try {
            if (request.gtid()) {
                return openGtid(store, files);
            }
            return openPosition(store, files, request.file().isEmpty() ? files.get(0).name() : request.file(),
                    request.position());
        } catch (StoreCorruptionException e) {
            log.warn("binlog dump to {}: {}", connection.describe(), e.getMessage());
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.CRC_FAILURE);
            return false;
        } catch (StoreException e) {
            log.info("binlog dump to {}: {}", connection.describe(), e.getMessage());
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.NO_FIRST_LOG);
            return false;
        } catch (IOException e) {
            log.warn("binlog dump to {}: {}", connection.describe(), e.toString());
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, "I/O error reading log event");
            return false;
        }
    }

    private boolean openGtid(BinlogStore store, List<BinlogFileInfo> files) throws IOException {
        GtidSet have = request.have();
        skip = have.isEmpty() ? null : new GtidSkip(have.copy()); // an empty set skips nothing: no GTID lookups
        // with no heartbeat period MySQL sends a heartbeat after every skipped event: those need every event read
        indexSkip = skip != null && request.heartbeatPeriodNanos() > 0;
        if (!request.file().isEmpty()) {
            // MySQL honours a file name in a GTID dump: start there, still skipping what the replica has
            return openPosition(store, files, request.file(), request.position());
        }
        MySqlFlavor flavor = server.flavor();
        GtidSet executed = store.executedGtids();
        // MySQL checks its own server_uuid; kingbus stands in for the primaries whose GTIDs it stores
        for (java.util.UUID sid : have.sids()) {
            if (executed.sids().contains(sid)) {
                GtidSet replicaPart = GtidSet.empty();
                for (GtidSet.Interval i : have.intervals(sid)) {
                    replicaPart.addInterval(sid, i.start(), i.endInclusive());
                }
                if (!executed.containsAll(replicaPart)) {
                    log.info("binlog dump to {}: the replica has GTIDs the store lacks: {}", connection.describe(),
                            replicaPart.subtract(executed));
                    fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, flavor.slaveHasMoreGtids());
                    return false;
                }
            }
        }
        GtidSet purged = store.purgedGtids();
        if (!have.containsAll(purged)) {
            log.info("binlog dump to {}: the replica lacks purged GTIDs {}", connection.describe(),
                    purged.subtract(have));
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, flavor.purgedRequiredGtids());
            return false;
        }
        String startFile;
        try (BinlogReader probe = store.openReader(have)) { // the latest file whose PREVIOUS_GTIDS ⊆ have
            startFile = probe.file();
            chunks = store.openReader(startFile, 4).toChunkReader(); // opened before the probe unpins the file
        } catch (io.kingbus.store.PurgedException e) {
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, flavor.purgedRequiredGtids());
            return false;
        }
        for (BinlogFileInfo f : files) {
            if (f.name().equals(startFile)) {
                // skipping at least the first transaction of the file: the FORMAT_DESCRIPTION's created is cleared
                clearCreated = f.firstGtid() != null && have.contains(f.firstGtid());
            }
        }
        sendFakeRotate(startFile, 4);
        return true;
    }

    private boolean openPosition(BinlogStore store, List<BinlogFileInfo> files, String name, long pos)
            throws IOException {
        if (!checkPosition(files, name, pos)) {
            return false;
        }
        if (pos <= 4) {
            chunks = store.openReader(name, 4).toChunkReader();
            sendFakeRotate(name, 4);
            return true;
        }
        // the FORMAT_DESCRIPTION comes first (log_pos and created zeroed), then the events from pos
        BinlogEvent fde;
        try (BinlogReader head = store.openReader(name, 4)) {
            PositionedEvent first = head.poll();
            if (first == null || first.event().type() != EventType.FORMAT_DESCRIPTION) {
                fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.NO_FORMAT_DESCRIPTION);
                return false;
            }
            fde = first.event();
        }
        if (skip != null) {
            skip.formatDescription(fde); // the checksum the skipped transactions are read with
        }
        try {
            chunks = store.openReader(name, pos).toChunkReader();
        } catch (StoreException e) {
            if (e instanceof StoreCorruptionException) {
                throw e;
            }
            // not an event boundary: MySQL reads garbage there and fails
            sendFakeRotate(name, pos);
            sendFormatDescription(fde, !request.gtid());
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.BOGUS_DATA + "; the first event '"
                    + name + "' at " + pos + ", the last event read from '" + name + "' at 4, the last byte read"
                    + " from '" + name + "' at " + (4 + fde.length()) + ".");
            return false;
        }
        sendFakeRotate(name, pos);
        sendFormatDescription(fde, !request.gtid());
        return true;
    }

    /** MySQL's check_start_file: the file must be stored, the position inside it. */
    private boolean checkPosition(List<BinlogFileInfo> files, String name, long pos) {
        BinlogFileInfo info = null;
        for (BinlogFileInfo f : files) {
            if (f.name().equals(name)) {
                info = f;
            }
        }
        if (info == null) {
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.NO_FIRST_LOG);
            return false;
        }
        if (pos < 4) {
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.POSITION_BELOW_4);
            return false;
        }
        if (pos > info.endPosition()) {
            fail(ErrorCodes.ER_MASTER_FATAL_ERROR_READING_BINLOG, MySqlFlavor.POSITION_PAST_END);
            return false;
        }
        return true;
    }

    /** Sends one stored event, {@code buf[at, at + length)}, ending at {@code end}; returns the bytes queued. */
    private long send(ByteBuf buf, int at, int length, long end) {
        long queued;
        if (buf.getUnsignedByte(at + BinlogEvent.TYPE_OFFSET) == EventType.FORMAT_DESCRIPTION) {
            // GTID dumps clear "created" when they skip the file's first transaction; file:pos dumps only clear
            // log_pos and created in the FORMAT_DESCRIPTION sent before a mid-file start (sent in openPosition)
            queued = sendFormatDescription(event(buf, at, length), false);
        } else {
            queued = framing.write(channel, 0, buf, at, length, strip);
            sent(queued);
        }
        long timestamp = buf.getUnsignedIntLE(at);
        if (timestamp != 0) {
            lastEventTimestamp = timestamp;
        }
        file = chunkFile;
        position = end;
        return queued;
    }

    static BinlogEvent event(ByteBuf buf, int at, int length) {
        byte[] b = new byte[length];
        buf.getBytes(at, b);
        return BinlogEvent.of(b);
    }

    /**
     * The FORMAT_DESCRIPTION as MySQL sends it: in-use flag cleared; in a GTID dump that skips the first
     * transaction of its first file, "created" zeroed; before a mid-file start of a file:pos dump
     * ({@code midFile}), log_pos and created zeroed; for a checksum-unaware client, NONE announced.
     */
    private long sendFormatDescription(BinlogEvent fde, boolean midFile) {
        byte[] b = fde.bytes().clone();
        b[BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
        ChecksumType declared = FormatDescription.checksumOf(fde);
        ChecksumType trailer = FormatDescription.trailerChecksumOf(fde);
        boolean updated = false;
        if (request.gtid() && request.file().isEmpty()) {
            if (clearCreated) {
                Bytes.putU32(b, BinlogEvent.HEADER_LENGTH + 2 + 50, 0);
                updated = true;
            }
        } else if (midFile) {
            Bytes.putU32(b, BinlogEvent.LOG_POS_OFFSET, 0);
            Bytes.putU32(b, BinlogEvent.HEADER_LENGTH + 2 + 50, 0);
            updated = true;
        }
        strip = request.clientChecksum() == null && declared == ChecksumType.CRC32;
        if (strip) {
            b[b.length - 5] = (byte) ChecksumType.OFF.code(); // the client cannot handle checksums: announce NONE
            updated = true;
        }
        if (trailer == ChecksumType.CRC32 && (updated || Bytes.u32(b, b.length - 4)
                != BinlogEvent.crc32(b, 0, b.length - 4))) {
            Bytes.putU32(b, b.length - 4, BinlogEvent.crc32(b, 0, b.length - 4));
        }
        eventChecksum = strip ? ChecksumType.OFF : declared;
        long n = framing.write(channel, 0, b);
        sent(n);
        return n;
    }

    private long sendFakeRotate(String name, long pos) {
        BinlogEvent rotate = RotateEvent.fake(server.config().serverId(), name, pos, eventChecksum);
        long n = framing.write(channel, 0, rotate.bytes());
        sent(n);
        sentFile = name;
        file = name;
        position = pos;
        return n;
    }

    /** A heartbeat naming the current file (never empty) and {@code pos}; returns the bytes queued. */
    private long heartbeat(long pos) {
        String name = sentFile != null ? sentFile : request.file();
        BinlogEvent hb;
        if (request.heartbeatV2()) {
            hb = HeartbeatEvent.buildV2(server.config().serverId(), name, pos, eventChecksum);
        } else {
            hb = HeartbeatEvent.buildV1(server.config().serverId(), name, pos, eventChecksum);
        }
        long n = framing.write(channel, 0, hb.bytes());
        lastSentNanos = System.nanoTime();
        lastWriteNanos = lastSentNanos;
        position = pos;
        return n;
    }

    private void sent(long bytes) {
        bytesSent += bytes;
        eventsSent++;
        sentSinceStamp = true;
    }

    // ------------------------------------------------------------------ ending

    private String withRange(String message) {
        String f = file == null || file.isEmpty() ? request.file() : file;
        return message + "; the first event '" + request.file() + "' at " + request.position()
                + ", the last event read from '" + f + "' at " + position + ", the last byte read from '" + f
                + "' at " + position + ".";
    }

    /** Sends ERR (after any events already queued) and ends the dump; MySQL then closes the connection. */
    private void fail(int code, String message) {
        if (finished) {
            return;
        }
        if (channel.isActive()) {
            framing.writeRaw(channel, new ErrPacket(code, ErrorCodes.STATE_GENERAL, message).encode());
        }
        finish(false);
    }

    private void finish(boolean clean) {
        finished = true;
        boolean active = channel.isActive();
        if (active) {
            framing.flushBatch(channel);
        }
        release();
        if (active) {
            channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        if (!clean) {
            log.debug("binlog dump to {} ended with an error", connection.describe());
        }
    }

    private void release() {
        finished = true;
        publish();
        framing.discard();
        ScheduledFuture<?> t = heartbeatTimer;
        if (t != null) {
            t.cancel(false);
        }
        releaseBuffers();
        if (chunks != null) {
            try {
                chunks.close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing a binlog reader: {}", e.toString());
            }
            chunks = null;
        }
        server.unregisterDump(this);
    }

}

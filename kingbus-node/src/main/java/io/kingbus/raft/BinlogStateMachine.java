package io.kingbus.raft;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kingbus.store.AppendResult;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreConflictException;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The replicated state machine: applies committed {@link RaftCommand}s to the {@link BinlogStore} in log order.
 *
 * <ul>
 *   <li>EVENTS → {@code store.append(file, events, raftIndex)}: idempotent by binlog position, so a replay after a
 *       restart or a stale proposal from a deposed leader is a no-op on every node. A non-continuing event is
 *       refused deterministically by the store ({@link StoreConflictException}): logged, the rest of the entry is
 *       skipped, identically everywhere. Any other failure (I/O) halts the node through the fatal handler: the
 *       apply future is never completed exceptionally, since Ratis would then skip the entry on this node only.</li>
 *   <li>EVENT_PART → {@code store.appendPart(...)}: one part of an event too big for an entry, written to the file
 *       at once; the event becomes visible with its last part. Idempotent by position like EVENTS. The snapshot
 *       rule below keeps every part of an unfinished event in the log: they all follow the entry that completed
 *       the last stored transaction.</li>
 *   <li>PUBLISH_MEMBER → the member metadata (peer id → admin URL) GET /cluster shows.</li>
 *   <li>SYNCER_START / SYNCER_STOP → the cluster's syncer configuration ({@link #syncerConfig()}): running or
 *       stopped, with the last arguments. Kept in snapshot markers, so it survives restarts and log purges. The
 *       leader's syncer follows it ({@link #setSyncerListener}).</li>
 * </ul>
 *
 * <p>Snapshots are cheap markers (see {@link #takeSnapshot()}); a follower that lacks purged entries copies the
 * binlog files it lacks from the leader's {@link CatchUpRoutes} (notify-mode install, see
 * {@link #notifyInstallSnapshotFromLeader}).
 */
public class BinlogStateMachine extends BaseStateMachine {
    private static final Logger log = LoggerFactory.getLogger(BinlogStateMachine.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reply status byte of an applied entry (first byte of the reply message). */
    public static final byte REPLY_OK = 0;
    public static final byte REPLY_CONFLICT = 1;
    public static final byte REPLY_SKIPPED = 2;

    /** Callbacks on Ratis threads: implementations must not block. */
    public interface Listener {
        default void leaderChanged(RaftPeerId leader) {
        }

        default void leaderReady() {
        }

        default void notLeader() {
        }

        default void configurationChanged() {
        }

        default void serverShutdown() {
        }
    }

    /** What /internal/snapshot reports: the latest marker, and the member metadata as applied now. */
    public record SnapshotView(long term, long index, Map<String, String> members) {
    }

    /**
     * The replicated syncer configuration: whether the cluster's syncer should run, the last arguments it was started
     * with (null before the first SYNCER_START), and the raft index of the command that set it (-1: none applied).
     */
    public record SyncerConfig(boolean running, RaftCommand.SyncerStart args, long index) {
        public static final SyncerConfig NONE = new SyncerConfig(false, null, -1);

        @Override
        public String toString() {
            return (running ? "running " : "stopped ") + (args == null ? "(no arguments)" : args.toString())
                    + " @" + index;
        }
    }

    /** The syncer configuration as kept in a marker (the password too: the marker is the log's stand-in). */
    record MarkerSyncer(boolean running, long index, Long syncerId, String syncerUuid, String mysqlAddr,
                        String mysqlUser, String mysqlPassword, Boolean semiSync) {
        static MarkerSyncer of(SyncerConfig c) {
            RaftCommand.SyncerStart a = c.args();
            return a == null ? new MarkerSyncer(c.running(), c.index(), null, null, null, null, null, null)
                    : new MarkerSyncer(c.running(), c.index(), a.syncerId(), a.syncerUuid(), a.mysqlAddr(),
                    a.mysqlUser(), a.mysqlPassword(), a.semiSync());
        }

        SyncerConfig config() {
            RaftCommand.SyncerStart a = syncerUuid == null || mysqlAddr == null || mysqlUser == null ? null
                    : new RaftCommand.SyncerStart(syncerId == null ? 0 : syncerId, syncerUuid, mysqlAddr, mysqlUser,
                    mysqlPassword, semiSync != null && semiSync);
            return new SyncerConfig(running && a != null, a, index);
        }

        @Override
        public String toString() {
            return config().toString();
        }
    }

    /** The marker file's content ({@code syncer} is null in markers written before the syncer existed). */
    record Marker(long term, long index, long storeRecoveryTag, Map<String, String> members, String written,
                  MarkerSyncer syncer) {
    }

    private final BinlogStore store;
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final ConcurrentHashMap<String, String> adminUrls = new ConcurrentHashMap<>();
    /** index → term, one entry per term change among applied entries: the term of any applied index. */
    private final NavigableMap<Long, Long> termStarts = new ConcurrentSkipListMap<>();
    private final AtomicLong entriesApplied = new AtomicLong();
    private final AtomicLong eventsApplied = new AtomicLong();
    private final AtomicLong bytesApplied = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicLong snapshotsTaken = new AtomicLong();
    private final AtomicLong catchUps = new AtomicLong();
    private final CatchUpClient catchUp;
    private final ExecutorService catchUpExecutor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kingbus-catchup");
        t.setDaemon(true);
        return t;
    });
    private volatile Consumer<Throwable> fatalHandler;
    private volatile Listener listener = new Listener() {
    };
    private volatile SyncerConfig syncerConfig = SyncerConfig.NONE;
    private volatile Consumer<SyncerConfig> syncerListener = c -> {
    };
    /** Resolves the admin URL of the leader from what Ratis knows of it (peer id, address); null when unknown. */
    private volatile Function<RaftProtos.RaftPeerProto, String> leaderAdminUrl = p -> null;
    private volatile boolean failed;
    private volatile boolean closing;
    /** Catch-up attempts that failed in a row (backoff, and fewer log lines while a source stays down). */
    private int catchUpFailures;

    /**
     * @param store        the binlog store this node replicates into (owned by the caller)
     * @param fatalHandler called once, on its own thread, when an entry cannot be applied for a reason other than
     *                     a deterministic store conflict; it must stop the node (the default halts the JVM)
     */
    public BinlogStateMachine(BinlogStore store, Consumer<Throwable> fatalHandler) {
        this.store = store;
        this.fatalHandler = fatalHandler == null ? BinlogStateMachine::halt : fatalHandler;
        this.catchUp = new CatchUpClient(store);
    }

    public BinlogStateMachine(BinlogStore store) {
        this(store, null);
    }

    private static void halt(Throwable cause) {
        log.error("halting the process: the binlog store failed ({})", String.valueOf(cause));
        Runtime.getRuntime().halt(70);
    }

    public void setListener(Listener listener) {
        this.listener = listener;
    }

    public void setFatalHandler(Consumer<Throwable> handler) {
        this.fatalHandler = handler;
    }

    /** How {@link #notifyInstallSnapshotFromLeader} finds the leader's admin URL when the metadata lacks it. */
    public void setLeaderAdminUrlResolver(Function<RaftProtos.RaftPeerProto, String> resolver) {
        this.leaderAdminUrl = resolver;
    }

    public BinlogStore store() {
        return store;
    }

    /** The cluster's syncer configuration as applied on this node. */
    public SyncerConfig syncerConfig() {
        return syncerConfig;
    }

    /**
     * Called on the apply thread (it must not block) after a SYNCER_START or SYNCER_STOP was applied, and after a
     * marker was loaded, with the configuration now in force.
     */
    public void setSyncerListener(Consumer<SyncerConfig> listener) {
        this.syncerListener = listener == null ? c -> {
        } : listener;
    }

    private void syncerChanged(SyncerConfig c) {
        syncerConfig = c;
        try {
            syncerListener.accept(c);
        } catch (RuntimeException e) {
            log.warn("syncer listener failed: {}", e.toString());
        }
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        getLifeCycle().startAndTransition(this::loadLatestMarker);
    }

    @Override
    public void reinitialize() throws IOException {
        loadLatestMarker();
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SnapshotInfo getLatestSnapshot() {
        return storage.getLatestSnapshot();
    }

    /** Marks the node as closing: store failures from now on are expected and no longer fatal. */
    void closing() {
        closing = true;
    }

    @Override
    public void close() throws IOException {
        closing = true;
        catchUpExecutor.shutdownNow();
        super.close();
    }

    private void loadLatestMarker() throws IOException {
        SingleFileSnapshotInfo latest = storage.loadLatestSnapshot();
        if (latest == null) {
            return;
        }
        TermIndex ti = latest.getTermIndex();
        Map<String, String> members = Map.of();
        SyncerConfig syncer = null;
        Path file = latest.getFile().getPath();
        try {
            Marker m = JSON.readValue(file.toFile(), Marker.class);
            if (m.members() != null) {
                members = m.members();
            }
            if (m.syncer() != null) {
                syncer = m.syncer().config();
            }
        } catch (IOException e) {
            log.warn("snapshot marker {} is unreadable ({}); member admin URLs are re-published by the members",
                    file, e.getMessage());
        }
        if (syncer != null) {
            log.info("syncer configuration from the snapshot marker: {}", syncer);
            syncerChanged(syncer);
        }
        adminUrls.clear();
        adminUrls.putAll(members);
        termStarts.clear();
        termStarts.put(ti.getIndex(), ti.getTerm());
        setLastAppliedTermIndex(ti);
        log.info("state machine at snapshot marker index {} (term {}); {} member admin URLs known",
                ti.getIndex(), ti.getTerm(), members.size());
    }

    // ------------------------------------------------------------------ apply

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        long term = entry.getTerm();
        if (failed) {
            return new CompletableFuture<>(); // halting: never complete, never skip
        }
        Message reply;
        try {
            RaftCommand command = RaftCommand.decode(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
            reply = apply(command, index);
        } catch (RaftCommandFormatException e) {
            log.warn("raft entry {} skipped: {}", index, e.getMessage());
            reply = reply(REPLY_SKIPPED, e.getMessage());
        } catch (StoreConflictException e) {
            conflicts.incrementAndGet();
            log.warn("raft entry {}: the store refused an event, the rest of the entry is skipped: {}", index,
                    e.getMessage());
            reply = reply(REPLY_CONFLICT, e.getMessage());
        } catch (RuntimeException | Error e) {
            return fail(index, e);
        }
        entriesApplied.incrementAndGet();
        noteTerm(term, index);
        updateLastAppliedTermIndex(term, index);
        return CompletableFuture.completedFuture(reply);
    }

    private Message apply(RaftCommand command, long index) {
        if (command instanceof RaftCommand.Events e) {
            AppendResult r = store.append(e.file(), e.events(), index);
            eventsApplied.addAndGet(e.events().size());
            bytesApplied.addAndGet(e.eventBytes());
            return reply(REPLY_OK, "appended " + r.appended() + ", skipped " + r.skipped());
        }
        if (command instanceof RaftCommand.EventPart part) {
            AppendResult r = store.appendPart(part.file(), part.header(), part.offset(), part.data(), index);
            if (part.last()) {
                eventsApplied.incrementAndGet();
            }
            bytesApplied.addAndGet(part.dataLength());
            return reply(REPLY_OK, "appended " + r.appended() + ", skipped " + r.skipped());
        }
        if (command instanceof RaftCommand.PublishMember p) {
            String before = adminUrls.put(p.peerId(), p.adminUrl());
            if (!p.adminUrl().equals(before)) {
                log.info("member {} published admin URL {}", p.peerId(), p.adminUrl());
            }
            return reply(REPLY_OK, "published");
        }
        if (command instanceof RaftCommand.SyncerStart start) {
            SyncerConfig c = new SyncerConfig(true, start, index);
            log.info("raft entry {}: syncer configuration: {}", index, c);
            syncerChanged(c);
            return reply(REPLY_OK, "syncer started");
        }
        if (command instanceof RaftCommand.SyncerStop) {
            SyncerConfig c = new SyncerConfig(false, syncerConfig.args(), index);
            log.info("raft entry {}: syncer configuration: {}", index, c);
            syncerChanged(c);
            return reply(REPLY_OK, "syncer stopped");
        }
        throw new RaftCommandFormatException("command kind " + command.kind() + " is not applied by this version");
    }

    private CompletableFuture<Message> fail(long index, Throwable cause) {
        if (closing) {
            log.info("raft entry {} not applied: the node is shutting down ({})", index, cause.toString());
            failed = true;
            return new CompletableFuture<>();
        }
        failed = true;
        log.error("raft entry {} could not be applied to the binlog store: {}; stopping this node (skipping the "
                + "entry here would make this store diverge)", index, cause.toString());
        Consumer<Throwable> handler = fatalHandler;
        Thread t = new Thread(() -> handler.accept(cause), "kingbus-fatal");
        t.setDaemon(true);
        t.start();
        return new CompletableFuture<>();
    }

    private static Message reply(byte status, String text) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[1 + t.length];
        b[0] = status;
        System.arraycopy(t, 0, b, 1, t.length);
        return Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString.copyFrom(b));
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        // configuration and no-op entries: they advance the applied index without reaching applyTransaction
        if (failed) {
            return;
        }
        noteTerm(term, index);
        super.notifyTermIndexUpdated(term, index);
    }

    private void noteTerm(long term, long index) {
        Map.Entry<Long, Long> last = termStarts.lastEntry();
        if (last == null || last.getValue() != term) {
            termStarts.put(index, term);
        }
    }

    /** True once an entry could not be applied (the node is halting). */
    public boolean failed() {
        return failed;
    }

    // ------------------------------------------------------------------ snapshots

    /**
     * Takes a snapshot marker. The store is the state; a marker only records up to which raft index the log is
     * no longer needed, plus the member metadata. That index is {@code min(lastApplied, store.recoveryTag() - 1)}:
     * the store's recovery tag is the index of the last entry that completed a transaction, and re-applying from
     * it on after a restart restores whatever the store loses in a crash (an incomplete transaction at its tail is
     * truncated on open, and that entry may also carry the start of the next transaction). Entries before it are
     * replay no-ops, so the log may be purged up to recoveryTag - 1, never further than what this node applied.
     */
    @Override
    public long takeSnapshot() throws IOException {
        SnapshotInfo latest = storage.getLatestSnapshot();
        long latestIndex = latest == null ? RaftLog.INVALID_LOG_INDEX : latest.getIndex();
        TermIndex applied = getLastAppliedTermIndex();
        if (failed || applied == null) {
            return latestIndex;
        }
        long tag = store.recoveryTag();
        long index = Math.min(applied.getIndex(), tag < 0 ? RaftLog.INVALID_LOG_INDEX : tag - 1);
        if (index <= latestIndex) {
            return latestIndex; // nothing new is safe to drop; never go backwards
        }
        Map.Entry<Long, Long> t = termStarts.floorEntry(index);
        if (t == null) {
            return latestIndex;
        }
        long term = t.getValue();
        store.sync();
        writeMarker(term, index, tag);
        termStarts.headMap(t.getKey(), false).clear();
        snapshotsTaken.incrementAndGet();
        log.info("snapshot marker at index {} (term {}): applied {}, store recovery tag {}; the raft log up to it "
                + "can be purged", index, term, applied.getIndex(), tag);
        return index;
    }

    private void writeMarker(long term, long index, long storeTag) throws IOException {
        File file = storage.getSnapshotFile(term, index);
        Path dir = file.toPath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("marker-" + term + "_" + index + ".tmp");
        Marker m = new Marker(term, index, storeTag, new TreeMap<>(adminUrls), Instant.now().toString(),
                MarkerSyncer.of(syncerConfig));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ownerOnly(tmp); // it holds the syncer's password, like the raft log
            ch.write(java.nio.ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m)));
            ch.force(true);
        }
        Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // directories cannot be opened for fsync on every platform
        }
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), term, index));
    }

    private static void ownerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException ignored) {
            // not a POSIX file system: the directory's permissions protect it
        }
    }

    /** The latest marker and the member metadata as applied now (served by /internal/snapshot). */
    public SnapshotView snapshotView() {
        SnapshotInfo latest = storage.getLatestSnapshot();
        return latest == null
                ? new SnapshotView(0, RaftLog.INVALID_LOG_INDEX, adminUrls())
                : new SnapshotView(latest.getTerm(), latest.getIndex(), adminUrls());
    }

    // ------------------------------------------------------------------ notify-mode install

    /**
     * The leader purged entries this node still needs: copy the binlog files this node lacks from the leader's
     * store, then report the leader's snapshot term/index. The copied state contains the state at that index
     * (the leader's store only grows past it), and the log entries after it replay as no-ops by position up to
     * where the copy ended. Runs on its own thread; Ratis asks again if this fails.
     */
    @Override
    public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto roleInfo,
                                                                      TermIndex firstTermIndexInLog) {
        List<String> sources = catchUpSources(roleInfo);
        return CompletableFuture.supplyAsync(() -> catchUpFrom(roleInfo, sources, firstTermIndexInLog),
                catchUpExecutor);
    }

    private List<String> catchUpSources(RoleInfoProto roleInfo) {
        List<String> out = new ArrayList<>();
        RaftProtos.RaftPeerProto leader = roleInfo.hasFollowerInfo() && roleInfo.getFollowerInfo().hasLeaderInfo()
                ? roleInfo.getFollowerInfo().getLeaderInfo().getId() : null;
        if (leader != null) {
            String known = adminUrls.get(leader.getId().toStringUtf8());
            if (known != null) {
                out.add(known);
            }
        }
        for (Map.Entry<String, String> e : new TreeMap<>(adminUrls).entrySet()) {
            if (!out.contains(e.getValue()) && (getId() == null || !e.getKey().equals(getId().toString()))) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    private TermIndex catchUpFrom(RoleInfoProto roleInfo, List<String> known, TermIndex first) {
        List<String> sources = new ArrayList<>(known);
        RaftProtos.RaftPeerProto leader = roleInfo.hasFollowerInfo() && roleInfo.getFollowerInfo().hasLeaderInfo()
                ? roleInfo.getFollowerInfo().getLeaderInfo().getId() : null;
        if (leader != null && !adminUrls.containsKey(leader.getId().toStringUtf8())) {
            String resolved = null;
            try {
                resolved = leaderAdminUrl.apply(leader);
            } catch (RuntimeException e) {
                log.info("could not learn the leader's admin URL from {}: {}", leader.getAddress(), e.getMessage());
            }
            if (resolved != null) {
                sources.remove(resolved);
                sources.add(0, resolved);
            }
        }
        if (catchUpFailures == 0) {
            log.info("the leader's log starts at index {}, past what this node has: copying binlog files from {}",
                    first.getIndex(), sources.isEmpty() ? "(no admin URL known)" : sources);
        }
        if (sources.isEmpty()) {
            throw catchUpFailed("no admin URL is known to copy binlog files from");
        }
        List<String> problems = new ArrayList<>();
        for (String source : sources) {
            try {
                CatchUpClient.SnapshotView snap = catchUp.snapshot(source);
                if (snap.index() < 0) {
                    log.info("{} has no snapshot marker yet: this node replays the raft log from its start", source);
                    return null;
                }
                if (snap.index() + 1 < first.getIndex()) {
                    problems.add(source + ": its snapshot index " + snap.index() + " is behind the leader's log start "
                            + first.getIndex());
                    continue;
                }
                long started = System.nanoTime();
                CatchUpClient.Result r = catchUp.copyFrom(source, snap.index() + 1);
                Map<String, String> merged = new LinkedHashMap<>(adminUrls);
                merged.putAll(snap.members());
                adminUrls.putAll(merged);
                writeMarker(snap.term(), snap.index(), store.recoveryTag());
                catchUps.incrementAndGet();
                log.info("caught up from {}: {} files, {} events, {} bytes copied in {} ms; installed snapshot at "
                                + "index {} (term {})", source, r.files(), r.events(), r.bytes(),
                        (System.nanoTime() - started) / 1_000_000, snap.index(), snap.term());
                catchUpFailures = 0;
                return TermIndex.valueOf(snap.term(), snap.index());
            } catch (StoreConflictException e) {
                problems.add(source + ": the local store refused the copied events: " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                problems.add(source + ": " + e.getMessage());
            }
        }
        throw catchUpFailed(String.join("; ", problems));
    }

    /**
     * Logs (the first failure, then every tenth), waits a growing backoff on the catch-up thread (Ratis asks again
     * as soon as the future fails; while it is pending Ratis only hears "in progress"), then fails the attempt.
     */
    private CompletionException catchUpFailed(String why) {
        int n = ++catchUpFailures;
        long backoffMs = Math.min(10_000L, 500L << Math.min(5, n - 1));
        if (n == 1 || n % 10 == 0) {
            log.warn("catch-up failed ({} attempt{} so far), retrying in {} ms: {}", n, n == 1 ? "" : "s", backoffMs,
                    why);
        }
        try {
            Thread.sleep(backoffMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new CompletionException(new IOException("catch-up failed: " + why));
    }

    // ------------------------------------------------------------------ events from Ratis

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        listener.leaderChanged(newLeaderId);
    }

    @Override
    public void notifyLeaderReady() {
        listener.leaderReady();
    }

    @Override
    public void notifyNotLeader(java.util.Collection<TransactionContext> pendingEntries) {
        listener.notLeader();
    }

    @Override
    public void notifyConfigurationChanged(long term, long index, RaftProtos.RaftConfigurationProto newConf) {
        listener.configurationChanged();
    }

    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo, boolean allServer) {
        listener.serverShutdown();
    }

    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo) {
        listener.serverShutdown();
    }

    // ------------------------------------------------------------------ queries

    /** Published admin URLs: Ratis peer id → admin URL. */
    public Map<String, String> adminUrls() {
        return new TreeMap<>(adminUrls);
    }

    public String adminUrl(RaftPeerId peerId) {
        return adminUrls.get(peerId.toString());
    }

    public long entriesApplied() {
        return entriesApplied.get();
    }

    /** Events carried by applied EVENTS entries (replays included). */
    public long eventsApplied() {
        return eventsApplied.get();
    }

    /** Bytes of events carried by applied EVENTS entries (replays included). */
    public long bytesApplied() {
        return bytesApplied.get();
    }

    /** Entries whose events the store refused (deterministic skips). */
    public long conflicts() {
        return conflicts.get();
    }

    public long snapshotsTaken() {
        return snapshotsTaken.get();
    }

    /** Completed notify-mode installs (binlog files copied from a peer). */
    public long catchUps() {
        return catchUps.get();
    }

    public long lastAppliedIndex() {
        TermIndex t = getLastAppliedTermIndex();
        return t == null ? RaftLog.INVALID_LOG_INDEX : t.getIndex();
    }
}

package io.kingbus.raft;

import io.kingbus.store.BinlogStore;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One kingbus raft node: a Ratis server (gRPC on the peer URL's port) whose state machine is the binlog store.
 *
 * <pre>{@code
 * RaftNode node = new RaftNode(RaftNodeConfig.builder(name, peerUrl, adminUrl, store, raftDir)
 *         .initialCluster(Map.of(...)).build()).start();
 * }</pre>
 *
 * <p>Membership changes run on the leader, one at a time, in the background; see {@link ClusterControl}.
 * The node publishes its admin URL through the log once it is a member and a leader exists.
 */
public final class RaftNode implements ClusterControl, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RaftNode.class);
    private static final String MEMBER_MARKER = "kingbus-member";

    private final RaftNodeConfig config;
    private final RaftPeerId selfId;
    private final RaftGroupId groupId;
    private final BinlogStateMachine sm;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** When {@link #handOffLeadership} last handed leadership off. */
    private volatile long handOffAt = System.nanoTime() - TimeUnit.HOURS.toNanos(1);
    /** The leader's watch on followers that answer but take no entries, for the term in {@link #stuckTerm}. */
    private StuckFollowers stuckFollowers;
    private long stuckTerm = -1;
    /** Leaders' admin URLs learnt over PeerInfo before their published one was applied here ({@link #leader()}). */
    private final Map<RaftPeerId, String> askedAdminUrls = new ConcurrentHashMap<>();
    private final Map<RaftPeerId, Long> askStartedAt = new ConcurrentHashMap<>();
    private static final long ASK_RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
    private final Object proposeLock = new Object();
    private final Object membershipLock = new Object();
    private final AtomicReference<Change> change = new AtomicReference<>();
    private final AtomicBoolean publishing = new AtomicBoolean();
    private volatile boolean publishAdminUrl = true;
    /** Uncommitted proposal entries and bytes allowed at once: half of Ratis' pending-write limits. */
    private final int windowBytesTotal;
    private final java.util.concurrent.Semaphore windowBytes;
    private final java.util.concurrent.Semaphore windowEntries = new java.util.concurrent.Semaphore(2048);
    private final ScheduledExecutorService watcher = daemonScheduler("kingbus-raft-watch");
    private final ExecutorService membershipExecutor = daemonExecutor("kingbus-membership");
    private final ExecutorService publishExecutor = daemonExecutor("kingbus-publish");
    /** Asks leaders for their admin URL ({@link #askedAdminUrl}); apart from publishing, which may wait on a commit. */
    private final ExecutorService askExecutor = daemonExecutor("kingbus-ask-leader");
    private final List<LeadershipListener> leadershipListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean leading;
    private volatile RaftServer server;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile boolean wasMember;
    private volatile String lastRole;
    private volatile RaftPeerId lastLoggedLeader;

    public RaftNode(RaftNodeConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.selfId = PeerIds.peerId(config.name(), config.peerUrl());
        this.groupId = PeerIds.groupId(config.clusterToken());
        this.sm = new BinlogStateMachine(config.store(), config.fatalHandler());
        this.windowBytesTotal = (int) Math.min(Integer.MAX_VALUE, pendingWriteBytes(config) / 2);
        this.windowBytes = new java.util.concurrent.Semaphore(windowBytesTotal);
    }

    private static long pendingWriteBytes(RaftNodeConfig config) {
        return Math.max(64L << 20, 2L * config.maxLargeEntryBytes());
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts the Ratis server (recovering the raft storage if it exists) and the background tasks. */
    public synchronized RaftNode start() throws IOException {
        if (started) {
            return this;
        }
        Path dir = config.storageDir();
        Files.createDirectories(dir);
        ownerOnlyDirectory(dir);
        wasMember = selfId.toString().equals(readMemberMarker());
        RaftProperties p = properties();
        Parameters parameters = new Parameters();
        GrpcConfigKeys.Server.setServicesCustomizer(parameters, PeerInfoService.customizer(() ->
                new PeerInfoService.Info(config.name(), selfId.toString(), config.peerUrl(), config.adminUrl())));
        List<RaftPeer> peers = new ArrayList<>();
        if (config.initialClusterState() == RaftNodeConfig.ClusterState.NEW) {
            config.initialCluster().forEach((n, u) -> peers.add(PeerIds.peer(n, u)));
        }
        RaftGroup group = peers.isEmpty() ? RaftGroup.valueOf(groupId) : RaftGroup.valueOf(groupId, peers);
        boolean exists = Files.isDirectory(dir.resolve(groupId.getUuid().toString()));
        // RECOVER loads an existing group and formats a missing one; FORMAT would fail on a restart.
        RaftStorage.StartupOption option = RaftStorage.StartupOption.RECOVER;
        sm.setListener(new Listener());
        sm.setLeaderAdminUrlResolver(this::resolveAdminUrl);
        log.info("raft node {} starting: group {} ({}), peer {}, admin {}, {} storage at {}{}", config.name(),
                groupId.getUuid(), config.clusterToken(), config.peerUrl(), config.adminUrl(),
                exists ? "existing" : "new", dir,
                exists ? "" : config.initialClusterState() == RaftNodeConfig.ClusterState.NEW
                        ? ", initial cluster " + config.initialCluster()
                        : ", joining an existing cluster (waiting to be added)");
        server = RaftServer.newBuilder()
                .setServerId(selfId)
                .setGroup(group)
                .setStateMachine(sm)
                .setProperties(p)
                .setParameters(parameters)
                .setOption(option)
                .build();
        server.start();
        started = true;
        watcher.scheduleWithFixedDelay(this::watch, 200, 500, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * The raft log holds the syncer's MySQL password (SYNCER_START) and Ratis writes its segments with the default
     * file mode: the storage directory is made 0700 (also for storage created by an older version), so only the
     * node's own user can reach them.
     */
    private static void ownerOnlyDirectory(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
            log.warn("{} is not on a POSIX file system: restrict access to it by other means (the raft log holds the "
                    + "syncer's MySQL password)", dir);
        }
    }

    private RaftProperties properties() {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(config.storageDir().toFile()));
        GrpcConfigKeys.Server.setPort(p, PeerIds.port(config.peerUrl()));

        // Election timeouts of seconds: the 150-300 ms defaults re-elect constantly on a small shared box.
        // Ratis heartbeats every min/2.
        long min = config.electionTimeoutMin().toMillis();
        long max = config.electionTimeoutMax().toMillis();
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(min, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(max, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(max + 1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
        // A joining peer that does not answer for this long fails the staging of a setConfiguration; the
        // membership task then retries, so an add never blocks forever on a node that was not started.
        RaftServerConfigKeys.setStagingTimeout(p, TimeDuration.valueOf(3 * max, TimeUnit.MILLISECONDS));

        // Notify-mode install: a lagging or new node copies binlog files itself (BinlogStateMachine).
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, false);
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.snapshotThreshold());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 3);
        // Purge to the snapshot even when a follower has not committed that far: it catches up from files.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(p, config.preservedLogEntries());
        RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(1024, config.snapshotThreshold())));
        // fsync the log on its own thread while the worker goes on writing: an entry still counts (for the commit
        // and for the follower's reply) only once the fsync covering it has returned, so the raft guarantee holds,
        // but a slow fsync (tens of ms on a busy disk) no longer stalls the writes queued behind it.
        RaftServerConfigKeys.Log.setAsyncFlushEnabled(p, true);
        // A torn entry at the end of the open segment after a crash was never acknowledged: drop it.
        RaftServerConfigKeys.Log.setCorruptionPolicy(p, RaftServerConfigKeys.Log.CorruptionPolicy.WARN_AND_RETURN);

        // Entries are <= 1 MiB normally, but one big event (or one part of a bigger one) goes alone: size every limit
        // for the largest entry.
        int large = config.maxLargeEntryBytes();
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(large));
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(large + (64 << 10)));
        // An entry bigger than a segment is written alone into the current one (Ratis), so segments stay small.
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(config.logSegmentBytes()));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(4L << 20, config.logSegmentBytes())));
        long pending = pendingWriteBytes(config);
        RaftServerConfigKeys.Write.setByteLimit(p, SizeInBytes.valueOf(pending));
        RaftServerConfigKeys.Log.setQueueByteLimit(p, SizeInBytes.valueOf(pending));
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(128L << 20, 2L * large + (1L << 20))));
        GrpcConfigKeys.setFlowControlWindow(p, SizeInBytes.valueOf(4L << 20));
        applyOverrides(p, System.getProperties());
        return p;
    }

    /**
     * Ratis settings given by hand as system properties named by their Ratis key ({@code -Draft.…}, e.g. in
     * {@code KINGBUS_JAVA_OPTS}) override the ones above: for tuning experiments, not for normal operation.
     */
    static void applyOverrides(RaftProperties p, java.util.Properties system) {
        for (String name : system.stringPropertyNames()) {
            if (name.startsWith("raft.")) {
                String value = system.getProperty(name);
                log.info("raft setting {} = {} (from a system property; overrides kingbus's choice)", name, value);
                p.set(name, value);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sm.closing();
        try {
            watcher.execute(this::leadershipEnded); // in order after any pending leadership callback
            watcher.shutdown();
            watcher.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ignored) {
            // already shut down
        }
        watcher.shutdownNow();
        membershipExecutor.shutdownNow();
        publishExecutor.shutdownNow();
        askExecutor.shutdownNow();
        RaftServer s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                log.warn("raft node {}: closing the raft server failed: {}", config.name(), e.toString());
            }
        }
        log.info("raft node {} stopped", config.name());
    }

    /**
     * Leadership changes for leader-only work (the syncer): called on a kingbus thread, never a Ratis one, in
     * order. {@code leaderReady} comes once this node leads and has committed an entry of its term (proposals are
     * accepted); {@code leadershipLost} when it stops leading, is removed, or the node closes.
     */
    public interface LeadershipListener {
        default void leaderReady(long term) {
        }

        default void leadershipLost() {
        }
    }

    public void addLeadershipListener(LeadershipListener listener) {
        leadershipListeners.add(listener);
    }

    public void removeLeadershipListener(LeadershipListener listener) {
        leadershipListeners.remove(listener);
    }

    private void leadershipReady() {
        RaftServer.Division d = division();
        if (d == null || !d.getInfo().isLeader() || leading) {
            return;
        }
        leading = true;
        long term = d.getInfo().getCurrentTerm();
        log.info("raft node {} is the leader and ready (term {})", config.name(), term);
        for (LeadershipListener l : leadershipListeners) {
            try {
                l.leaderReady(term);
            } catch (RuntimeException e) {
                log.warn("leadership listener failed: {}", e.toString());
            }
        }
    }

    private void leadershipEnded() {
        if (!leading) {
            return;
        }
        leading = false;
        log.info("raft node {} is not the leader any more", config.name());
        for (LeadershipListener l : leadershipListeners) {
            try {
                l.leadershipLost();
            } catch (RuntimeException e) {
                log.warn("leadership listener failed: {}", e.toString());
            }
        }
    }

    // ------------------------------------------------------------------ identity and access

    public RaftNodeConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public RaftPeerId peerId() {
        return selfId;
    }

    public RaftGroupId groupId() {
        return groupId;
    }

    public long memberId() {
        return PeerIds.memberId(config.name(), config.peerUrl(), config.clusterToken());
    }

    public BinlogStateMachine stateMachine() {
        return sm;
    }

    public BinlogStore store() {
        return config.store();
    }

    /** The Ratis division of this node's group, or null when the server is not running it (closed or removed). */
    RaftServer.Division division() {
        RaftServer s = server;
        if (s == null || closed) {
            return null;
        }
        try {
            RaftServer.Division d = s.getDivision(groupId);
            return d.getInfo().isAlive() ? d : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    public long commitIndex() {
        RaftServer.Division d = division();
        return d == null ? -1 : d.getRaftLog().getLastCommittedIndex();
    }

    public long appliedIndex() {
        RaftServer.Division d = division();
        return d == null ? sm.lastAppliedIndex() : d.getInfo().getLastAppliedIndex();
    }

    /** The first index still in the raft log (entries before it were purged behind a snapshot). */
    public long logStartIndex() {
        RaftServer.Division d = division();
        return d == null ? -1 : d.getRaftLog().getStartIndex();
    }

    public long snapshotIndex() {
        var s = sm.getLatestSnapshot();
        return s == null ? -1 : s.getIndex();
    }

    // ------------------------------------------------------------------ proposals

    /**
     * Proposes a batch of whole binlog events (leader only). The batch is split at event boundaries into entries
     * of at most {@link RaftNodeConfig#maxEntryBytes()}; an event bigger than that goes alone, and one bigger than
     * {@link #maxEntryEventBytes()} goes in {@link RaftCommand.EventPart}s, one entry each, submitted in order.
     *
     * @return the raft index of the last entry, once every entry is committed and applied on this node; fails
     *         with {@link NotLeaderException} on a follower (or when leadership is lost meanwhile), with
     *         {@link ProposalRejectedException} when the store refused the events (they do not continue it) and
     *         with {@link EventTooLargeException} for an event over {@link #maxEventBytes()} (nothing is proposed)
     */
    public CompletableFuture<Long> proposeEvents(String file, List<byte[]> events) {
        if (events == null || events.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("no events to propose"));
        }
        int maxEvent = maxEventBytes();
        for (byte[] e : events) {
            if (e.length > maxEvent) {
                return CompletableFuture.failedFuture(new EventTooLargeException(e.length, maxEvent));
            }
        }
        // Entries are encoded as they are submitted (submitAll waits for room), so a huge event's parts are never
        // all copied at once: they are views of the event until then.
        return submitAll(RaftCommand.commands(file, events, config.maxEntryBytes(), maxEntryEventBytes()));
    }

    /** The largest binlog event a proposal may carry: MySQL's largest max_allowed_packet (1 GiB). */
    public int maxEventBytes() {
        return MAX_EVENT_BYTES;
    }

    /** MySQL's largest max_allowed_packet, hence its largest binlog event. */
    public static final int MAX_EVENT_BYTES = 1 << 30;

    /**
     * The largest event that goes in one raft entry: the largest entry less room for the command's header and file
     * name. A bigger one goes in parts of this size.
     */
    public int maxEntryEventBytes() {
        return Math.max((int) BinlogStore.MIN_PARTED_EVENT_BYTES, config.maxLargeEntryBytes() - ENTRY_OVERHEAD_BYTES);
    }

    /** Command header, the longest file name and the count/length fields, rounded up. */
    private static final int ENTRY_OVERHEAD_BYTES = 8192;

    /**
     * Proposes one non-event command (SYNCER_START, SYNCER_STOP, ...) on this node, which must be the leader.
     *
     * @return the command's raft index once committed and applied here; fails with {@link NotLeaderException} on a
     *         follower or a leader that is not ready yet
     */
    public CompletableFuture<Long> proposeCommand(RaftCommand command) {
        if (command instanceof RaftCommand.Events e) {
            return proposeEvents(e.file(), e.events());
        }
        return submitAll(List.of(command));
    }

    private CompletableFuture<Long> submitAll(List<? extends RaftCommand> commands) {
        RaftServer.Division d = division();
        if (d == null || !d.getInfo().isLeader()) {
            return CompletableFuture.failedFuture(new NotLeaderException(leader()));
        }
        List<CompletableFuture<RaftClientReply>> replies = new ArrayList<>(commands.size());
        // Ratis appends a request before submitClientRequestAsync returns: the lock keeps event entries in order. Other
        // commands do not touch the store and may go between the parts of a big event instead of waiting for all.
        boolean events = commands.stream().anyMatch(c -> c instanceof RaftCommand.Events
                || c instanceof RaftCommand.EventPart);
        if (events) {
            synchronized (proposeLock) {
                submitEach(commands, replies);
            }
        } else {
            submitEach(commands, replies);
        }
        return CompletableFuture.allOf(replies.toArray(new CompletableFuture[0]))
                .handle((ignored, t) -> {
                    long last = -1;
                    for (CompletableFuture<RaftClientReply> f : replies) {
                        RaftClientReply r;
                        try {
                            r = f.join();
                        } catch (CompletionException ex) {
                            throw new CompletionException(ex.getCause());
                        }
                        checkReply(r);
                        last = r.getLogIndex();
                    }
                    return last;
                });
    }

    /** Submits the commands in order; stops at the first one refused at once. */
    private void submitEach(List<? extends RaftCommand> commands, List<CompletableFuture<RaftClientReply>> replies) {
        for (RaftCommand command : commands) {
            byte[] e = command.encode();
            // Stay below Ratis' pending-write limits: an entry refused there while the next is accepted would
            // leave a gap that the store refuses. Waits (on the caller) for earlier entries to commit.
            String refusal = acquireWindow(e.length);
            if (refusal != null) {
                replies.add(CompletableFuture.failedFuture(new IOException(refusal)));
                break;
            }
            RaftClientRequest request = RaftClientRequest.newBuilder()
                    .setClientId(clientId)
                    .setServerId(selfId)
                    .setGroupId(groupId)
                    .setCallId(callIds.incrementAndGet())
                    .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(e)))
                    .setType(RaftClientRequest.writeRequestType())
                    .build();
            CompletableFuture<RaftClientReply> f;
            try {
                f = server.submitClientRequestAsync(request);
            } catch (IOException | RuntimeException ex) {
                f = CompletableFuture.failedFuture(ex);
            }
            int size = e.length;
            f.whenComplete((r, t) -> releaseWindow(size));
            replies.add(f);
            if (f.isCompletedExceptionally() || (f.isDone() && !f.join().isSuccess())) {
                break; // refused at once (not leader, ...): submitting the rest would only leave a gap
            }
        }
    }

    /** Null when the entry may be submitted, else why not (the window stayed full: no quorum?). */
    private String acquireWindow(int bytes) {
        try {
            long timeout = 2 * config.electionTimeoutMax().toMillis() + 10_000;
            if (!windowEntries.tryAcquire(timeout, TimeUnit.MILLISECONDS)) {
                return "too many uncommitted raft entries for " + timeout + " ms (is a majority reachable?)";
            }
            if (!windowBytes.tryAcquire(Math.min(bytes, windowBytesTotal), timeout, TimeUnit.MILLISECONDS)) {
                windowEntries.release();
                return "too many uncommitted raft entry bytes for " + timeout + " ms (is a majority reachable?)";
            }
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while waiting for earlier entries to commit";
        }
    }

    private void releaseWindow(int bytes) {
        windowBytes.release(Math.min(bytes, windowBytesTotal));
        windowEntries.release();
    }

    private void checkReply(RaftClientReply r) {
        if (!r.isSuccess()) {
            RaftException e = r.getException();
            if (r.getLeaderNotReadyException() != null) {
                throw new CompletionException(new NotLeaderException("this node was just elected and is not ready "
                        + "to take proposals yet (see isLeaderReady)", leader()));
            }
            if (r.getNotLeaderException() != null || r.getLeaderSteppingDownException() != null) {
                throw new CompletionException(new NotLeaderException(leader()));
            }
            throw new CompletionException(e != null ? e : new IOException("raft request failed: " + r));
        }
        ByteString content = r.getMessage() == null ? ByteString.EMPTY : r.getMessage().getContent();
        if (!content.isEmpty() && content.byteAt(0) != BinlogStateMachine.REPLY_OK) {
            throw new CompletionException(new ProposalRejectedException(r.getLogIndex(),
                    content.substring(1).toString(StandardCharsets.UTF_8)));
        }
    }

    // ------------------------------------------------------------------ ClusterControl: queries

    @Override
    public List<Member> members() {
        RaftServer.Division d = division();
        if (d == null) {
            return List.of();
        }
        RaftConfiguration conf = d.getRaftConf();
        RaftPeerId leaderId = d.getInfo().getLeaderId();
        List<Member> out = new ArrayList<>();
        for (RaftPeer p : conf.getCurrentPeers()) {
            out.add(toMember(p, leaderId, null));
        }
        Change c = change.get();
        if (c != null && c.kind == ChangeKind.ADD && !c.cancelled && conf.getPeer(c.add.getId()) == null) {
            out.add(toMember(c.add, leaderId, c.adminUrl));
        }
        out.sort(Comparator.comparing(Member::name));
        return out;
    }

    @Override
    public Member leader() {
        RaftServer.Division d = division();
        if (d == null) {
            return null;
        }
        RaftPeerId id = d.getInfo().getLeaderId();
        if (id == null) {
            return null;
        }
        RaftPeer p = d.getRaftConf().getPeer(id);
        String asked = askedAdminUrl(id, p);
        if (p == null) { // a leader this node has no configuration entry for yet
            return new Member(0, PeerIds.nameOf(id), null, sm.adminUrl(id) != null ? sm.adminUrl(id) : asked, true);
        }
        return toMember(p, id, asked);
    }

    /**
     * A new leader publishes its admin URL through the raft log, and a follower applies that entry a moment after the
     * election; until then, so that leader-only calls are forwarded rather than answered 503, the follower asks the
     * leader over the PeerInfo service on its raft port, in the background (callers of {@link #leader()} include the
     * syncer's thread: no network wait here). Answers are kept per peer id; an ask is not repeated within
     * {@link #ASK_RETRY_NANOS}. Null when the URL is published (it wins) or not known yet.
     */
    private String askedAdminUrl(RaftPeerId id, RaftPeer p) {
        if (sm.adminUrl(id) != null || id.equals(selfId)) {
            return null;
        }
        String known = askedAdminUrls.get(id);
        if (known != null || p == null || p.getAddress() == null) {
            return known;
        }
        long now = System.nanoTime();
        Long askedAt = askStartedAt.get(id);
        if (askedAt != null && now - askedAt < ASK_RETRY_NANOS) {
            return null;
        }
        askStartedAt.put(id, now);
        try {
            askExecutor.execute(() -> {
                try {
                    PeerInfoService.Info info = PeerInfoService.ask(p.getAddress(), 2000);
                    if (info.adminUrl() != null && id.toString().equals(info.peerId())) {
                        askedAdminUrls.put(id, info.adminUrl());
                    } else {
                        log.info("leader {} at {} has no admin URL to tell", PeerIds.nameOf(id), p.getAddress());
                    }
                } catch (IOException e) {
                    log.info("could not ask leader {} at {} for its admin URL: {}", PeerIds.nameOf(id),
                            p.getAddress(), e.getMessage());
                }
            });
        } catch (RuntimeException e) {
            askStartedAt.remove(id); // closing
        }
        return null;
    }

    @Override
    public boolean isLeader() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader();
    }

    /** The leader has committed an entry of its term: proposals are accepted (the syncer starts then). */
    public boolean isLeaderReady() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader() && d.getInfo().isLeaderReady();
    }

    @Override
    public RaftNodeStatus status() {
        RaftServer.Division d = division();
        BinlogStore store = config.store();
        long storeBytes = safeStoreBytes(store);
        if (d == null) {
            return new RaftNodeStatus(config.name(), role(null), 0, -1, sm.lastAppliedIndex(), null, false, storeBytes,
                    sm.eventsApplied(), sm.bytesApplied());
        }
        RaftPeerId leaderId = d.getInfo().getLeaderId();
        long commit = d.getRaftLog().getLastCommittedIndex();
        long applied = d.getInfo().getLastAppliedIndex();
        boolean voter = d.getRaftConf().getCurrentPeers().stream().anyMatch(p -> p.getId().equals(selfId));
        boolean caughtUp = voter && leaderId != null && !sm.failed() && applied >= commit - config.caughtUpGap();
        return new RaftNodeStatus(config.name(), role(d), d.getInfo().getCurrentTerm(), commit, applied,
                leaderId == null ? null : PeerIds.nameOf(leaderId), caughtUp, storeBytes, sm.eventsApplied(),
                sm.bytesApplied());
    }

    private static long safeStoreBytes(BinlogStore store) {
        try {
            return store.sizeBytes();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    @Override
    public String unhealthy() {
        if (!started || closed || wasMember || sm.failed() || division() != null) {
            // a removed member idles by design; a failed store halts the process by itself
            return null;
        }
        return "the raft server stopped serving group " + groupId.getUuid() + " before " + config.name()
                + " became a member (Ratis shuts a server down when the group's configuration excludes it); "
                + "restart the node to join again";
    }

    /**
     * LEADER, FOLLOWER, CANDIDATE, LISTENER; REMOVED (was a member, is not in the configuration any more);
     * JOINING (never was a member yet: started with {@code existing}, waiting to be added); FAILED (the store
     * failed while applying); STOPPED.
     */
    private String role(RaftServer.Division d) {
        if (sm.failed()) {
            return "FAILED";
        }
        if (d == null) {
            return !started || closed ? "STOPPED" : wasMember ? "REMOVED" : "STOPPED";
        }
        if (d.getRaftConf().getPeer(selfId) == null) {
            return wasMember ? "REMOVED" : "JOINING";
        }
        return d.getInfo().getCurrentRole().name();
    }

    private Member toMember(RaftPeer p, RaftPeerId leaderId, String fallbackAdminUrl) {
        String name = PeerIds.nameOf(p.getId());
        String peerUrl = PeerIds.peerUrlOf(p);
        String adminUrl = sm.adminUrl(p.getId());
        if (adminUrl == null && p.getId().equals(selfId)) {
            adminUrl = config.adminUrl();
        }
        if (adminUrl == null) {
            adminUrl = fallbackAdminUrl;
        }
        return new Member(PeerIds.memberId(name, peerUrl, config.clusterToken()), name, peerUrl, adminUrl,
                p.getId().equals(leaderId));
    }

    // ------------------------------------------------------------------ ClusterControl: changes

    private enum ChangeKind { ADD, REMOVE, UPDATE }

    /** One membership change, run by {@link #runChange} on the leader until it is in the committed conf. */
    private static final class Change {
        final ChangeKind kind;
        final RaftPeer add;
        final RaftPeerId remove;
        final String adminUrl;
        final boolean twoSteps;
        final String description;
        volatile boolean cancelled;

        Change(ChangeKind kind, RaftPeer add, RaftPeerId remove, String adminUrl, boolean twoSteps, String description) {
            this.kind = kind;
            this.add = add;
            this.remove = remove;
            this.adminUrl = adminUrl;
            this.twoSteps = twoSteps;
            this.description = description;
        }
    }

    @Override
    public List<Member> addMember(String name, String peerUrl, String adminUrl) throws MembershipException {
        String url;
        String admin;
        try {
            PeerIds.checkName(name);
            url = PeerIds.normalizeUrl(peerUrl);
            admin = adminUrl == null || adminUrl.isBlank() ? null : PeerIds.normalizeUrl(adminUrl);
        } catch (IllegalArgumentException e) {
            throw new MembershipException(MembershipException.Kind.BAD_REQUEST, e.getMessage());
        }
        RaftServer.Division d = requireLeader();
        synchronized (membershipLock) {
            RaftConfiguration conf = requireQuiet(d);
            for (RaftPeer p : allPeers(conf)) {
                if (PeerIds.nameOf(p.getId()).equals(name)) {
                    throw new MembershipException(MembershipException.Kind.CONFLICT, "a member named " + name
                            + " already exists (" + PeerIds.peerUrlOf(p) + ")");
                }
                if (p.getAddress().equals(PeerIds.address(url))) {
                    throw new MembershipException(MembershipException.Kind.CONFLICT, "peer URL " + url
                            + " is already used by member " + PeerIds.nameOf(p.getId()));
                }
            }
            RaftPeer peer = PeerIds.peer(name, url);
            Change c = new Change(ChangeKind.ADD, peer, null, admin, false, "adding " + name + " (" + url + ")");
            start(c);
            List<Member> after = new ArrayList<>();
            RaftPeerId leaderId = d.getInfo().getLeaderId();
            for (RaftPeer p : conf.getCurrentPeers()) {
                after.add(toMember(p, leaderId, null));
            }
            after.add(toMember(peer, leaderId, admin));
            after.sort(Comparator.comparing(Member::name));
            return after;
        }
    }

    @Override
    public List<Member> removeMember(String name, String peerUrl) throws MembershipException {
        String url;
        try {
            PeerIds.checkName(name);
            url = peerUrl == null || peerUrl.isBlank() ? null : PeerIds.normalizeUrl(peerUrl);
        } catch (IllegalArgumentException e) {
            throw new MembershipException(MembershipException.Kind.BAD_REQUEST, e.getMessage());
        }
        RaftServer.Division d = requireLeader();
        synchronized (membershipLock) {
            Change pending = change.get();
            if (pending != null && pending.kind == ChangeKind.ADD && !pending.cancelled
                    && PeerIds.nameOf(pending.add.getId()).equals(name)
                    && (url == null || pending.add.getAddress().equals(PeerIds.address(url)))) {
                pending.cancelled = true;
                log.info("membership: cancelled {} (removed before it joined)", pending.description);
                return membersExcept(d, pending.add.getId());
            }
            RaftConfiguration conf = requireQuiet(d);
            RaftPeer target = findByName(conf, name);
            if (target == null) {
                throw new MembershipException(MembershipException.Kind.NOT_FOUND, "no member named " + name);
            }
            if (url != null && !target.getAddress().equals(PeerIds.address(url))) {
                throw new MembershipException(MembershipException.Kind.NOT_FOUND, "member " + name + " has peer URL "
                        + PeerIds.peerUrlOf(target) + ", not " + url);
            }
            List<RaftPeer> remaining = new ArrayList<>(conf.getCurrentPeers());
            remaining.removeIf(p -> p.getId().equals(target.getId()));
            if (remaining.isEmpty()) {
                throw new MembershipException(MembershipException.Kind.CONFLICT, "cannot remove the last member");
            }
            checkQuorum(d, remaining, remaining.size(), "removing " + name);
            start(new Change(ChangeKind.REMOVE, null, target.getId(), null, false, "removing " + name + " ("
                    + PeerIds.peerUrlOf(target) + ")"));
            return membersExcept(d, target.getId());
        }
    }

    @Override
    public List<Member> updateMember(String name, String newPeerUrl) throws MembershipException {
        String url;
        try {
            PeerIds.checkName(name);
            url = PeerIds.normalizeUrl(newPeerUrl);
        } catch (IllegalArgumentException e) {
            throw new MembershipException(MembershipException.Kind.BAD_REQUEST, e.getMessage());
        }
        RaftServer.Division d = requireLeader();
        synchronized (membershipLock) {
            RaftConfiguration conf = requireQuiet(d);
            RaftPeer old = findByName(conf, name);
            if (old == null) {
                throw new MembershipException(MembershipException.Kind.NOT_FOUND, "no member named " + name);
            }
            String address = PeerIds.address(url);
            if (old.getAddress().equals(address)) {
                return members();
            }
            for (RaftPeer p : allPeers(conf)) {
                if (p.getAddress().equals(address)) {
                    throw new MembershipException(MembershipException.Kind.CONFLICT, "peer URL " + url
                            + " is already used by member " + PeerIds.nameOf(p.getId()));
                }
            }
            List<RaftPeer> others = new ArrayList<>(conf.getCurrentPeers());
            others.removeIf(p -> p.getId().equals(old.getId()));
            // The new peer is not running until the node restarts with its new URL: the others must be a
            // majority of the new configuration meanwhile.
            checkQuorum(d, others, others.size() + 1, "moving " + name + " to " + url);
            RaftPeer peer = PeerIds.peer(name, url);
            // Ratis refuses a single change that replaces half the voters or more (2 voters: remove, then add).
            boolean twoSteps = conf.getCurrentPeers().size() < 3;
            String admin = sm.adminUrl(old.getId());
            start(new Change(ChangeKind.UPDATE, peer, old.getId(), admin, twoSteps, "moving " + name + " from "
                    + PeerIds.peerUrlOf(old) + " to " + url));
            RaftPeerId leaderId = d.getInfo().getLeaderId();
            List<Member> after = new ArrayList<>();
            for (RaftPeer p : others) {
                after.add(toMember(p, leaderId, null));
            }
            after.add(toMember(peer, leaderId, admin));
            after.sort(Comparator.comparing(Member::name));
            return after;
        }
    }

    private RaftServer.Division requireLeader() throws MembershipException {
        RaftServer.Division d = division();
        if (d == null) {
            throw new MembershipException(MembershipException.Kind.NO_LEADER, "this raft node is not running "
                    + "(role " + role(null) + ")");
        }
        if (!d.getInfo().isLeader()) {
            RaftPeerId leaderId = d.getInfo().getLeaderId();
            if (leaderId == null) {
                throw new MembershipException(MembershipException.Kind.NO_LEADER, "the raft group has no leader now");
            }
            Member l = leader();
            throw new MembershipException(MembershipException.Kind.NOT_LEADER, "this node is not the leader; the "
                    + "leader is " + PeerIds.nameOf(leaderId) + (l == null || l.adminUrl() == null ? ""
                    : " (" + l.adminUrl() + ")"));
        }
        return d;
    }

    /** The committed, stable configuration; CONFLICT while another change runs. Holds membershipLock. */
    private RaftConfiguration requireQuiet(RaftServer.Division d) throws MembershipException {
        Change pending = change.get();
        if (pending != null) {
            throw new MembershipException(MembershipException.Kind.CONFLICT, "another membership change is in "
                    + "progress (" + pending.description + (pending.cancelled ? ", being cancelled" : "")
                    + "); one change at a time");
        }
        RaftConfiguration conf = d.getRaftConf();
        if (!conf.getPreviousPeers().isEmpty() || d.getRaftLog().getLastCommittedIndex() < conf.getLogEntryIndex()) {
            throw new MembershipException(MembershipException.Kind.CONFLICT, "the raft configuration is still "
                    + "changing (entry " + conf.getLogEntryIndex() + " not committed or transitional); try again");
        }
        return conf;
    }

    private static List<RaftPeer> allPeers(RaftConfiguration conf) {
        List<RaftPeer> out = new ArrayList<>(conf.getAllPeers(RaftProtos.RaftPeerRole.FOLLOWER));
        out.addAll(conf.getAllPeers(RaftProtos.RaftPeerRole.LISTENER));
        return out;
    }

    private static RaftPeer findByName(RaftConfiguration conf, String name) {
        for (RaftPeer p : conf.getCurrentPeers()) {
            if (PeerIds.nameOf(p.getId()).equals(name)) {
                return p;
            }
        }
        return null;
    }

    private List<Member> membersExcept(RaftServer.Division d, RaftPeerId id) {
        RaftPeerId leaderId = d.getInfo().getLeaderId();
        List<Member> out = new ArrayList<>();
        for (RaftPeer p : d.getRaftConf().getCurrentPeers()) {
            if (!p.getId().equals(id)) {
                out.add(toMember(p, leaderId, null));
            }
        }
        out.sort(Comparator.comparing(Member::name));
        return out;
    }

    /**
     * On the leader: the names of voters that have not answered for longer than the maximum election timeout
     * (those a removal must not count on). Empty on a follower, which cannot tell.
     */
    public List<String> unresponsiveMembers() {
        RaftServer.Division d = division();
        if (d == null || !d.getInfo().isLeader()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (RaftPeer p : d.getRaftConf().getCurrentPeers()) {
            if (!isLive(d, p.getId())) {
                out.add(PeerIds.nameOf(p.getId()));
            }
        }
        out.sort(null);
        return out;
    }

    private boolean isLive(RaftServer.Division d, RaftPeerId id) {
        if (id.equals(selfId)) {
            return true;
        }
        RaftProtos.RoleInfoProto info = d.getInfo().getRoleInfoProto();
        if (!info.hasLeaderInfo()) {
            return false;
        }
        for (RaftProtos.ServerRpcProto f : info.getLeaderInfo().getFollowerInfoList()) {
            if (RaftPeerId.valueOf(f.getId().getId()).equals(id)) {
                return f.getLastRpcElapsedTimeMs() <= config.electionTimeoutMax().toMillis();
            }
        }
        return false;
    }

    /**
     * Refuses a change after which the live members among {@code remaining} would not be a majority of a
     * configuration of {@code newSize} voters (live: the leader itself, and followers that answered recently).
     */
    private void checkQuorum(RaftServer.Division d, Collection<RaftPeer> remaining, int newSize, String what)
            throws MembershipException {
        List<String> live = new ArrayList<>();
        List<String> down = new ArrayList<>();
        for (RaftPeer p : remaining) {
            (isLive(d, p.getId()) ? live : down).add(PeerIds.nameOf(p.getId()));
        }
        int majority = newSize / 2 + 1;
        if (live.size() < majority) {
            throw new MembershipException(MembershipException.Kind.CONFLICT, what + " would leave a configuration "
                    + "of " + newSize + " voters with only " + live.size() + " running (" + String.join(", ", live)
                    + "; not answering: " + String.join(", ", down) + "); a majority of " + majority
                    + " is needed, so the change is refused");
        }
    }

    private void start(Change c) {
        change.set(c);
        log.info("membership: {} (submitted)", c.description);
        try {
            membershipExecutor.execute(() -> runChange(c));
        } catch (RuntimeException e) {
            change.compareAndSet(c, null);
            throw e;
        }
    }

    /** Calls setConfiguration until the change is in the committed configuration (or cancelled / not leader). */
    private void runChange(Change c) {
        boolean waitingLogged = false;
        int failures = 0;
        try {
            while (!closed) {
                RaftServer.Division d = division();
                if (d == null || !d.getInfo().isLeader()) {
                    log.info("membership: {} abandoned: this node is no longer the leader; submit it again to the "
                            + "new leader", c.description);
                    return;
                }
                RaftConfiguration conf = d.getRaftConf();
                List<RaftPeer> current = new ArrayList<>(conf.getCurrentPeers());
                boolean settled = conf.getPreviousPeers().isEmpty()
                        && d.getRaftLog().getLastCommittedIndex() >= conf.getLogEntryIndex();
                boolean hasAdd = c.add != null && contains(current, c.add.getId());
                boolean hasRemove = c.remove != null && contains(current, c.remove);
                List<RaftPeer> target = new ArrayList<>(current);
                if (c.cancelled) {
                    if (!hasAdd && settled) {
                        log.info("membership: {} cancelled", c.description);
                        return;
                    }
                    target.removeIf(p -> p.getId().equals(c.add.getId()));
                } else if ((c.add == null || hasAdd) && !hasRemove && settled) {
                    log.info("membership: {} done; members now {}", c.description, names(current));
                    return;
                } else {
                    if (c.remove != null) {
                        target.removeIf(p -> p.getId().equals(c.remove));
                    }
                    if (c.add != null && !hasAdd && !(c.twoSteps && hasRemove)) {
                        target.add(c.add);
                    }
                }
                SetConfigurationRequest request = new SetConfigurationRequest(clientId, selfId, groupId,
                        callIds.incrementAndGet(), SetConfigurationRequest.Arguments.newBuilder()
                        .setServersInCurrentConf(current)
                        .setServersInNewConf(target)
                        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
                        .build());
                String failure;
                try {
                    RaftClientReply reply = await(server.setConfigurationAsync(request), c);
                    failure = reply == null ? "abandoned" : reply.isSuccess() ? null : String.valueOf(reply.getException());
                } catch (IOException | ExecutionException e) {
                    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                    failure = cause.getClass().getSimpleName() + ": " + cause.getMessage();
                }
                if (failure != null) {
                    failures++;
                    if (c.add != null && !c.cancelled && failure.contains("Found duplicated element")) {
                        handOffForStaleAppender(d, c.add.getId());
                    }
                    if ((c.add == null || c.cancelled) && failures >= 30) {
                        log.warn("membership: {} gave up after {} attempts: {}", c.description, failures, failure);
                        return;
                    }
                    if (!waitingLogged && c.add != null && !c.cancelled) {
                        log.info("membership: {}: waiting for {} to start (initial-cluster-state existing) and catch "
                                + "up; retrying ({})", c.description, PeerIds.nameOf(c.add.getId()), failure);
                        waitingLogged = true;
                    } else {
                        log.debug("membership: {}: retrying ({})", c.description, failure);
                    }
                    Thread.sleep(1000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("membership: {} failed: {}", c.description, e.toString());
        } finally {
            change.compareAndSet(c, null);
        }
    }

    /** Waits for a setConfiguration reply while this node leads; null if leadership is lost or the node closes. */
    private RaftClientReply await(CompletableFuture<RaftClientReply> f, Change c)
            throws ExecutionException, InterruptedException {
        while (true) {
            try {
                return f.get(1, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                RaftServer.Division d = division();
                if (closed || d == null || !d.getInfo().isLeader()) {
                    return null;
                }
            }
        }
    }

    private static boolean contains(List<RaftPeer> peers, RaftPeerId id) {
        return peers.stream().anyMatch(p -> p.getId().equals(id));
    }

    private static List<String> names(Collection<RaftPeer> peers) {
        return peers.stream().map(p -> PeerIds.nameOf(p.getId())).sorted().toList();
    }

    // ------------------------------------------------------------------ background: role, publishing

    private void watch() {
        try {
            RaftServer.Division d = division();
            if (d != null && !wasMember && contains(new ArrayList<>(d.getRaftConf().getCurrentPeers()), selfId)) {
                wasMember = true;
                writeMemberMarker();
            }
            if (leading && (d == null || !d.getInfo().isLeader())) {
                leadershipEnded();
            }
            String role = role(d);
            String before = lastRole;
            lastRole = role;
            if (!role.equals(before)) {
                String unhealthy = unhealthy();
                if (unhealthy != null) {
                    log.warn("raft node {}: {}; GET /health answers 503 from now on", config.name(), unhealthy);
                } else if (role.equals("REMOVED")) {
                    log.warn("raft node {} is not in the raft configuration any more (removed); it takes no part in "
                            + "the cluster until it is added again", config.name());
                } else if ("REMOVED".equals(before) || "JOINING".equals(before)) {
                    log.info("raft node {} is a member of the raft group now ({})", config.name(), role);
                }
            }
            if (d != null && !"REMOVED".equals(role)) {
                maybePublish(d);
            }
            watchFollowers(d);
        } catch (RuntimeException e) {
            log.debug("watch: {}", e.toString());
        }
    }

    /**
     * Ratis 3.3 keeps replicating to a member after its removal when the removed node is down (the leader keeps that
     * log appender). While it exists, adding the member again under the same id (a StatefulSet pod coming back with
     * its old name) fails with "Found duplicated element", and a node restarted at that address would be fed a log
     * whose configuration excludes it, time out, and be shut down by its own pre-vote (NOT_IN_CONF). A fresh leader
     * has no such appender: this leader hands leadership to the most recently heard other member. The add is
     * abandoned with the leadership (see {@link #runChange}); it is to be submitted again (the operator does so).
     */
    private void handOffForStaleAppender(RaftServer.Division d, RaftPeerId member) {
        handOffLeadership(d, member, config.electionTimeoutMax().multipliedBy(2),
                "this leader still replicates to " + PeerIds.nameOf(member) + " from before its removal, so it "
                        + "cannot add it again", " (submit the add again to the new leader)");
    }

    /**
     * On the leader: a follower that answers but never catches up (see {@link StuckFollowers}, a Ratis 3.3 bug) is
     * given a new leader. (An entry to send does not free it: tried.)
     */
    private void watchFollowers(RaftServer.Division d) {
        if (d == null || !d.getInfo().isLeader()) {
            stuckFollowers = null;
            return;
        }
        long term = d.getInfo().getCurrentTerm();
        if (stuckFollowers == null || stuckTerm != term) {
            // the stuck appender backs off between its failed requests for up to ~5 s: a follower heard from within
            // 15 s still answers
            stuckFollowers = new StuckFollowers(Math.max(15_000, 3 * config.electionTimeoutMax().toMillis()));
            stuckTerm = term;
        }
        List<RaftProtos.ServerRpcProto> infos = d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
        long[] next = d.getInfo().getFollowerNextIndices();
        long[] match = d.getInfo().getFollowerMatchIndices();
        if (infos.size() != next.length || infos.size() != match.length) {
            return; // the followers changed between the calls: look again next time
        }
        Map<String, Long> commits = new java.util.HashMap<>();
        for (RaftProtos.CommitInfoProto c : d.getCommitInfos()) {
            commits.put(c.getServer().getId().toStringUtf8(), c.getCommitIndex());
        }
        List<StuckFollowers.Follower> followers = new ArrayList<>(infos.size());
        for (int i = 0; i < infos.size(); i++) {
            String id = infos.get(i).getId().getId().toStringUtf8();
            followers.add(new StuckFollowers.Follower(id, match[i], commits.getOrDefault(id, -1L), next[i],
                    infos.get(i).getLastRpcElapsedTimeMs()));
        }
        StuckFollowers.Stuck stuck = stuckFollowers.observe(System.nanoTime(), followers,
                d.getRaftLog().getLastCommittedIndex(), d.getRaftLog().getStartIndex());
        if (stuck == null || stuck.nanos() < STUCK_FOLLOWER.toNanos()) {
            return;
        }
        RaftPeerId id = RaftPeerId.valueOf(stuck.id());
        handOffLeadership(d, id, STUCK_FOLLOWER.multipliedBy(3), PeerIds.nameOf(id) + " has answered for "
                + TimeUnit.NANOSECONDS.toSeconds(stuck.nanos()) + " s with its commit index at "
                + commits.get(stuck.id()) + " although this leader counts it as holding committed entries up to "
                + stuck.matchIndex() + ": this leader's view of its log is wrong (Ratis 3.3, RATIS-2605)",
                "; a new leader starts from a clean view of it");
    }

    /** A follower that answers but does not catch up for this long gets a new leader (see {@link #watchFollowers}). */
    private static final Duration STUCK_FOLLOWER = Duration.ofSeconds(15);

    /**
     * Hands leadership to the most recently heard other member than {@code avoid}, at most once per {@code every}.
     * One log line with {@code why}; the caller's leader-only work is abandoned with the leadership.
     */
    private void handOffLeadership(RaftServer.Division d, RaftPeerId avoid, Duration every, String why,
                                   String then) {
        if (System.nanoTime() - handOffAt < every.toNanos()) {
            return;
        }
        RaftConfiguration conf = d.getRaftConf();
        RaftPeerId handTo = null;
        long freshest = Long.MAX_VALUE;
        for (RaftProtos.ServerRpcProto f : d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList()) {
            RaftPeerId id = RaftPeerId.valueOf(f.getId().getId());
            if (!id.equals(avoid) && conf.getPeer(id) != null && f.getLastRpcElapsedTimeMs() < freshest) {
                freshest = f.getLastRpcElapsedTimeMs();
                handTo = id;
            }
        }
        handOffAt = System.nanoTime();
        if (handTo == null || freshest > config.electionTimeoutMin().toMillis()) {
            log.info("raft node {}: {}, and no other member answers to take over the leadership", config.name(), why);
            return;
        }
        log.info("raft node {}: {}; handing leadership to {}{}", config.name(), why, PeerIds.nameOf(handTo), then);
        try {
            server.transferLeadershipAsync(new TransferLeadershipRequest(clientId, selfId, groupId,
                    callIds.incrementAndGet(), handTo, config.electionTimeoutMax().toMillis() * 2));
        } catch (IOException e) {
            log.info("raft node {}: handing leadership to {} failed: {}", config.name(), PeerIds.nameOf(handTo),
                    e.getMessage());
        }
    }

    /** Tests: keep the admin URL out of the raft log, as in the moments after an election before it is applied. */
    void publishAdminUrl(boolean publish) {
        this.publishAdminUrl = publish;
    }

    private void maybePublish(RaftServer.Division d) {
        String adminUrl = config.adminUrl();
        if (!publishAdminUrl || adminUrl == null || adminUrl.equals(sm.adminUrl(selfId))) {
            return;
        }
        RaftConfiguration conf = d.getRaftConf();
        RaftPeerId leaderId = d.getInfo().getLeaderId();
        if (leaderId == null || conf.getPeer(selfId) == null || !publishing.compareAndSet(false, true)) {
            return;
        }
        RaftCommand.PublishMember publish = new RaftCommand.PublishMember(selfId.toString(), adminUrl);
        byte[] command = publish.encode();
        try {
            publishExecutor.execute(() -> {
                try {
                    if (leaderId.equals(selfId)) {
                        submitAll(List.of(publish)).get(30, TimeUnit.SECONDS);
                    } else {
                        publishThroughLeader(conf, leaderId, command);
                    }
                } catch (Exception e) {
                    log.debug("publishing the admin URL failed, will retry: {}", e.toString());
                } finally {
                    publishing.set(false);
                }
            });
        } catch (RuntimeException e) {
            publishing.set(false);
        }
    }

    private void publishThroughLeader(RaftConfiguration conf, RaftPeerId leaderId, byte[] command) throws IOException {
        RaftProperties p = new RaftProperties();
        GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(16L << 20));
        try (RaftClient client = RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(RaftGroup.valueOf(groupId, conf.getCurrentPeers()))
                .setLeaderId(leaderId)
                .setProperties(p)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
                        TimeDuration.valueOf(500, TimeUnit.MILLISECONDS)))
                .build()) {
            RaftClientReply reply = client.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(command)));
            if (!reply.isSuccess()) {
                throw new IOException("publish failed: " + reply.getException());
            }
        }
    }

    private String readMemberMarker() {
        try {
            Path f = config.storageDir().resolve(MEMBER_MARKER);
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8).trim() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void writeMemberMarker() {
        try {
            Files.writeString(config.storageDir().resolve(MEMBER_MARKER), selfId.toString(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            log.warn("could not record membership in {}: {}", config.storageDir(), e.getMessage());
        }
    }

    /** The leader's admin URL for a catch-up: from the published metadata, else by asking it over gRPC. */
    private String resolveAdminUrl(RaftProtos.RaftPeerProto peer) {
        RaftPeerId id = RaftPeerId.valueOf(peer.getId());
        String known = sm.adminUrl(id);
        if (known != null) {
            return known;
        }
        String asked = askedAdminUrls.get(id);
        if (asked != null) {
            return asked;
        }
        try {
            PeerInfoService.Info info = PeerInfoService.ask(peer.getAddress(), 3000);
            if (info.adminUrl() != null && id.toString().equals(info.peerId())) {
                askedAdminUrls.put(id, info.adminUrl());
            }
            return info.adminUrl();
        } catch (IOException e) {
            log.info("could not ask {} for its admin URL: {}", peer.getAddress(), e.getMessage());
            return null;
        }
    }

    /** Ratis callbacks: log and hand off, never block. */
    private final class Listener implements BinlogStateMachine.Listener {
        @Override
        public void leaderChanged(RaftPeerId leader) {
            submitQuietly(() -> {
                logLeader(leader);
                if (!selfId.equals(leader)) {
                    leadershipEnded();
                }
            });
        }

        @Override
        public void leaderReady() {
            submitQuietly(RaftNode.this::leadershipReady);
        }

        @Override
        public void notLeader() {
            submitQuietly(RaftNode.this::leadershipEnded);
        }

        @Override
        public void serverShutdown() {
            submitQuietly(() -> {
                log.info("raft node {}: the raft server shut this group down", config.name());
                leadershipEnded();
            });
        }
    }

    private void logLeader(RaftPeerId leader) {
        if (Objects.equals(leader, lastLoggedLeader)) {
            return;
        }
        lastLoggedLeader = leader;
        if (leader == null) {
            log.info("raft node {}: no leader (term {})", config.name(), term());
        } else {
            log.info("raft node {}: leader is {}{} (term {})", config.name(), PeerIds.nameOf(leader),
                    leader.equals(selfId) ? " (this node)" : "", term());
        }
    }

    private long term() {
        RaftServer.Division d = division();
        return d == null ? -1 : d.getInfo().getCurrentTerm();
    }

    private void submitQuietly(Runnable r) {
        try {
            watcher.execute(r);
        } catch (RuntimeException ignored) {
            // shutting down
        }
    }

    private static ScheduledExecutorService daemonScheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    private static ExecutorService daemonExecutor(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String toString() {
        return "RaftNode(" + selfId + ")";
    }
}

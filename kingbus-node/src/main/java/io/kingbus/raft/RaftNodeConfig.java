package io.kingbus.raft;

import io.kingbus.store.BinlogStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Everything a {@link RaftNode} needs, as plain values (the node's YAML config maps onto it one to one).
 *
 * @param name                the node's name
 * @param peerUrl             {@code http://host:port} of its raft (gRPC) endpoint; the port is bound on all interfaces
 * @param adminUrl            {@code http://host:port} of its admin API (published to the other members)
 * @param initialCluster      name → peer URL of the members of a new cluster (this node included); ignored with
 *                            {@link ClusterState#EXISTING} and once the raft storage exists
 * @param initialClusterState NEW: bootstrap the group from {@code initialCluster}; EXISTING: start with an empty
 *                            configuration and wait for the leader to add this node
 * @param clusterToken        names the raft group (its id is the name-based UUID of the token)
 * @param storageDir          raft log, metadata and snapshot markers
 * @param heartbeatInterval   Ratis sends heartbeats every election-timeout/2; the election timeout is raised to at
 *                            least twice this
 * @param electionTimeout     minimum election timeout; the maximum is twice it
 * @param store               the binlog store (owned by the caller, who closes it after the node)
 * @param snapshotThreshold   take a snapshot marker every this many applied entries
 * @param preservedLogEntries entries kept in the raft log behind the snapshot when it is purged
 * @param maxEntryBytes       event bytes per raft entry when proposals are split (an event bigger goes alone)
 * @param maxLargeEntryBytes  the largest entry Ratis accepts (one event alone; a bigger event goes in parts of about
 *                            this size); sizes the gRPC message limit, the log appender buffer and the log write buffer
 * @param caughtUpGap         status().caughtUp allows applied to lag the commit index by this many entries
 * @param logSegmentBytes     raft log segment size; only closed segments are purged behind a snapshot
 * @param fatalHandler        called when the store fails while applying (null: log and halt the JVM)
 */
public record RaftNodeConfig(String name, String peerUrl, String adminUrl, Map<String, String> initialCluster,
                             ClusterState initialClusterState, String clusterToken, Path storageDir,
                             Duration heartbeatInterval, Duration electionTimeout, BinlogStore store,
                             long snapshotThreshold, long preservedLogEntries, int maxEntryBytes,
                             int maxLargeEntryBytes, long caughtUpGap, long logSegmentBytes,
                             Consumer<Throwable> fatalHandler) {

    public static final String DEFAULT_CLUSTER_TOKEN = "kingbus-cluster";
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(1);
    public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofSeconds(2);
    public static final long DEFAULT_SNAPSHOT_THRESHOLD = 10_000;
    public static final long DEFAULT_PRESERVED_LOG_ENTRIES = 1_000;
    public static final int DEFAULT_MAX_LARGE_ENTRY_BYTES = 64 << 20; // MySQL 8.0's default max_allowed_packet
    public static final long DEFAULT_CAUGHT_UP_GAP = 64;
    public static final long DEFAULT_LOG_SEGMENT_BYTES = 32L << 20;

    /** How the node starts its raft group (config key {@code initial-cluster-state}). */
    public enum ClusterState {
        NEW, EXISTING;

        public static ClusterState parse(String s) {
            return switch (s == null ? "" : s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "new" -> NEW;
                case "existing" -> EXISTING;
                default -> throw new IllegalArgumentException("initial-cluster-state must be new or existing, not '"
                        + s + "'");
            };
        }
    }

    public RaftNodeConfig {
        PeerIds.checkName(name);
        peerUrl = PeerIds.normalizeUrl(peerUrl);
        adminUrl = adminUrl == null ? null : PeerIds.normalizeUrl(adminUrl);
        Objects.requireNonNull(initialClusterState, "initialClusterState");
        Objects.requireNonNull(storageDir, "storageDir");
        Objects.requireNonNull(store, "store");
        if (clusterToken == null || clusterToken.isEmpty()) {
            clusterToken = DEFAULT_CLUSTER_TOKEN;
        }
        Map<String, String> cluster = new LinkedHashMap<>();
        if (initialCluster != null) {
            initialCluster.forEach((n, u) -> cluster.put(n, PeerIds.normalizeUrl(u)));
        }
        if (initialClusterState == ClusterState.NEW) {
            if (cluster.isEmpty()) {
                cluster.put(name, peerUrl);
            }
            if (!peerUrl.equals(cluster.get(name))) {
                throw new IllegalArgumentException("initial-cluster must list this node as " + name + "=" + peerUrl
                        + " (it has " + name + "=" + cluster.get(name) + ")");
            }
            if (cluster.values().stream().distinct().count() != cluster.size()) {
                throw new IllegalArgumentException("initial-cluster lists a peer URL twice: " + cluster);
            }
        }
        initialCluster = Collections.unmodifiableMap(cluster);
        heartbeatInterval = positive(heartbeatInterval, DEFAULT_HEARTBEAT, "heartbeat interval");
        electionTimeout = positive(electionTimeout, DEFAULT_ELECTION_TIMEOUT, "election timeout");
        if (snapshotThreshold <= 0) {
            snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
        }
        if (preservedLogEntries < 0) {
            preservedLogEntries = DEFAULT_PRESERVED_LOG_ENTRIES;
        }
        if (maxEntryBytes <= 0) {
            maxEntryBytes = RaftCommand.DEFAULT_MAX_ENTRY_BYTES;
        }
        if (maxLargeEntryBytes <= 0) {
            maxLargeEntryBytes = DEFAULT_MAX_LARGE_ENTRY_BYTES;
        }
        if (maxLargeEntryBytes < maxEntryBytes + (64 << 10)) {
            throw new IllegalArgumentException("maxLargeEntryBytes (" + maxLargeEntryBytes
                    + ") must exceed maxEntryBytes (" + maxEntryBytes + ") by 64 KiB at least");
        }
        if (caughtUpGap < 0) {
            caughtUpGap = DEFAULT_CAUGHT_UP_GAP;
        }
        if (logSegmentBytes <= 0) {
            logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
        }
    }

    private static Duration positive(Duration d, Duration dflt, String what) {
        if (d == null || d.isZero()) {
            return dflt;
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
        return d;
    }

    /** The Ratis minimum election timeout: the configured one, at least twice the heartbeat interval. */
    public Duration electionTimeoutMin() {
        Duration twoBeats = heartbeatInterval.multipliedBy(2);
        return electionTimeout.compareTo(twoBeats) >= 0 ? electionTimeout : twoBeats;
    }

    public Duration electionTimeoutMax() {
        return electionTimeoutMin().multipliedBy(2);
    }

    public static Builder builder(String name, String peerUrl, String adminUrl, BinlogStore store, Path storageDir) {
        return new Builder(name, peerUrl, adminUrl, store, storageDir);
    }

    /** Builder with the defaults above. */
    public static final class Builder {
        private final String name;
        private final String peerUrl;
        private final String adminUrl;
        private final BinlogStore store;
        private final Path storageDir;
        private Map<String, String> initialCluster = Map.of();
        private ClusterState state = ClusterState.NEW;
        private String token = DEFAULT_CLUSTER_TOKEN;
        private Duration heartbeat = DEFAULT_HEARTBEAT;
        private Duration election = DEFAULT_ELECTION_TIMEOUT;
        private long snapshotThreshold = DEFAULT_SNAPSHOT_THRESHOLD;
        private long preserved = DEFAULT_PRESERVED_LOG_ENTRIES;
        private int maxEntryBytes = RaftCommand.DEFAULT_MAX_ENTRY_BYTES;
        private int maxLargeEntryBytes = DEFAULT_MAX_LARGE_ENTRY_BYTES;
        private long caughtUpGap = DEFAULT_CAUGHT_UP_GAP;
        private long logSegmentBytes = DEFAULT_LOG_SEGMENT_BYTES;
        private Consumer<Throwable> fatalHandler;

        private Builder(String name, String peerUrl, String adminUrl, BinlogStore store, Path storageDir) {
            this.name = name;
            this.peerUrl = peerUrl;
            this.adminUrl = adminUrl;
            this.store = store;
            this.storageDir = storageDir;
        }

        public Builder initialCluster(Map<String, String> v) {
            initialCluster = v;
            return this;
        }

        public Builder initialClusterState(ClusterState v) {
            state = v;
            return this;
        }

        public Builder clusterToken(String v) {
            token = v;
            return this;
        }

        public Builder heartbeatInterval(Duration v) {
            heartbeat = v;
            return this;
        }

        public Builder electionTimeout(Duration v) {
            election = v;
            return this;
        }

        public Builder snapshotThreshold(long v) {
            snapshotThreshold = v;
            return this;
        }

        public Builder preservedLogEntries(long v) {
            preserved = v;
            return this;
        }

        public Builder maxEntryBytes(int v) {
            maxEntryBytes = v;
            return this;
        }

        public Builder maxLargeEntryBytes(int v) {
            maxLargeEntryBytes = v;
            return this;
        }

        public Builder caughtUpGap(long v) {
            caughtUpGap = v;
            return this;
        }

        public Builder logSegmentBytes(long v) {
            logSegmentBytes = v;
            return this;
        }

        public Builder fatalHandler(Consumer<Throwable> v) {
            fatalHandler = v;
            return this;
        }

        public RaftNodeConfig build() {
            return new RaftNodeConfig(name, peerUrl, adminUrl, initialCluster, state, token, storageDir, heartbeat,
                    election, store, snapshotThreshold, preserved, maxEntryBytes, maxLargeEntryBytes, caughtUpGap,
                    logSegmentBytes, fatalHandler);
        }
    }
}

package io.kingbus.node;

import io.kingbus.admin.AdminServer;
import io.kingbus.admin.HttpUrl;
import io.kingbus.raft.CatchUpRoutes;
import io.kingbus.raft.RaftNode;
import io.kingbus.raft.RaftNodeConfig;
import io.kingbus.server.BinlogServerManager;
import io.kingbus.server.BinlogServerRoutes;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.RocksDbLibrary;
import io.kingbus.store.StoreOptions;
import io.kingbus.syncer.DiskGuard;
import io.kingbus.syncer.Syncer;
import io.kingbus.syncer.SyncerRoutes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One kingbus process: the binlog store, the raft node that replicates it, the syncer (leader only), the
 * binlog server, and the admin API.
 * Started from {@link NodeConfig}; closed in reverse order.
 */
public final class KingbusNode implements AutoCloseable {
    /** JVM property: the largest raft entry in bytes (0 or unset: {@code RaftNodeConfig}'s 64 MiB). */
    public static final String MAX_RAFT_ENTRY_PROPERTY = "kingbus.max-raft-entry-bytes";
    private static final Logger log = LoggerFactory.getLogger(KingbusNode.class);

    private final NodeConfig config;
    private final BinlogStore store;
    private final RaftNode raft;
    private final AdminServer admin;
    private final ScheduledExecutorService housekeeping;
    private BinlogServerManager binlogServer;
    private Syncer syncer;

    private KingbusNode(NodeConfig config, BinlogStore store, RaftNode raft, AdminServer admin,
                        ScheduledExecutorService housekeeping) {
        this.config = config;
        this.store = store;
        this.raft = raft;
        this.admin = admin;
        this.housekeeping = housekeeping;
    }

    public static KingbusNode start(NodeConfig config) throws IOException {
        Files.createDirectories(config.dataDir());
        RocksDbLibrary.loadFrom(config.dataDir().resolve("native"));
        // The raft log is the durable copy of what is applied after the last snapshot, and a snapshot syncs the
        // store before the log behind it is purged, so the store need not fsync every batch.
        StoreOptions storeOptions = StoreOptions.defaults().withFsync(false)
                .withRetention(config.reserveDataSize(), null);
        BinlogStore store = BinlogStore.open(config.dataDir().resolve("store"), storeOptions);
        RaftNode raft = null;
        AdminServer admin = null;
        BinlogServerManager binlogServer = null;
        Syncer syncer = null;
        try {
            Map<String, String> cluster = new LinkedHashMap<>();
            config.initialCluster().forEach((name, url) -> cluster.put(name, url.toString()));
            raft = new RaftNode(RaftNodeConfig.builder(config.name(), config.peerUrl().toString(),
                            config.adminUrl().toString(), store, config.dataDir().resolve("raft"))
                    .initialCluster(cluster)
                    .initialClusterState(config.initialClusterState() == NodeConfig.ClusterState.NEW
                            ? RaftNodeConfig.ClusterState.NEW : RaftNodeConfig.ClusterState.EXISTING)
                    .clusterToken(config.initialClusterToken())
                    .heartbeatInterval(config.heartbeatInterval())
                    .electionTimeout(config.electionTimeout())
                    .snapshotThreshold(config.snapshotCount())
                    // The largest raft entry (default 64 MiB); a bigger event goes in parts of this size. A JVM
                    // property, not a config key: tests shrink it to see many parts of one event.
                    .maxLargeEntryBytes(Integer.getInteger(MAX_RAFT_ENTRY_PROPERTY, 0))
                    .build());
            RaftNode node = raft;
            // Serves what the configuration declares, else again what it served before a restart (settings kept in
            // the data dir); see NodeConfig.
            NodeConfig.BinlogServerSettings declared = config.binlogServer();
            BinlogServerManager served = binlogServer = new BinlogServerManager(store, config.dataDir(),
                    declared == null ? null : new BinlogServerManager.Declared(declared.addr(), declared.user(),
                            declared.password(), declared.version()),
                    new BinlogServerManager.Tuning(config.binlogServerNice(), config.binlogServerSendBuffer()));
            admin = new AdminServer(raft, config.adminUrl(), AdminServer.Settings.defaults().withNodeName(config.name()))
                    .routes(app -> CatchUpRoutes.register(app, store, node.stateMachine()))
                    .routes(app -> BinlogServerRoutes.register(app, served))
                    .routes(app -> { if (TestProposalRoutes.enabled()) TestProposalRoutes.register(app, node); });
            // the data dir holds the store and the raft log (created by now)
            Syncer sy = syncer = new Syncer(raft, store, Syncer.Options.defaults(), DiskGuard.of(config.dataDir()));
            AdminServer ad = admin;
            admin.routes(app -> SyncerRoutes.register(app, sy, ad.forwarder(), ad.maxBodyBytes()));
            admin.start();
            raft.start();
            syncer.start();
        } catch (IOException | RuntimeException e) {
            closeQuietly(syncer);
            closeQuietly(binlogServer);
            closeQuietly(admin);
            closeQuietly(raft);
            store.close();
            throw e;
        }
        ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kingbus-housekeeping");
            t.setDaemon(true);
            return t;
        });
        KingbusNode node = new KingbusNode(config, store, raft, admin, housekeeping);
        node.binlogServer = binlogServer;
        node.syncer = syncer;
        housekeeping.scheduleWithFixedDelay(node::purgeQuietly, 1, 1, TimeUnit.MINUTES);
        log.info("kingbus node {} up: peer {}, admin {}, data {}, store executed {}", config.name(), config.peerUrl(),
                admin.url(), config.dataDir(), store.executedGtids());
        return node;
    }

    private void purgeQuietly() {
        try {
            List<String> purged = store.purge();
            if (!purged.isEmpty()) {
                log.info("retention purged {} binlog files (reserve-data-size {} bytes)", purged.size(),
                        config.reserveDataSize());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("retention purge failed: {}", e.toString());
        }
    }

    public NodeConfig config() {
        return config;
    }

    public RaftNode raft() {
        return raft;
    }

    public BinlogStore store() {
        return store;
    }

    public Syncer syncer() {
        return syncer;
    }

    public BinlogServerManager binlogServer() {
        return binlogServer;
    }

    public HttpUrl adminUrl() {
        return admin.url();
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        closeQuietly(syncer);
        closeQuietly(binlogServer);
        closeQuietly(admin);
        closeQuietly(raft);
        try {
            store.close();
        } catch (IOException e) {
            log.warn("closing the binlog store: {}", e.toString());
        }
        log.info("kingbus node {} stopped", config.name());
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("closing {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }
}

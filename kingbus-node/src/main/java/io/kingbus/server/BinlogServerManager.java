package io.kingbus.server;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.kingbus.store.BinlogStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The node's binlog server (admin-api.md §3): started and stopped through the admin API (or the node's YAML), with
 * its settings kept on the node in {@value #SETTINGS_FILE} (written atomically, readable by the owner only), so a
 * restarted node serves again without a new call. The server's server_id and server_uuid are chosen once and kept
 * there too, so replicas see the same primary identity across restarts.
 *
 * <pre>{@code
 * BinlogServerManager binlogServer = new BinlogServerManager(store, dataDir); // resumes a server left running
 * adminServer.routes(app -> BinlogServerRoutes.register(app, binlogServer));
 * ...
 * binlogServer.close(); // on shutdown: stops serving, keeps the settings
 * }</pre>
 */
public final class BinlogServerManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinlogServerManager.class);
    public static final String SETTINGS_FILE = "binlog-server.json";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /**
     * What is kept on the node. {@code running}: whether the server should serve after a restart.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Settings(@JsonProperty("addr") String addr, @JsonProperty("user") String user,
                           @JsonProperty("password") String password, @JsonProperty("server_id") long serverId,
                           @JsonProperty("server_uuid") String serverUuid,
                           @JsonProperty("server_version") String serverVersion,
                           @JsonProperty("running") boolean running) {
        /** Never prints the password. */
        @Override
        public String toString() {
            return "Settings(" + addr + ", user " + user + ", server_id " + serverId + ", running " + running + ")";
        }
    }

    private final BinlogStore store;
    private final Path settingsFile;
    private final Tuning tuning;
    private Settings settings;
    private BinlogServer server;
    private String lastError;
    private boolean closed;

    /**
     * The settings a node's configuration declares (its {@code binlog-server-*} keys).
     *
     * @param version null: the kept or default version
     */
    public record Declared(String addr, String user, String password, String version) {
        /** Never prints the password. */
        @Override
        public String toString() {
            return "Declared(" + addr + ", user " + user + ")";
        }
    }

    /**
     * How this node runs whatever binlog server it starts (node settings, not kept with the server's own: they apply
     * however the server was started).
     *
     * @param threadNice {@link BinlogServerConfig#threadNice()}
     * @param sendBuffer {@link BinlogServerConfig#sendBuffer()}
     */
    public record Tuning(int threadNice, int sendBuffer) {
        public static final Tuning DEFAULT = new Tuning(BinlogServerConfig.DEFAULT_THREAD_NICE, 0);

        public Tuning {
            BinlogServerConfig.checkThreadNice(threadNice);
            BinlogServerConfig.checkSendBuffer(sendBuffer);
        }
    }

    /**
     * Loads the settings kept in {@code dataDir} and, when they say the server was running, starts it again (a
     * failure to bind is logged and shown in {@link #status()}, not thrown: the node still starts).
     */
    public BinlogServerManager(BinlogStore store, Path dataDir) {
        this(store, dataDir, null);
    }

    /**
     * As {@link #BinlogServerManager(BinlogStore, Path)}, but when {@code declared} is not null the server starts with
     * those settings instead of the kept ones (keeping the kept server_id and server_uuid), and they are kept. A
     * failure to start is logged and shown in {@link #status()}, not thrown.
     */
    public BinlogServerManager(BinlogStore store, Path dataDir, Declared declared) {
        this(store, dataDir, declared, Tuning.DEFAULT);
    }

    /** As {@link #BinlogServerManager(BinlogStore, Path, Declared)}, with this node's {@link Tuning}. */
    public BinlogServerManager(BinlogStore store, Path dataDir, Declared declared, Tuning tuning) {
        this.tuning = Objects.requireNonNull(tuning, "tuning");
        this.store = Objects.requireNonNull(store, "store");
        this.settingsFile = dataDir.resolve(SETTINGS_FILE);
        this.settings = load();
        if (declared != null) {
            try {
                start(declared.addr(), declared.user(), declared.password(), null, null, declared.version());
                log.info("binlog server started on {} for user {} from the node's configuration", settings.addr(),
                        settings.user());
            } catch (RuntimeException e) {
                lastError = oneLine(e.getMessage());
                log.warn("binlog server configured on {} not started: {}", declared.addr(), lastError);
            }
        } else if (settings != null && settings.running()) {
            try {
                server = new BinlogServer(store, configOf(settings)).start();
                log.info("binlog server resumed on {} from {}", settings.addr(), settingsFile);
            } catch (RuntimeException e) {
                lastError = oneLine(e.getMessage());
                log.warn("binlog server not resumed: {}", lastError);
            }
        }
    }

    /**
     * Starts serving on {@code addr} ("host:port") for {@code user}/{@code password}, replacing a running server
     * with other settings (a call with the same settings is a no-op).
     *
     * @throws IllegalArgumentException for a bad address or user (the API's 400)
     * @throws IllegalStateException    when the address cannot be bound (the API's 409)
     */
    public void start(String addr, String user, String password) {
        start(addr, user, password, null, null, null);
    }

    /** As {@link #start(String, String, String)}, optionally with the server_id, server_uuid and version shown. */
    public synchronized void start(String addr, String user, String password, Long serverId, String serverUuid,
                                   String serverVersion) {
        if (closed) {
            throw new IllegalStateException("the node is shutting down");
        }
        BinlogServerConfig.HostPort hp = BinlogServerConfig.parseAddr(addr);
        long id = serverId != null ? serverId : settings != null ? settings.serverId() : 0;
        String uuid = serverUuid != null ? serverUuid : settings != null ? settings.serverUuid() : null;
        if (uuid == null) {
            uuid = UUID.randomUUID().toString();
        }
        if (id == 0) {
            id = BinlogServerConfig.defaultServerId(UUID.fromString(uuid));
        }
        String version = serverVersion != null ? serverVersion : settings != null ? settings.serverVersion() : null;
        Settings next = new Settings(hp.toString(), user, password == null ? "" : password, id, uuid, version, true);
        BinlogServerConfig config = configOf(next); // validates
        if (server != null && server.isRunning() && next.equals(settings)) {
            return;
        }
        if (server != null) {
            server.stop();
            server = null;
        }
        try {
            server = new BinlogServer(store, config).start();
            lastError = null;
        } catch (RuntimeException e) {
            lastError = oneLine(e.getMessage());
            save(new Settings(next.addr(), next.user(), next.password(), id, uuid, version, false));
            throw e;
        }
        save(next);
    }

    /** Stops serving; the settings are kept (not running), so a restarted node stays stopped. */
    public synchronized void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
        if (settings != null && settings.running()) {
            save(new Settings(settings.addr(), settings.user(), settings.password(), settings.serverId(),
                    settings.serverUuid(), settings.serverVersion(), false));
        }
        lastError = null;
    }

    public synchronized BinlogServerStatus status() {
        if (server != null) {
            return server.status();
        }
        Settings s = settings;
        var files = store.files();
        var last = files.isEmpty() ? null : files.get(files.size() - 1);
        return new BinlogServerStatus(s == null ? "" : s.addr(), s == null ? "" : s.user(),
                s == null ? "" : BinlogServerStatus.redact(s.password()), s == null ? 0 : s.serverId(),
                s == null ? "" : s.serverUuid(), s == null || s.serverVersion() == null
                ? BinlogServerConfig.DEFAULT_VERSION : s.serverVersion(), List.of(),
                BinlogServer.currentGtid(files), last == null ? "" : last.name(), last == null ? 0 : last.endPosition(),
                store.executedGtids().toString(), store.purgedGtids().toString(), 0, "stopped", lastError);
    }

    /** The running server, or null. */
    public synchronized BinlogServer server() {
        return server;
    }

    /** The settings kept on the node, or null when none. */
    public synchronized Settings settings() {
        return settings;
    }

    /** Node shutdown: stops serving without changing the kept settings (a restart resumes). */
    @Override
    public synchronized void close() {
        closed = true;
        if (server != null) {
            server.stop();
            server = null;
        }
    }

    private BinlogServerConfig configOf(Settings s) {
        BinlogServerConfig.HostPort hp = BinlogServerConfig.parseAddr(s.addr());
        return BinlogServerConfig.of(hp.host(), hp.port(), s.user(), s.password())
                .withIdentity(s.serverId(), s.serverUuid())
                .withServerVersion(s.serverVersion())
                .withThreadNice(tuning.threadNice())
                .withSendBuffer(tuning.sendBuffer());
    }

    private Settings load() {
        if (!Files.exists(settingsFile)) {
            return null;
        }
        try {
            Settings s = JSON.readValue(Files.readAllBytes(settingsFile), Settings.class);
            if (s.addr() == null || s.user() == null || s.serverUuid() == null) {
                log.warn("ignoring {}: addr, user or server_uuid missing", settingsFile);
                return null;
            }
            return s;
        } catch (IOException e) {
            log.warn("ignoring unreadable {}: {}", settingsFile, oneLine(e.getMessage()));
            return null;
        }
    }

    /** Writes the settings atomically (temp file, fsync, rename), readable by the owner only. */
    private void save(Settings s) {
        try {
            Files.createDirectories(settingsFile.getParent());
            Path tmp = settingsFile.resolveSibling(SETTINGS_FILE + ".tmp");
            Files.deleteIfExists(tmp);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(s)));
                ch.force(true);
            }
            try {
                Files.move(tmp, settingsFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, settingsFile, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel dir = FileChannel.open(settingsFile.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException e) {
                // some file systems cannot fsync a directory; the rename is still atomic
            }
            settings = s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + settingsFile + ": " + e.getMessage(), e);
        }
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.replaceAll("\\s+", " ").strip();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}

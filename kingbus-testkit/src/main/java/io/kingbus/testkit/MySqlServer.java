package io.kingbus.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real MySQL server (8.0.15 or 5.7.22) on a free loopback port, with its own temporary data directory.
 *
 * <pre>{@code
 * try (MySqlServer s = MySqlServer.builder(MySqlVersion.V8_0).serverId(1).start()) {
 *     s.execute("CREATE DATABASE d", "CREATE TABLE d.t (id INT PRIMARY KEY)", "INSERT INTO d.t VALUES (1)");
 *     s.gtidExecuted(); s.binlogFiles();
 * }
 * }</pre>
 *
 * The binaries are unpacked and a template data directory is initialized once per machine (see
 * {@link MySqlDistribution}); each server copies the template. The server runs with binary logging
 * ({@code mysql-bin.NNNNNN}), ROW format, GTIDs (unless {@code gtid(false)}) and log_slave_updates. User
 * {@code root} with an empty password may log in from anywhere; on 8.0 it uses the default
 * {@code caching_sha2_password} plugin.
 *
 * <p>mysqld runs under a small {@code sh} watchdog that kills it (and deletes the temp dir) when this JVM
 * disappears, so even a {@code kill -9} of the test JVM leaves no orphan server. A shutdown hook closes
 * servers still open at normal JVM exit.
 *
 * <p>Start takes ~0.3-0.6 s for 5.7 and ~0.6-1.7 s for 8.0 (plus a few seconds once per machine to unpack
 * and initialize the template).
 */
public final class MySqlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MySqlServer.class);

    public static final String HOST = "127.0.0.1";
    public static final String USER = "root";
    public static final String PASSWORD = "";

    private static final AtomicInteger NEXT_SERVER_ID = new AtomicInteger(1);
    private static final Set<MySqlServer> OPEN = ConcurrentHashMap.newKeySet();
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Runs "$@" (mysqld) in the background and waits for it; a sibling loop kills it with SIGKILL as soon as the
     * JVM ($1) is gone (a zombie JVM counts as gone), after which the instance dir ($2) is removed.
     */
    static final String WATCHDOG = """
            jvm=$1; dir=$2; shift 2
            alive() { [ -r "/proc/$jvm/stat" ] && read -r _ _ st _ < "/proc/$jvm/stat" && [ "$st" != Z ] && [ "$st" != X ]; }
            "$@" &
            m=$!
            ( while alive; do sleep 1; done; kill -9 "$m" 2>/dev/null ) &
            w=$!
            wait "$m"; rc=$?
            kill "$w" 2>/dev/null
            alive || rm -rf "$dir"
            exit $rc
            """;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(MySqlServer::closeAll, "kingbus-mysql-shutdown"));
    }

    private final MySqlVersion version;
    private final MySqlDistribution dist;
    private final int serverId;
    private final boolean gtid;
    private final List<String> extraArgs;
    private final Duration startupTimeout;
    private final Path dir;
    private final Path dataDir;

    private volatile int port;
    private volatile Process watchdog;
    private volatile ProcessHandle mysqld;
    private volatile String serverUuid;
    private volatile Duration lastStartDuration;
    private volatile boolean closed;

    public static Builder builder(MySqlVersion version) {
        return new Builder(version);
    }

    /** Starts a server with the defaults (GTIDs on, a JVM-unique server id). */
    public static MySqlServer start(MySqlVersion version) {
        return builder(version).start();
    }

    public static final class Builder {
        private final MySqlVersion version;
        private Integer serverId;
        private boolean gtid = true;
        private final List<String> extraArgs = new ArrayList<>();
        private Duration startupTimeout = Duration.ofSeconds(60);

        private Builder(MySqlVersion version) {
            this.version = version;
        }

        /** Default: a JVM-unique id counting from 1. */
        public Builder serverId(int serverId) {
            this.serverId = serverId;
            return this;
        }

        /** {@code --gtid-mode} and {@code --enforce-gtid-consistency} ON (default) or OFF. */
        public Builder gtid(boolean gtid) {
            this.gtid = gtid;
            return this;
        }

        /** Extra mysqld flags, appended last (so they override the defaults), e.g. {@code --max-binlog-size=4096}. */
        public Builder extraArgs(String... args) {
            extraArgs.addAll(Arrays.asList(args));
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = timeout;
            return this;
        }

        public MySqlServer start() {
            MySqlServer s = new MySqlServer(this);
            try {
                s.launch(true);
            } catch (RuntimeException e) {
                s.close();
                throw e;
            }
            return s;
        }
    }

    private MySqlServer(Builder b) {
        this.version = b.version;
        this.dist = MySqlDistribution.get(b.version);
        this.serverId = b.serverId != null ? b.serverId : NEXT_SERVER_ID.getAndIncrement();
        this.gtid = b.gtid;
        this.extraArgs = List.copyOf(b.extraArgs);
        this.startupTimeout = b.startupTimeout;
        try {
            Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
            if (tmp.toAbsolutePath().toString().length() > 60) {
                tmp = Path.of("/tmp"); // unix socket paths must stay under ~100 chars
            }
            this.dir = Files.createTempDirectory(tmp, "kbmysql-");
            this.dataDir = dir.resolve("data");
            OPEN.add(this);
            long t0 = System.nanoTime();
            MySqlDistribution.copyRecursively(dist.templateDataDir, dataDir);
            LOG.debug("Copied template datadir to {} in {} ms", dataDir,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a MySQL data directory", e);
        }
        this.port = FreePorts.take();
    }

    // ---------------------------------------------------------------- accessors

    public String host() {
        return HOST;
    }

    public int port() {
        return port;
    }

    public MySqlVersion version() {
        return version;
    }

    public int serverId() {
        return serverId;
    }

    public boolean gtidEnabled() {
        return gtid;
    }

    /** The server's data directory (binlogs live here). */
    public Path dataDir() {
        return dataDir;
    }

    /** The running mysqld's process id (for /proc figures and CPU placement in the benches). */
    public long pid() {
        ProcessHandle h = mysqld;
        if (h == null || !h.isAlive()) {
            throw new IllegalStateException(this + " is not running");
        }
        return h.pid();
    }

    /** The mysqld error log. */
    public Path errorLog() {
        return dir.resolve("error.log");
    }

    /** {@code @@server_uuid}; stable across restarts. */
    public String serverUuid() {
        return serverUuid;
    }

    /** How long the last start (or restart) took, from launching mysqld to the first successful JDBC login. */
    public Duration lastStartDuration() {
        return lastStartDuration;
    }

    public boolean isRunning() {
        ProcessHandle h = mysqld;
        return h != null && h.isAlive();
    }

    // ---------------------------------------------------------------- SQL helpers

    /** {@code jdbc:mysql://127.0.0.1:<port>/?user=root&password=&...} (no TLS, public key retrieval allowed). */
    public String jdbcUrl() {
        return jdbcUrl("");
    }

    public String jdbcUrl(String database) {
        return "jdbc:mysql://" + HOST + ":" + port + "/" + database
                + "?user=" + USER + "&password=" + PASSWORD
                + "&sslMode=DISABLED&allowPublicKeyRetrieval=true";
    }

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl());
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database));
    }

    /** Runs each statement in order on one connection. */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + this + ": " + e.getMessage(), e);
        }
    }

    /** All rows, each a column-label → value map in column order. */
    public List<Map<String, Object>> query(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            List<Map<String, Object>> rows = new ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
                rows.add(row);
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + this + ": " + e.getMessage(), e);
        }
    }

    /** First column of the first row as a string, or null when there is no row or the value is NULL. */
    public String queryString(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + this + ": " + e.getMessage(), e);
        }
    }

    /** {@code @@GLOBAL.gtid_executed} without the newlines MySQL puts between UUIDs. */
    public String gtidExecuted() {
        String s = queryString("SELECT @@GLOBAL.gtid_executed");
        return s == null ? "" : s.replace("\n", "").replace("\r", "");
    }

    /**
     * Binlog files in order: from {@code SHOW BINARY LOGS} when running, else from {@code mysql-bin.index}.
     */
    public List<Path> binlogFiles() {
        List<Path> files = new ArrayList<>();
        if (isRunning()) {
            for (Map<String, Object> row : query("SHOW BINARY LOGS")) {
                files.add(dataDir.resolve(String.valueOf(row.get("Log_name"))));
            }
            return files;
        }
        Path index = dataDir.resolve("mysql-bin.index");
        if (!Files.exists(index)) {
            return files;
        }
        try {
            for (String line : Files.readAllLines(index, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    files.add(dataDir.resolve(line.trim()).normalize());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    // ---------------------------------------------------------------- replication helpers

    /** Makes this server a GTID auto-positioning replica of {@code primary} and starts replication. */
    public void replicateFrom(MySqlServer primary) {
        replicateFrom(primary.host(), primary.port(), USER, PASSWORD);
    }

    /**
     * {@code CHANGE MASTER TO ... MASTER_AUTO_POSITION=1; START SLAVE} against any MySQL-protocol primary
     * (a MySQL server or, say, a kingbus node). On 8.0 adds {@code GET_MASTER_PUBLIC_KEY=1} so that a
     * caching_sha2_password login works without TLS.
     */
    public void replicateFrom(String host, int port, String user, String password) {
        String sql = "CHANGE MASTER TO MASTER_HOST='" + esc(host) + "', MASTER_PORT=" + port
                + ", MASTER_USER='" + esc(user) + "', MASTER_PASSWORD='" + esc(password) + "'"
                + ", MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1"
                + (version == MySqlVersion.V8_0 ? ", GET_MASTER_PUBLIC_KEY=1" : "");
        execute("STOP SLAVE", sql, "START SLAVE");
    }

    /** {@code SHOW SLAVE STATUS} (empty map when this server is not a replica). */
    public Map<String, Object> replicaStatus() {
        List<Map<String, Object>> rows = query("SHOW SLAVE STATUS");
        return rows.isEmpty() ? Map.of() : rows.get(0);
    }

    /**
     * A GTID-set column of {@link #replicaStatus()} ({@code Retrieved_Gtid_Set}, {@code Executed_Gtid_Set}) without
     * the newlines MySQL puts between UUIDs; "" when absent.
     */
    public static String gtidSetColumn(Map<String, Object> replicaStatus, String column) {
        Object v = replicaStatus.get(column);
        return v == null ? "" : v.toString().replace("\n", "").replace("\r", "");
    }

    /** Waits until {@code gtidSet} is a subset of this server's {@code gtid_executed}. */
    public void awaitGtidExecuted(String gtidSet, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException last = null;
        while (true) {
            try (Connection c = connect();
                 PreparedStatement ps = c.prepareStatement("SELECT GTID_SUBSET(?, @@GLOBAL.gtid_executed)")) {
                ps.setString(1, gtidSet);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getInt(1) == 1) {
                        return;
                    }
                }
            } catch (SQLException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                String status;
                try {
                    Map<String, Object> r = replicaStatus();
                    status = "gtid_executed=" + gtidExecuted() + ", Slave_IO_Running=" + r.get("Slave_IO_Running")
                            + ", Slave_SQL_Running=" + r.get("Slave_SQL_Running")
                            + ", Last_IO_Error=" + r.get("Last_IO_Error") + ", Last_SQL_Error=" + r.get("Last_SQL_Error");
                } catch (RuntimeException e) {
                    status = "status unavailable: " + e.getMessage();
                }
                IllegalStateException ex = new IllegalStateException(
                        this + " did not execute " + gtidSet + " within " + timeout + " (" + status + ")");
                if (last != null) {
                    ex.addSuppressed(last);
                }
                throw ex;
            }
            sleep(50);
        }
    }

    /** Waits until this server has executed everything {@code primary} has executed so far. */
    public void awaitCaughtUpWith(MySqlServer primary, Duration timeout) {
        awaitGtidExecuted(primary.gtidExecuted(), timeout);
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Clean shutdown (SIGTERM, then SIGKILL after 60 s). The data directory is kept for {@link #restart()}.
     * Like any MySQL 5.7/8.0, the server lingers ~8 s in shutdown while a replica (binlog dump thread) is
     * connected; use {@link #kill()} when a clean shutdown is not the point.
     */
    public void stop() {
        ProcessHandle h = mysqld;
        if (h != null && h.isAlive()) {
            h.destroy();
            awaitExit(h, STOP_TIMEOUT);
        }
        reapWatchdog();
    }

    /** {@code kill -9} of mysqld: no shutdown, InnoDB and binlog recovery happen at the next {@link #restart()}. */
    public void kill() {
        ProcessHandle h = mysqld;
        if (h != null && h.isAlive()) {
            h.destroyForcibly();
            awaitExit(h, Duration.ofSeconds(10));
        }
        reapWatchdog();
    }

    /** Stops the server if it runs, then starts it again on the same data directory and port. */
    public void restart() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        stop();
        launch(false);
    }

    /**
     * Deletes the server: {@code kill -9} (a clean shutdown of data about to be deleted only costs seconds;
     * call {@link #stop()} first to test one) and removes the temporary directory.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            kill();
        } finally {
            OPEN.remove(this);
            try {
                MySqlDistribution.deleteRecursively(dir);
            } catch (IOException e) {
                LOG.warn("Cannot delete {}", dir, e);
            }
        }
    }

    @Override
    public String toString() {
        return "MySQL " + version.fullVersion() + " @" + HOST + ":" + port + " (server_id=" + serverId + ", " + dir + ")";
    }

    // ---------------------------------------------------------------- internals

    List<String> mysqldArgs() {
        List<String> args = new ArrayList<>();
        args.add(dist.mysqld().toString());
        args.addAll(dist.commonArgs());
        String onOff = gtid ? "ON" : "OFF";
        args.addAll(List.of(
                "--datadir=" + dataDir,
                "--server-id=" + serverId,
                "--log-bin=mysql-bin",
                "--relay-log=relay-bin",
                "--binlog-format=ROW",
                "--log-slave-updates=ON",
                "--gtid-mode=" + onOff,
                "--enforce-gtid-consistency=" + onOff,
                "--port=" + port,
                "--bind-address=" + HOST,
                "--report-host=" + HOST,
                "--report-port=" + port,
                "--socket=" + dir.resolve("mysqld.sock"),
                "--pid-file=" + dir.resolve("mysqld.pid"),
                "--log-error=" + errorLog(),
                "--tmpdir=" + dir,
                "--max-allowed-packet=256M",
                "--skip-name-resolve",
                // Durable against a kill -9 of mysqld (writes reach the OS), just not against an OS crash.
                "--innodb-flush-log-at-trx-commit=2",
                "--sync-binlog=0"));
        if (version == MySqlVersion.V8_0) {
            args.add("--mysqlx=OFF");
        } else {
            // 8.0's defaults: crash-safe replica positions.
            args.add("--master-info-repository=TABLE");
            args.add("--relay-log-info-repository=TABLE");
        }
        args.addAll(extraArgs);
        return args;
    }

    private void launch(boolean mayChangePort) {
        for (int attempt = 1; ; attempt++) {
            long logOffset = size(errorLog());
            long t0 = System.nanoTime();
            List<String> cmd = new ArrayList<>(List.of("sh", "-c", WATCHDOG, "kingbus-mysqld-watchdog",
                    String.valueOf(ProcessHandle.current().pid()), dir.toString()));
            cmd.addAll(mysqldArgs());
            Process p;
            try {
                p = new ProcessBuilder(cmd)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mysqld.out").toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot start " + cmd, e);
            }
            watchdog = p;
            mysqld = findMysqld(p);
            String failure = awaitReady(t0 + startupTimeout.toNanos());
            if (failure == null) {
                lastStartDuration = Duration.ofNanos(System.nanoTime() - t0);
                LOG.info("Started {} in {} ms", this, lastStartDuration.toMillis());
                return;
            }
            kill();
            String log = readFrom(errorLog(), logOffset);
            String out = MySqlDistribution.tail(dir.resolve("mysqld.out"), 20);
            dist.checkLoaderError(out);
            if (mayChangePort && attempt < 3 && log.contains("Address already in use")) {
                LOG.warn("Port {} was taken, retrying {} on another port", port, version.fullVersion());
                port = FreePorts.take();
                continue;
            }
            throw new IllegalStateException("MySQL " + version.fullVersion() + " did not start: " + failure
                    + "\n--- mysqld error log (" + errorLog() + ") ---\n" + lastLines(log, 40)
                    + "\n--- mysqld output ---\n" + out);
        }
    }

    /** Returns null when JDBC login works, else why not. */
    private String awaitReady(long deadlineNanos) {
        SQLException last = null;
        while (true) {
            ProcessHandle h = mysqld;
            if (h == null || !h.isAlive()) {
                return "mysqld exited" + (watchdog.isAlive() ? "" : " with code " + watchdog.exitValue());
            }
            try (Connection c = DriverManager.getConnection(jdbcUrl() + "&connectTimeout=2000");
                 Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT @@server_uuid")) {
                rs.next();
                serverUuid = rs.getString(1);
                return null;
            } catch (SQLException e) {
                last = e;
            }
            if (System.nanoTime() > deadlineNanos) {
                return "no JDBC login within " + startupTimeout + " (last error: " + last.getMessage() + ")";
            }
            sleep(50);
        }
    }

    private static ProcessHandle findMysqld(Process watchdog) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Optional<ProcessHandle> child = watchdog.toHandle().children()
                    .filter(c -> c.info().command().map(cmd -> cmd.endsWith("/mysqld")).orElse(false))
                    .findFirst();
            if (child.isPresent()) {
                return child.get();
            }
            if (!watchdog.isAlive()) {
                return null;
            }
            sleep(10);
        }
        return null;
    }

    private void reapWatchdog() {
        Process p = watchdog;
        if (p != null) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void awaitExit(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("{} did not stop within {}, killing it", this, timeout);
            h.destroyForcibly();
            h.onExit().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            h.destroyForcibly();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Shutdown hook: SIGKILL every open server at once, then close them (deleting their dirs). */
    private static void closeAll() {
        List<MySqlServer> servers = new ArrayList<>(OPEN);
        for (MySqlServer s : servers) {
            ProcessHandle h = s.mysqld;
            if (h != null) {
                h.destroyForcibly();
            }
        }
        for (MySqlServer s : servers) {
            try {
                s.close();
            } catch (RuntimeException e) {
                // best effort at JVM exit
            }
        }
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("'", "''");
    }

    private static long size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String readFrom(Path p, long offset) {
        if (!Files.exists(p)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            long start = Math.min(offset, f.length());
            byte[] b = new byte[(int) Math.min(f.length() - start, 1 << 20)];
            f.seek(Math.max(start, f.length() - b.length));
            f.readFully(b);
            return new String(b, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "(cannot read " + p + ": " + e + ")";
        }
    }

    /** The last n lines of a mysqld log, without the long "Shutting down plugin" tail that hides the error. */
    private static String lastLines(String s, int n) {
        List<String> lines = s.lines().filter(l -> !l.contains("Shutting down plugin")).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}

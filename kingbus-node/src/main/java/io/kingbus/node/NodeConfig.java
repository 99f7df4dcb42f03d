package io.kingbus.node;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kingbus.admin.HttpUrl;
import io.kingbus.server.BinlogServerConfig;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of one kingbus node: the YAML keys of the original Go kingbus, each also settable by an
 * environment variable ({@code KINGBUS_} + the key upper-cased with '-' → '_', e.g. {@code KINGBUS_PEER_URL}), the
 * environment overriding the file. A configuration may come from the environment alone.
 *
 * <pre>
 * name                   this node's name, unique in the cluster                      (required)
 * admin-url              http://host:port of the admin API       (default http://127.0.0.1:9595)
 * peer-url               http://host:port of the raft endpoint      (default: this node's initial-cluster entry)
 * initial-cluster        name=peerURL,name2=peerURL2,... including this node            (required)
 * initial-cluster-state  new | existing (join a running cluster after POST /members)  (default new)
 * initial-cluster-token  names the raft group                          (default kingbus-cluster)
 * data-dir               where the store and the raft log live                        (required)
 * log-dir                a directory for log files                          (default: stderr only)
 * log-level              trace | debug | info | warn | error | fatal                  (default info)
 * heartbeat-interval     500ms, 2s, 1m30s, or a plain number of milliseconds          (default 500ms)
 * election-timeout       same forms; more than twice heartbeat-interval               (default 2s)
 * snapshot-count         applied raft entries between snapshots; the raft log behind a snapshot is purged
 *                        (default 10000, as etcd's key of that name)
 * metrics-addr           host:port of a separate metrics listener   (default: none; /metrics on admin-url)
 * reserve-data-size      binlog data to keep: 10GB, 512MB, 2TB...; a plain number is GB, as in the
 *                        original (default 10GB; 0 keeps everything)
 * binlog-server-addr     host:port where this node serves the binlog to replicas     (default: not configured)
 * binlog-server-user     the user replicas log in as             (required with binlog-server-addr)
 * binlog-server-password its password; pass it as KINGBUS_BINLOG_SERVER_PASSWORD      (default: none)
 * binlog-server-version  the server version replicas see          (default: the binlog server's)
 * binlog-server-nice     Linux niceness 0..19 of the binlog server's threads, so that replicas reading take the
 *                        CPU raft and apply leave                                      (default 10; 0: the node's)
 * binlog-server-send-buffer  SO_SNDBUF of each replica's connection: 256KiB, 1MiB, or bytes; bounds the kernel
 *                        memory a client holds (Linux autotunes up to 4 MiB per busy connection)
 *                                                                  (default 0: the kernel's autotuning)
 * </pre>
 *
 * <p>The binlog server keys are the YAML form of {@code PUT /binlog/server/start}. When {@code binlog-server-addr} is
 * set, the node serves with these settings at every start, whatever the admin API did before the restart: the YAML
 * (or environment) is the declared state, as the operator reconciles it, and wins over the settings the node keeps
 * in {@code binlog-server.json} (the server_id and server_uuid kept there stay, so replicas see the same primary).
 * A {@code PUT /binlog/server/start} or {@code stop} still takes effect at once, until the next start. Without
 * {@code binlog-server-addr}, the node resumes what {@code binlog-server.json} says. The password never appears
 * in logs, {@link #toString()}, {@link #describe()} or errors.
 *
 * All validation happens on construction: a bad configuration throws a {@link ConfigException} whose message is one
 * line naming the key, the problem and where the value came from.
 *
 * @param initialCluster    ordered, unmodifiable: member name → peer URL
 * @param logDir            null: log to stderr only
 * @param logLevel          a logback level name: TRACE, DEBUG, INFO, WARN or ERROR
 * @param metricsAddr       null when not set
 * @param reserveDataSize   bytes; 0 means no limit
 * @param binlogServer      the binlog server to run at start-up; null when not configured
 * @param snapshotCount     raft entries applied between two snapshots (positive)
 * @param binlogServerNice  niceness of the binlog server's threads, 0..19 (not part of {@link #binlogServer}: it also
 *                          applies to a server started through the admin API)
 * @param binlogServerSendBuffer SO_SNDBUF of the binlog server's client connections in bytes, 0 for the kernel's
 *                          autotuning (like binlogServerNice, a node setting)
 */
public record NodeConfig(String name, HttpUrl adminUrl, HttpUrl peerUrl, Map<String, HttpUrl> initialCluster,
                         ClusterState initialClusterState, String initialClusterToken, Path dataDir, Path logDir,
                         String logLevel, Duration heartbeatInterval, Duration electionTimeout, HttpUrl metricsAddr,
                         long reserveDataSize, BinlogServerSettings binlogServer, long snapshotCount,
                         int binlogServerNice, int binlogServerSendBuffer) {

    /**
     * The {@code binlog-server-*} keys.
     *
     * @param addr     host:port to listen on
     * @param user     the user replicas log in as (1..32 characters)
     * @param password its password ("" for none)
     * @param version  the version replicas see, or null for the binlog server's default
     */
    public record BinlogServerSettings(String addr, String user, String password, String version) {
        public BinlogServerSettings {
            if (addr == null || addr.isBlank()) {
                throw new ConfigException("binlog-server-addr", "missing; binlog-server-user, -password and "
                        + "-version need binlog-server-addr (host:port)");
            }
            try {
                addr = BinlogServerConfig.parseAddr(addr).toString();
            } catch (IllegalArgumentException e) {
                throw new ConfigException("binlog-server-addr", e.getMessage());
            }
            if (user == null || user.isEmpty()) {
                throw new ConfigException("binlog-server-user", "missing; the user replicas log in as is required "
                        + "with binlog-server-addr");
            }
            if (user.length() > 32) {
                throw new ConfigException("binlog-server-user", quote(user) + " is longer than 32 characters");
            }
            password = password == null ? "" : password;
            if (version != null && version.isBlank()) {
                version = null;
            }
        }

        /** Never prints the password. */
        @Override
        public String toString() {
            return "BinlogServerSettings[addr=" + addr + ", user=" + user + ", password="
                    + (password.isEmpty() ? "" : "******") + ", version=" + version + "]";
        }
    }

    /** A configuration with the default snapshot-count and binlog-server-nice. */
    public NodeConfig(String name, HttpUrl adminUrl, HttpUrl peerUrl, Map<String, HttpUrl> initialCluster,
                      ClusterState initialClusterState, String initialClusterToken, Path dataDir, Path logDir,
                      String logLevel, Duration heartbeatInterval, Duration electionTimeout, HttpUrl metricsAddr,
                      long reserveDataSize, BinlogServerSettings binlogServer) {
        this(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken, dataDir, logDir,
                logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize, binlogServer,
                DEFAULT_SNAPSHOT_COUNT, BinlogServerConfig.DEFAULT_THREAD_NICE, 0);
    }

    /** A configuration without a binlog server. */
    public NodeConfig(String name, HttpUrl adminUrl, HttpUrl peerUrl, Map<String, HttpUrl> initialCluster,
                      ClusterState initialClusterState, String initialClusterToken, Path dataDir, Path logDir,
                      String logLevel, Duration heartbeatInterval, Duration electionTimeout, HttpUrl metricsAddr,
                      long reserveDataSize) {
        this(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken, dataDir, logDir,
                logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize, null);
    }

    /** {@code initial-cluster-state}. */
    public enum ClusterState {
        /** Bootstrap a new group from initial-cluster. */
        NEW,
        /** Join a running group that already has this node as a member (added with POST /members). */
        EXISTING;

        /** The YAML spelling. */
        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final String DEFAULT_ADMIN_URL = "http://127.0.0.1:9595";
    public static final String DEFAULT_CLUSTER_TOKEN = "kingbus-cluster";
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_ELECTION_TIMEOUT = Duration.ofSeconds(2);
    public static final long DEFAULT_RESERVE_DATA_SIZE = 10L << 30;
    public static final long DEFAULT_SNAPSHOT_COUNT = 10_000;
    public static final String ENV_PREFIX = "KINGBUS_";

    /** The embedded single-node default: name and loopback endpoints. */
    public static final String EMBEDDED_NAME = "kingbus-1";
    public static final String EMBEDDED_PEER_URL = "http://127.0.0.1:9696";

    /** The binlog-server keys that tune how this node serves, not which server it runs (no address needed). */
    private static final List<String> NODE_SERVING_KEYS = List.of("binlog-server-nice", "binlog-server-send-buffer");

    /** Every key, in the order {@link #toYaml()} writes them. */
    public static final List<String> KEYS = List.of("name", "admin-url", "peer-url", "initial-cluster",
            "initial-cluster-state", "initial-cluster-token", "data-dir", "log-dir", "log-level",
            "heartbeat-interval", "election-timeout", "snapshot-count", "metrics-addr", "reserve-data-size",
            "binlog-server-addr", "binlog-server-user", "binlog-server-password", "binlog-server-version",
            "binlog-server-nice", "binlog-server-send-buffer");

    private static final Pattern NAME = Pattern.compile("[^\\s=,]{1,128}");
    private static final Map<String, String> LOG_LEVELS = Map.of("trace", "TRACE", "debug", "DEBUG", "info", "INFO",
            "warn", "WARN", "warning", "WARN", "error", "ERROR", "fatal", "ERROR");

    public NodeConfig {
        if (name == null || name.isBlank()) {
            throw new ConfigException("name", "missing; every node needs a name unique in the cluster");
        }
        if (!NAME.matcher(name).matches()) {
            throw new ConfigException("name", quote(name) + " must be 1-128 characters without whitespace, '=' or ','");
        }
        if (adminUrl == null) {
            throw new ConfigException("admin-url", "missing");
        }
        if (adminUrl.isWildcard()) {
            throw new ConfigException("admin-url", adminUrl + " is published to the other nodes; use an address "
                    + "they can reach, not " + adminUrl.host());
        }
        if (initialCluster == null || initialCluster.isEmpty()) {
            throw new ConfigException("initial-cluster", "missing; expected name=peerURL,... listing every member, "
                    + "this node included");
        }
        initialCluster = Collections.unmodifiableMap(new LinkedHashMap<>(initialCluster));
        Map<String, String> byUrl = new LinkedHashMap<>();
        for (Map.Entry<String, HttpUrl> e : initialCluster.entrySet()) {
            if (e.getKey() == null || !NAME.matcher(e.getKey()).matches()) {
                throw new ConfigException("initial-cluster", "member name " + quote(e.getKey())
                        + " must be 1-128 characters without whitespace, '=' or ','");
            }
            checkPeerUrl("initial-cluster", e.getKey() + "=", e.getValue());
            String other = byUrl.putIfAbsent(e.getValue().hostPort(), e.getKey());
            if (other != null) {
                throw new ConfigException("initial-cluster", "members " + other + " and " + e.getKey()
                        + " have the same peer address " + e.getValue().hostPort());
            }
        }
        HttpUrl own = initialCluster.get(name);
        if (own == null) {
            throw new ConfigException("initial-cluster", "has no entry for this node's name '" + name + "' (members: "
                    + String.join(", ", initialCluster.keySet()) + ")");
        }
        if (peerUrl == null) {
            peerUrl = own;
        }
        checkPeerUrl("peer-url", "", peerUrl);
        if (!peerUrl.equals(own)) {
            throw new ConfigException("peer-url", peerUrl + " does not match this node's initial-cluster entry "
                    + name + "=" + own);
        }
        if (adminUrl.hostPort().equals(peerUrl.hostPort())) {
            throw new ConfigException("admin-url", adminUrl + " is the same address as peer-url");
        }
        if (initialClusterState == null) {
            throw new ConfigException("initial-cluster-state", "missing; expected new or existing");
        }
        if (initialClusterToken == null || initialClusterToken.isBlank()) {
            throw new ConfigException("initial-cluster-token", "must not be empty");
        }
        if (dataDir == null) {
            throw new ConfigException("data-dir", "missing; the directory for the binlog store and the raft log");
        }
        if (logLevel == null || !LOG_LEVELS.containsValue(logLevel)) {
            throw new ConfigException("log-level", quote(logLevel) + " must be TRACE, DEBUG, INFO, WARN or ERROR");
        }
        if (heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new ConfigException("heartbeat-interval", "must be positive");
        }
        if (electionTimeout == null || electionTimeout.isNegative() || electionTimeout.isZero()) {
            throw new ConfigException("election-timeout", "must be positive");
        }
        if (electionTimeout.compareTo(heartbeatInterval.multipliedBy(2)) <= 0) {
            throw new ConfigException("election-timeout", formatDuration(electionTimeout)
                    + " must be more than twice heartbeat-interval (" + formatDuration(heartbeatInterval) + ")");
        }
        if (reserveDataSize < 0) {
            throw new ConfigException("reserve-data-size", "must not be negative");
        }
        if (snapshotCount < 1) {
            throw new ConfigException("snapshot-count", snapshotCount + " must be a positive number of raft entries");
        }
        if (binlogServerNice < 0 || binlogServerNice > 19) {
            throw new ConfigException("binlog-server-nice", binlogServerNice + " must be a niceness 0..19");
        }
        try {
            BinlogServerConfig.checkSendBuffer(binlogServerSendBuffer);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("binlog-server-send-buffer", e.getMessage());
        }
    }

    private static void checkPeerUrl(String key, String prefix, HttpUrl url) {
        if (url == null) {
            throw new ConfigException(key, "missing peer URL for " + prefix);
        }
        if (!url.scheme().equals("http")) {
            throw new ConfigException(key, prefix + url + ": raft traffic is plain; use http://host:port");
        }
        if (url.isWildcard()) {
            throw new ConfigException(key, prefix + url + " is published to the other nodes; use an address they "
                    + "can reach, not " + url.host());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // loading

    /** Reads a YAML file and applies the process environment on top. */
    public static NodeConfig load(Path file) {
        return load(file, System.getenv());
    }

    /**
     * Reads a YAML file (null: none) and applies {@code env} on top (unset or empty variables are ignored; variables
     * with the prefix that name no key are ignored too, the file's unknown keys are not).
     */
    public static NodeConfig load(Path file, Map<String, String> env) {
        Map<String, Raw> raw = new LinkedHashMap<>();
        if (file != null) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new ConfigException(null, "config file " + file + " does not exist");
            } catch (IOException | RuntimeException e) {
                throw new ConfigException(null, "cannot read config file " + file + ": " + e.getMessage());
            }
            readYaml(text, file.toString(), raw);
        }
        applyEnv(env, raw);
        return build(raw);
    }

    /** A configuration from the environment alone (the operator's pods). */
    public static NodeConfig fromEnv(Map<String, String> env) {
        return load(null, env);
    }

    /** Parses YAML text ({@code source} names it in errors) and applies {@code env} on top. */
    public static NodeConfig parse(String yaml, String source, Map<String, String> env) {
        Map<String, Raw> raw = new LinkedHashMap<>();
        readYaml(yaml, source, raw);
        applyEnv(env, raw);
        return build(raw);
    }

    /**
     * The configuration of {@code bin/kingbus node} without a config file: a single-node cluster on loopback
     * ({@value #EMBEDDED_NAME}, peer {@value #EMBEDDED_PEER_URL}, admin {@value #DEFAULT_ADMIN_URL}).
     */
    public static NodeConfig embeddedDefault(Path dataDir) {
        HttpUrl peer = HttpUrl.parse(EMBEDDED_PEER_URL);
        return new NodeConfig(EMBEDDED_NAME, HttpUrl.parse(DEFAULT_ADMIN_URL), peer, Map.of(EMBEDDED_NAME, peer),
                ClusterState.NEW, DEFAULT_CLUSTER_TOKEN, Objects.requireNonNull(dataDir, "dataDir"), null, "INFO",
                DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_ELECTION_TIMEOUT, null, DEFAULT_RESERVE_DATA_SIZE);
    }

    /** The environment variable for a key: {@code KINGBUS_} + upper case, '-' → '_'. */
    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** A raw value (stripped; null when blank), where it came from, and the value exactly as written. */
    private record Raw(String value, String source, String exact) {
        Raw(String written, String source) {
            this(written == null || written.isBlank() ? null : written.strip(), source, written);
        }
    }

    private static void readYaml(String text, String source, Map<String, Raw> out) {
        YAMLFactory yaml = new YAMLFactory();
        try (JsonParser p = yaml.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return; // empty file
            }
            if (t != JsonToken.START_OBJECT) {
                throw new ConfigException(null, source + " must hold 'key: value' lines (see the keys in "
                        + "etc/kingbus.yaml), not a " + describe(t));
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                String where = source + " line " + p.currentLocation().getLineNr();
                if (!KEYS.contains(key)) {
                    throw new ConfigException(key, "unknown key" + suggestion(key), where, null);
                }
                t = p.nextToken();
                if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    throw new ConfigException(key, "expected a single value, not a " + describe(t), where, null);
                }
                if (out.containsKey(key)) {
                    throw new ConfigException(key, "appears twice", where, null);
                }
                String value = t == JsonToken.VALUE_NULL ? null : p.getText();
                out.put(key, new Raw(value, where));
            }
            if (p.nextToken() != null) {
                throw new ConfigException(null, source + " holds more than one YAML document");
            }
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            String why = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().strip();
            int nl = why.indexOf('\n');
            throw new ConfigException(null, "cannot parse " + source + (line > 0 ? " line " + line : "") + ": "
                    + oneLine(nl > 0 ? why.substring(0, nl) : why));
        } catch (IOException e) {
            throw new ConfigException(null, "cannot read " + source + ": " + oneLine(e.getMessage()));
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "mapping";
            case START_ARRAY -> "list";
            default -> "single value";
        };
    }

    private static String suggestion(String key) {
        String norm = key.toLowerCase(Locale.ROOT).replace('_', '-').strip();
        for (String k : KEYS) {
            if (k.equals(norm) || k.replace("-", "").equals(norm.replace("-", ""))) {
                return "; did you mean '" + k + "'?";
            }
        }
        return " (known keys: " + String.join(", ", KEYS) + ")";
    }

    private static void applyEnv(Map<String, String> env, Map<String, Raw> raw) {
        if (env == null) {
            return;
        }
        for (String key : KEYS) {
            String var = envName(key);
            String value = env.get(var);
            if (value != null && !value.isBlank()) {
                raw.put(key, new Raw(value, "env " + var));
            }
        }
    }

    private static NodeConfig build(Map<String, Raw> raw) {
        String name = text(raw, "name");
        if (name == null) {
            throw new ConfigException("name", "missing; set name in the config file or " + envName("name"));
        }
        HttpUrl adminUrl = value(raw, "admin-url", NodeConfig::parseUrl, HttpUrl.parse(DEFAULT_ADMIN_URL));
        HttpUrl peerUrl = value(raw, "peer-url", NodeConfig::parseUrl, null);
        Map<String, HttpUrl> cluster = value(raw, "initial-cluster", NodeConfig::parseInitialCluster, null);
        ClusterState state = value(raw, "initial-cluster-state", NodeConfig::parseState, ClusterState.NEW);
        String token = value(raw, "initial-cluster-token", s -> s, DEFAULT_CLUSTER_TOKEN);
        Path dataDir = value(raw, "data-dir", NodeConfig::parsePath, null);
        Path logDir = value(raw, "log-dir", NodeConfig::parsePath, null);
        String logLevel = value(raw, "log-level", NodeConfig::parseLogLevel, "INFO");
        Duration heartbeat = value(raw, "heartbeat-interval", NodeConfig::parseDuration, DEFAULT_HEARTBEAT_INTERVAL);
        Duration election = value(raw, "election-timeout", NodeConfig::parseDuration, DEFAULT_ELECTION_TIMEOUT);
        HttpUrl metrics = value(raw, "metrics-addr", NodeConfig::parseHostPort, null);
        long reserve = value(raw, "reserve-data-size", NodeConfig::parseSize, DEFAULT_RESERVE_DATA_SIZE);
        long snapshotCount = value(raw, "snapshot-count", NodeConfig::parseCount, DEFAULT_SNAPSHOT_COUNT);
        int binlogServerNice = value(raw, "binlog-server-nice", NodeConfig::parseNice,
                BinlogServerConfig.DEFAULT_THREAD_NICE);
        int binlogServerSendBuffer = value(raw, "binlog-server-send-buffer", NodeConfig::parseSendBuffer, 0);
        try {
            BinlogServerSettings binlogServer = null;
            if (raw.keySet().stream().anyMatch(k -> k.startsWith("binlog-server-") && !NODE_SERVING_KEYS.contains(k)
                    && text(raw, k) != null)) {
                binlogServer = new BinlogServerSettings(text(raw, "binlog-server-addr"),
                        text(raw, "binlog-server-user"), rawText(raw, "binlog-server-password"),
                        text(raw, "binlog-server-version"));
            }
            return new NodeConfig(name, adminUrl, peerUrl, cluster, state, token, dataDir, logDir, logLevel,
                    heartbeat, election, metrics, reserve, binlogServer, snapshotCount, binlogServerNice,
                    binlogServerSendBuffer);
        } catch (ConfigException e) {
            Raw r = e.key() == null ? null : raw.get(e.key());
            throw e.withSource(r == null ? null : r.source());
        }
    }

    private static String text(Map<String, Raw> raw, String key) {
        Raw r = raw.get(key);
        return r == null ? null : r.value();
    }

    /** A value as written, surrounding spaces included (a password). */
    private static String rawText(Map<String, Raw> raw, String key) {
        Raw r = raw.get(key);
        return r == null ? null : r.exact();
    }

    private interface Parser<T> {
        T parse(String text);
    }

    private static <T> T value(Map<String, Raw> raw, String key, Parser<T> parser, T dflt) {
        Raw r = raw.get(key);
        if (r == null || r.value() == null) {
            return dflt;
        }
        try {
            return parser.parse(r.value());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage(), r.source(), e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // value syntaxes (each throws IllegalArgumentException with a reason that quotes the input)

    private static HttpUrl parseUrl(String s) {
        try {
            return HttpUrl.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(quote(s) + " " + e.getMessage());
        }
    }

    /** {@code host:port} or {@code http://host:port}. */
    private static HttpUrl parseHostPort(String s) {
        try {
            return HttpUrl.parse(s.contains("://") ? s : "http://" + s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(quote(s) + " must be host:port");
        }
    }

    /** {@code name=http://host:port,name2=http://host:port}; one URL per name. */
    public static Map<String, HttpUrl> parseInitialCluster(String s) {
        Map<String, HttpUrl> out = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String entry = part.strip();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("entry " + quote(entry) + " is not name=http://host:port");
            }
            String name = entry.substring(0, eq).strip();
            String url = entry.substring(eq + 1).strip();
            HttpUrl parsed;
            try {
                parsed = HttpUrl.parse(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("peer URL of " + name + " " + quote(url) + " " + e.getMessage());
            }
            if (out.put(name, parsed) != null) {
                throw new IllegalArgumentException("member " + name + " appears twice");
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(quote(s) + " lists no member; expected name=http://host:port,...");
        }
        return out;
    }

    private static ClusterState parseState(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "new" -> ClusterState.NEW;
            case "existing" -> ClusterState.EXISTING;
            default -> throw new IllegalArgumentException(quote(s) + " must be new or existing");
        };
    }

    private static Path parsePath(String s) {
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(quote(s) + " is not a valid path: " + e.getReason());
        }
    }

    private static String parseLogLevel(String s) {
        String level = LOG_LEVELS.get(s.toLowerCase(Locale.ROOT));
        if (level == null) {
            throw new IllegalArgumentException(quote(s) + " must be one of debug, info, warn, error, fatal (or trace)");
        }
        return level;
    }

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h)");
    private static final Pattern PLAIN_NUMBER = Pattern.compile("\\d+(?:\\.\\d+)?");

    /**
     * A duration as Go and etcd users write it: {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 1m30s} (units ns, us,
     * ms, s, m, h), or a plain number of milliseconds ({@code 200}). Must be positive.
     */
    public static Duration parseDuration(String text) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        String hint = " is not a duration; write e.g. 500ms, 2s, 1m30s or a number of milliseconds";
        BigDecimal nanos;
        if (PLAIN_NUMBER.matcher(s).matches()) {
            nanos = new BigDecimal(s).multiply(BigDecimal.valueOf(1_000_000));
        } else {
            nanos = BigDecimal.ZERO;
            Matcher m = DURATION_PART.matcher(s);
            int pos = 0;
            while (pos < s.length()) {
                m.region(pos, s.length());
                if (!m.lookingAt()) {
                    throw new IllegalArgumentException(quote(text) + hint);
                }
                long unit = switch (m.group(2)) {
                    case "ns" -> 1L;
                    case "us", "µs", "μs" -> 1_000L;
                    case "ms" -> 1_000_000L;
                    case "s" -> 1_000_000_000L;
                    case "m" -> 60_000_000_000L;
                    default -> 3_600_000_000_000L; // h
                };
                nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
                pos = m.end();
            }
            if (s.isEmpty()) {
                throw new IllegalArgumentException(quote(text) + hint);
            }
        }
        BigInteger n = nanos.setScale(0, RoundingMode.DOWN).toBigInteger();
        if (n.signum() <= 0) {
            throw new IllegalArgumentException(quote(text) + " must be positive");
        }
        if (n.bitLength() > 62) {
            throw new IllegalArgumentException(quote(text) + " is too long");
        }
        return Duration.ofNanos(n.longValue());
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]i?b?|b)?",
            Pattern.CASE_INSENSITIVE);

    /** A plain positive integer, e.g. {@code snapshot-count: 10000}. */
    public static long parseCount(String text) {
        try {
            long n = Long.parseLong(text.trim().replace("_", ""));
            if (n < 1) {
                throw new IllegalArgumentException(quote(text) + " must be a positive whole number");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(quote(text) + " must be a positive whole number");
        }
    }

    /** A niceness, 0 (the node's priority) to 19 (the lowest). */
    public static int parseNice(String text) {
        try {
            int n = Integer.parseInt(text.strip());
            if (n >= 0 && n <= 19) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the same message as out of range
        }
        throw new IllegalArgumentException(quote(text) + " must be a niceness 0..19");
    }

    /**
     * A socket buffer size: {@code 256KiB}, {@code 1MiB}, or a plain number of bytes; 0 for the kernel's autotuning,
     * else {@link BinlogServerConfig#MIN_SEND_BUFFER} to {@link BinlogServerConfig#MAX_SEND_BUFFER} bytes.
     */
    public static int parseSendBuffer(String text) {
        String s = text == null ? "" : text.strip();
        try {
            return BinlogServerConfig.checkSendBuffer(s.matches("\\d{1,12}") ? Long.parseLong(s) : parseSize(s));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(quote(text) + " must be 0 (the kernel's autotuning) or a size from "
                    + BinlogServerConfig.MIN_SEND_BUFFER / 1024 + "KiB to " + (BinlogServerConfig.MAX_SEND_BUFFER >> 20)
                    + "MiB, e.g. 256KiB");
        }
    }

    /**
     * A size in bytes: {@code 10GB}, {@code 512MB}, {@code 1.5TiB}, {@code 4096B} (K, M, G, T, P with or without
     * "B"/"iB", all powers of 1024). A plain number means GB, as {@code reserve-data-size} did in the original.
     */
    public static long parseSize(String text) {
        String s = text == null ? "" : text.strip();
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(quote(text) + " is not a size; write e.g. 10GB or 512MB "
                    + "(a plain number means GB)");
        }
        String unit = m.group(2) == null ? "g" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'b' -> 0;
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 50; // p
        };
        BigInteger bytes = new BigDecimal(m.group(1)).multiply(new BigDecimal(BigInteger.ONE.shiftLeft(shift)))
                .setScale(0, RoundingMode.DOWN).toBigInteger();
        if (bytes.bitLength() > 62) {
            throw new IllegalArgumentException(quote(text) + " is too large");
        }
        return bytes.longValue();
    }

    // ---------------------------------------------------------------------------------------------------------
    // derived values

    public boolean isNewCluster() {
        return initialClusterState == ClusterState.NEW;
    }

    public String peerHost() {
        return peerUrl.host();
    }

    public int peerPort() {
        return peerUrl.port();
    }

    /** {@code host:port} of the raft endpoint, as Ratis takes it. */
    public String peerAddress() {
        return peerUrl.hostPort();
    }

    public String adminHost() {
        return adminUrl.host();
    }

    public int adminPort() {
        return adminUrl.port();
    }

    /** A copy with another data directory. */
    public NodeConfig withDataDir(Path dir) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken, dir,
                logDir, logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize, binlogServer,
                snapshotCount, binlogServerNice, binlogServerSendBuffer);
    }

    /** A copy with another initial-cluster-state. */
    public NodeConfig withInitialClusterState(ClusterState state) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, state, initialClusterToken, dataDir,
                logDir, logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize, binlogServer,
                snapshotCount, binlogServerNice, binlogServerSendBuffer);
    }

    /** A copy with other raft timings. */
    public NodeConfig withTimings(Duration heartbeat, Duration election) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken,
                dataDir, logDir, logLevel, heartbeat, election, metricsAddr, reserveDataSize, binlogServer,
                snapshotCount, binlogServerNice, binlogServerSendBuffer);
    }

    /** A copy with another binlog server (null: none). */
    public NodeConfig withBinlogServer(BinlogServerSettings settings) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken,
                dataDir, logDir, logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize, settings,
                snapshotCount, binlogServerNice, binlogServerSendBuffer);
    }

    /** A copy with another snapshot-count. */
    public NodeConfig withSnapshotCount(long count) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken,
                dataDir, logDir, logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize,
                binlogServer, count, binlogServerNice, binlogServerSendBuffer);
    }

    /** A copy with another binlog-server-nice. */
    public NodeConfig withBinlogServerNice(int nice) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken,
                dataDir, logDir, logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize,
                binlogServer, snapshotCount, nice, binlogServerSendBuffer);
    }

    /** A copy with another binlog-server-send-buffer. */
    public NodeConfig withBinlogServerSendBuffer(int bytes) {
        return new NodeConfig(name, adminUrl, peerUrl, initialCluster, initialClusterState, initialClusterToken,
                dataDir, logDir, logLevel, heartbeatInterval, electionTimeout, metricsAddr, reserveDataSize,
                binlogServer, snapshotCount, binlogServerNice, bytes);
    }

    /** {@code initial-cluster} as written in YAML: {@code name=http://host:port,...}. */
    public String initialClusterText() {
        List<String> parts = new ArrayList<>();
        initialCluster.forEach((n, u) -> parts.add(n + "=" + u));
        return String.join(",", parts);
    }

    /** The configuration as a YAML file that {@link #load} reads back to an equal value. */
    public String toYaml() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("name", name);
        out.put("admin-url", adminUrl.toString());
        out.put("peer-url", peerUrl.toString());
        out.put("initial-cluster", initialClusterText());
        out.put("initial-cluster-state", initialClusterState.text());
        out.put("initial-cluster-token", initialClusterToken);
        out.put("data-dir", dataDir.toString());
        if (logDir != null) {
            out.put("log-dir", logDir.toString());
        }
        out.put("log-level", logLevel.toLowerCase(Locale.ROOT));
        out.put("heartbeat-interval", formatDuration(heartbeatInterval));
        out.put("election-timeout", formatDuration(electionTimeout));
        out.put("snapshot-count", Long.toString(snapshotCount));
        if (metricsAddr != null) {
            out.put("metrics-addr", metricsAddr.hostPort());
        }
        out.put("reserve-data-size", reserveDataSize + "B");
        if (binlogServer != null) {
            // the password too: the file is this configuration, read back by load() (not a log)
            out.put("binlog-server-addr", binlogServer.addr());
            out.put("binlog-server-user", binlogServer.user());
            if (!binlogServer.password().isEmpty()) {
                out.put("binlog-server-password", binlogServer.password());
            }
            if (binlogServer.version() != null) {
                out.put("binlog-server-version", binlogServer.version());
            }
        }
        out.put("binlog-server-nice", Integer.toString(binlogServerNice));
        out.put("binlog-server-send-buffer", binlogServerSendBuffer + "B");
        try {
            return YAMLMapper.builder()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .build()
                    .writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line for the startup log. */
    public String describe() {
        return "name=" + name + " peer-url=" + peerUrl + " admin-url=" + adminUrl + " initial-cluster-state="
                + initialClusterState.text() + " members=" + initialCluster.size() + " token=" + initialClusterToken
                + " data-dir=" + dataDir + " heartbeat=" + formatDuration(heartbeatInterval) + " election-timeout="
                + formatDuration(electionTimeout) + " snapshot-count=" + snapshotCount
                + " reserve-data-size=" + reserveDataSize + " binlog-server-nice=" + binlogServerNice
                + " binlog-server-send-buffer=" + (binlogServerSendBuffer == 0 ? "autotuned" : binlogServerSendBuffer)
                + (binlogServer == null ? "" : " binlog-server-addr=" + binlogServer.addr() + " binlog-server-user="
                + binlogServer.user());
    }

    /** {@code 2s}, {@code 500ms}, {@code 1500us}, {@code 7ns}: the shortest exact form. */
    public static String formatDuration(Duration d) {
        long nanos = d.toNanos();
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos % 1_000L == 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + oneLine(s) + "'";
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").strip();
    }
}

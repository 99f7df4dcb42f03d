package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.admin.HttpUrl;
import io.kingbus.gtid.GtidSet;
import io.kingbus.node.NodeConfig;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One kingbus node running as its own JVM ({@code KingbusMain node --config <yaml>}, test routes on). Its
 * directory, ports and config survive {@link #kill()} / {@link #stop()} and {@link #start()} again; its stdout and
 * stderr are appended to {@code <dir>/node.log} across restarts.
 */
public final class NodeProcess {
    public final String name;
    public final Path dir;
    private final ClusterHarness harness;
    private String peerUrl;
    private final String adminUrl;
    private Map<String, String> initialCluster;
    private NodeConfig.ClusterState state;
    private Process process;
    private int starts;
    private long lastStartNanos;

    NodeProcess(ClusterHarness harness, String name, Path dir, String peerUrl, String adminUrl,
                Map<String, String> initialCluster, NodeConfig.ClusterState state) {
        this.harness = harness;
        this.name = name;
        this.dir = dir;
        this.peerUrl = peerUrl;
        this.adminUrl = adminUrl;
        this.initialCluster = new LinkedHashMap<>(initialCluster);
        this.state = state;
    }

    public String peerUrl() {
        return peerUrl;
    }

    public String adminUrl() {
        return adminUrl;
    }

    public Path dataDir() {
        return dir.resolve("data");
    }

    /** Where the store keeps its binlog files. */
    public Path binlogDir() {
        return dataDir().resolve("store").resolve("binlog");
    }

    public Path raftDir() {
        return dataDir().resolve("raft");
    }

    public Path log() {
        return dir.resolve("node.log");
    }

    public Path configFile() {
        return dir.resolve("kingbus.yaml");
    }

    /** Changes the peer URL for the next start (PUT /members first); initial-cluster follows. */
    public void setPeerUrl(String url) {
        initialCluster.put(name, url);
        peerUrl = url;
    }

    public void setInitialCluster(Map<String, String> cluster, NodeConfig.ClusterState state) {
        this.initialCluster = new LinkedHashMap<>(cluster);
        this.state = state;
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        return process == null ? -1 : process.pid();
    }

    /** The node's config as the YAML it is started with (built through NodeConfig, so it validates). */
    String yaml() {
        Map<String, HttpUrl> cluster = new LinkedHashMap<>();
        initialCluster.forEach((n, u) -> cluster.put(n, HttpUrl.parse(u)));
        NodeConfig c = new NodeConfig(name, HttpUrl.parse(adminUrl), HttpUrl.parse(peerUrl), cluster, state,
                harness.options.token(), dataDir(), null, "INFO", harness.options.heartbeat(),
                harness.options.electionTimeout(), null, 0).withBinlogServerNice(harness.options.binlogServerNice())
                .withBinlogServerSendBuffer(harness.options.binlogServerSendBuffer());
        return c.toYaml();
    }

    /** Starts the JVM (not waiting for anything). */
    public synchronized NodeProcess start() throws IOException {
        if (alive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        Files.createDirectories(dir);
        Files.writeString(configFile(), yaml(), StandardCharsets.UTF_8);
        starts++;
        Files.writeString(log(), "\n===== [harness] start #" + starts + " of " + name + " at " + Instant.now()
                        + " peer " + peerUrl + " admin " + adminUrl + " state " + state + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(harness.options.jvmArgs());
        cmd.add("-Dkingbus.test-routes=true");
        cmd.add("-cp");
        cmd.add(harness.childClasspath());
        cmd.add("io.kingbus.node.KingbusMain");
        cmd.add("node");
        cmd.add("--config");
        cmd.add(configFile().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("KINGBUS_")); // env would override the YAML
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        process = pb.start();
        lastStartNanos = System.nanoTime();
        ClusterHarness.track(process);
        return this;
    }

    /** kill -9, and wait until the process is gone. */
    public synchronized void kill() throws InterruptedException {
        if (process == null) {
            return;
        }
        note("kill -9");
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        ClusterHarness.untrack(process);
    }

    /** SIGTERM (the node closes itself in its shutdown hook), and wait; kill -9 after 30 s. Returns the exit code. */
    public synchronized int stop() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return process == null ? -1 : process.exitValue();
        }
        note("SIGTERM");
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            note("still running 30 s after SIGTERM: kill -9");
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        ClusterHarness.untrack(process);
        return process.exitValue();
    }

    /** A line in the node's log, from the harness. */
    void note(String what) {
        try {
            Files.writeString(log(), "===== [harness] " + Instant.now() + " " + name + ": " + what + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // diagnostics only
        }
    }

    /** Seconds since the last start. */
    public double upSeconds() {
        return (System.nanoTime() - lastStartNanos) / 1e9;
    }

    // ------------------------------------------------------------------ admin API

    private static final Duration CALL = Duration.ofSeconds(10);

    public Http.Reply get(String path) throws IOException, InterruptedException {
        return Http.get(adminUrl, path, CALL);
    }

    public Http.Reply send(String method, String path, String jsonBody) throws IOException, InterruptedException {
        return Http.json(method, adminUrl, path, jsonBody, Duration.ofSeconds(40));
    }

    /**
     * Waits until this node's store has every GTID of {@code want}: true once it has, false after {@code timeout}.
     * The node does the waiting (GET /internal/test/store?waitFor=), so that waiting costs it no polls; a node that
     * does not answer (restarting) is asked again until the timeout.
     */
    public boolean awaitExecuted(GtidSet want, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                return false;
            }
            try {
                Http.Reply r = storeWaitingFor(want, Math.min(leftMs, 600_000));
                if (r.status() == 400) {
                    throw new IllegalArgumentException("GET /internal/test/store?waitFor=: " + r.message());
                }
                if (r.ok() && GtidSet.parse(r.data().path("executed").asText()).containsAll(want)) {
                    return true;
                }
                if (!r.ok()) {
                    Thread.sleep(100);
                }
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
    }

    /** {@link #awaitExecuted}, failing with IllegalStateException when the store lacks {@code want} at the timeout. */
    public void awaitExecutedOrFail(GtidSet want, Duration timeout) throws InterruptedException {
        if (!awaitExecuted(want, timeout)) {
            throw new IllegalStateException("timed out after " + timeout + " waiting for " + this
                    + "'s store to have " + want);
        }
    }

    /** GET /internal/test/store?waitFor=: answered once the store has {@code want}, or after {@code timeoutMs}. */
    public Http.Reply storeWaitingFor(GtidSet want, long timeoutMs) throws IOException, InterruptedException {
        return Http.get(adminUrl, "/internal/test/store?waitFor=" + URLEncoder.encode(want.toString(),
                StandardCharsets.UTF_8) + "&timeoutMs=" + timeoutMs, Duration.ofMillis(timeoutMs).plusSeconds(10));
    }

    /** GET /cluster's data, or null when the node does not answer. */
    public JsonNode clusterOrNull() {
        try {
            Http.Reply r = get("/cluster");
            return r.ok() ? r.data() : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /** GET /internal/test/store's data, or null when the node does not answer. */
    public JsonNode storeOrNull() {
        try {
            Http.Reply r = get("/internal/test/store");
            return r.ok() ? r.data() : null;
        } catch (IOException | InterruptedException e) {
            return null;
        }
    }

    /** A Prometheus sample's value from GET /metrics (NaN when absent or the node does not answer). */
    public double metric(String name) {
        try {
            Http.Reply r = get("/metrics");
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // not answering
        }
        return Double.NaN;
    }

    /** The last lines of the node's log. */
    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log(), StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Whether the node's log contains the text (e.g. a catch-up line). */
    public boolean logContains(String text) {
        try {
            return Files.readString(log(), StandardCharsets.ISO_8859_1).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return name;
    }
}

package io.kingbus.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.util.JavalinLogger;
import io.kingbus.raft.ClusterControl;
import io.kingbus.raft.Member;
import io.kingbus.raft.MembershipException;
import io.kingbus.raft.RaftNodeStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The node's admin HTTP API (admin-api.md): raft membership (§1), health, readiness and Prometheus metrics.
 * Every answer is the envelope {@code {"message": ..., "data": ...}} (see {@link Envelope}). Other components add
 * their routes with {@link #routes(Consumer)} before {@link #start()}; they may throw {@link ApiException} and use
 * {@link #forwarder()} for leader-only operations.
 *
 * <pre>
 * GET    /cluster   members, Id as hex string, isLeader          (answered locally)
 * GET    /members   members, Id as unsigned 64-bit number        (answered locally)
 * POST   /members   {name, peer_url, admin_url?}                  leader only; followers forward
 * DELETE /members   {name, peer_url}                              leader only; followers forward
 * PUT    /members   {name, new_peer_url}                          leader only; followers forward
 * GET    /health    200 while the process is up; 503 when only a restart can bring the node back
 * GET    /ready     200 when a caught-up member of a group with a leader, else 503 with the reason
 * GET    /metrics   Prometheus text format
 * </pre>
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    static {
        // no "Javalin started / Listening on / your version is N days old" lines: we log one line of our own
        JavalinLogger.startupInfo = false;
    }

    /**
     * Tunables.
     *
     * @param nodeName              this node's name (sent when forwarding; null: taken from {@code status()})
     * @param maxBodyBytes          request bodies larger than this get 413
     * @param forwardConnectTimeout bound on connecting to the leader when forwarding
     * @param forwardTimeout        bound on a whole forwarded exchange
     * @param maxThreads            HTTP worker threads
     */
    public record Settings(String nodeName, int maxBodyBytes, Duration forwardConnectTimeout,
                           Duration forwardTimeout, int maxThreads) {
        public Settings {
            if (maxBodyBytes < 1) {
                throw new IllegalArgumentException("maxBodyBytes must be positive");
            }
            Objects.requireNonNull(forwardConnectTimeout, "forwardConnectTimeout");
            Objects.requireNonNull(forwardTimeout, "forwardTimeout");
            if (maxThreads < 4) {
                throw new IllegalArgumentException("maxThreads must be at least 4");
            }
        }

        public static Settings defaults() {
            return new Settings(null, RequestBodies.DEFAULT_MAX_BYTES, Duration.ofSeconds(3),
                    Duration.ofSeconds(30), 32);
        }

        public Settings withNodeName(String name) {
            return new Settings(name, maxBodyBytes, forwardConnectTimeout, forwardTimeout, maxThreads);
        }

        public Settings withMaxBodyBytes(int bytes) {
            return new Settings(nodeName, bytes, forwardConnectTimeout, forwardTimeout, maxThreads);
        }

        public Settings withForwardTimeouts(Duration connect, Duration total) {
            return new Settings(nodeName, maxBodyBytes, connect, total, maxThreads);
        }
    }

    private final ClusterControl control;
    private final String host;
    private final int requestedPort;
    private final Settings settings;
    private final AdminMetrics metrics;
    private final LeaderForwarder forwarder;
    private final Javalin app;
    private boolean started;
    private int boundPort;
    private boolean closed;

    /** Serves on {@code host:port} (port 0: any free port, see {@link #port()}) with default settings. */
    public AdminServer(ClusterControl control, String host, int port) {
        this(control, host, port, Settings.defaults());
    }

    /** Serves on the host and port of the node's {@code admin-url}. */
    public AdminServer(ClusterControl control, HttpUrl adminUrl, Settings settings) {
        this(control, adminUrl.host(), adminUrl.port(), settings);
    }

    public AdminServer(ClusterControl control, String host, int port, Settings settings) {
        this.control = Objects.requireNonNull(control, "control");
        this.host = Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535");
        }
        this.requestedPort = port;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.metrics = new AdminMetrics(control);
        this.forwarder = new LeaderForwarder(control,
                () -> settings.nodeName() != null ? settings.nodeName() : selfName(),
                settings.forwardConnectTimeout(), settings.forwardTimeout());
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.router.ignoreTrailingSlashes = true;
            QueuedThreadPool pool = new QueuedThreadPool(settings.maxThreads(), 2, 60_000);
            pool.setName("kingbus-admin");
            config.jetty.threadPool = pool;
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            // answer at once (e.g. 413 for a declared oversized body) instead of waiting for body bytes
            config.jetty.modifyHttpConfiguration(http -> {
                http.setDelayDispatchUntilContent(false);
                http.setSendServerVersion(false);
            });
        });
        installErrorHandling();
        installRoutes();
    }

    /** Lets another component mount routes (e.g. the raft catch-up routes, the syncer's §2 routes). */
    public AdminServer routes(Consumer<Javalin> registrar) {
        registrar.accept(app);
        return this;
    }

    /** The Javalin app, for components that need more than {@link #routes(Consumer)}. */
    public Javalin app() {
        return app;
    }

    /** Where other components register their own meters (served by {@code GET /metrics}). */
    public PrometheusMeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /** Forwards leader-only requests to the leader; for routes mounted by other components. */
    public LeaderForwarder forwarder() {
        return forwarder;
    }

    /** The request-body cap, for routes mounted by other components ({@link RequestBodies#read}). */
    public int maxBodyBytes() {
        return settings.maxBodyBytes();
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException with a one-line reason when the address cannot be bound
     */
    public synchronized AdminServer start() {
        if (closed) {
            throw new IllegalStateException("admin server is closed");
        }
        if (!started) {
            try {
                app.start(host, requestedPort);
            } catch (RuntimeException e) {
                Throwable root = e;
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                throw new IllegalStateException("admin API cannot listen on " + host + ":" + requestedPort + ": "
                        + RequestBodies.oneLine(root.getMessage()), e);
            }
            started = true;
            boundPort = app.port();
            LOG.info("admin API listening on {}", url());
        }
        return this;
    }

    /** The port actually bound (after {@link #start()}); the requested port before. */
    public int port() {
        return started ? boundPort : requestedPort;
    }

    public String host() {
        return host;
    }

    /** {@code http://host:port} of this server (after {@link #start()}: port 0 is no URL). */
    public HttpUrl url() {
        return new HttpUrl("http", host, port());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            app.stop();
        } finally {
            metrics.close();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void installErrorHandling() {
        app.exception(ApiException.class, (e, ctx) -> Envelope.fail(ctx, e.status(), e.getMessage()));
        app.exception(HttpResponseException.class, (e, ctx) -> {
            String what = ctx.req().getMethod() + " " + ctx.path();
            String reason = switch (e.getStatus()) {
                case 404 -> "not found: " + what;
                case 405 -> "method not allowed: " + what;
                case 413 -> "request body too large: limit " + settings.maxBodyBytes() + " bytes";
                default -> e.getMessage() == null || e.getMessage().isBlank()
                        ? "HTTP " + e.getStatus() : RequestBodies.oneLine(e.getMessage());
            };
            Envelope.fail(ctx, e.getStatus(), reason);
        });
        app.exception(Exception.class, (e, ctx) -> {
            LOG.warn("admin {} {} failed", ctx.req().getMethod(), ctx.path(), e);
            Envelope.fail(ctx, 500, "internal error: " + describe(e));
        });
    }

    private void installRoutes() {
        app.get("/cluster", ctx -> Envelope.ok(ctx, MemberJson.cluster(control.members())));
        app.get("/members", ctx -> Envelope.ok(ctx, MemberJson.members(control.members())));
        app.post("/members", this::addMember);
        app.delete("/members", this::removeMember);
        app.put("/members", this::updateMember);
        app.get("/health", this::health);
        app.get("/ready", this::ready);
        app.get("/metrics", ctx -> {
            ctx.status(200);
            ctx.contentType(PROMETHEUS_TEXT);
            ctx.result(metrics.scrape());
        });
    }

    /** A leader-only membership change: validates, calls the raft node, forwards on NOT_LEADER, logs one line. */
    private interface Change {
        List<Member> apply() throws MembershipException;
    }

    private void addMember(Context ctx) {
        membershipRequest(ctx, "add", (req, what) -> {
            String name = field(req, "name", what);
            HttpUrl peerUrl = RequestBodies.url("peer_url", field(req, "peer_url", what));
            String admin = RequestBodies.optionalText(req, "admin_url");
            if (admin != null) {
                what.append(" admin_url=").append(RequestBodies.oneLine(admin));
            }
            HttpUrl adminUrl = admin == null ? null : RequestBodies.url("admin_url", admin);
            return () -> control.addMember(name, peerUrl.toString(), adminUrl == null ? null : adminUrl.toString());
        });
    }

    private void removeMember(Context ctx) {
        membershipRequest(ctx, "remove", (req, what) -> {
            String name = field(req, "name", what);
            HttpUrl peerUrl = RequestBodies.url("peer_url", field(req, "peer_url", what));
            return () -> control.removeMember(name, peerUrl.toString());
        });
    }

    private void updateMember(Context ctx) {
        membershipRequest(ctx, "update", (req, what) -> {
            String name = field(req, "name", what);
            HttpUrl peerUrl = RequestBodies.url("new_peer_url", field(req, "new_peer_url", what));
            return () -> control.updateMember(name, peerUrl.toString());
        });
    }

    /** Turns a parsed body into a change, noting each field it reads in {@code what} for the log line. */
    private interface ChangeParser {
        Change parse(ObjectNode req, StringBuilder what);
    }

    /** A required field, appended to the log line as {@code key=value} once read. */
    private static String field(ObjectNode req, String key, StringBuilder what) {
        String value = RequestBodies.requiredText(req, key);
        what.append(' ').append(key).append('=').append(RequestBodies.oneLine(value));
        return value;
    }

    /** Reads and parses the body, runs the change, and logs one line whatever the outcome. */
    private void membershipRequest(Context ctx, String verb, ChangeParser parser) {
        byte[] body = RequestBodies.read(ctx, settings.maxBodyBytes());
        StringBuilder what = new StringBuilder(verb);
        try {
            Change change = parser.parse(RequestBodies.parseObject(body), what);
            change(ctx, body, what.toString(), change);
        } catch (ApiException e) {
            logOutcome(what.toString(), e.status(), e.logReason());
            throw e;
        }
    }

    private void change(Context ctx, byte[] body, String what, Change change) {
        List<Member> members;
        try {
            members = change.apply();
        } catch (MembershipException e) {
            if (e.kind() == MembershipException.Kind.NOT_LEADER) {
                LeaderForwarder.Outcome o = forwarder.forward(ctx, body);
                LOG.info("membership {}: forwarded to leader {} at {}: HTTP {}", what, o.leaderName(), o.leaderUrl(),
                        o.status());
                return;
            }
            throw new ApiException(status(e.kind()), e.getMessage() == null ? e.kind().name() : e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("membership {}: failed", what, e);
            throw new ApiException(500, "internal error: " + describe(e));
        }
        logOutcome(what, 200, members.size() + " members");
        Envelope.ok(ctx, MemberJson.members(members));
    }

    private static void logOutcome(String what, int status, String detail) {
        if (status == 200) {
            LOG.info("membership {}: ok, {}", what, detail);
        } else {
            LOG.info("membership {}: HTTP {}: {}", what, status, RequestBodies.oneLine(detail));
        }
    }

    static int status(MembershipException.Kind kind) {
        return switch (kind) {
            case BAD_REQUEST -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case NOT_LEADER, NO_LEADER -> 503;
            case INTERNAL -> 500;
        };
    }

    /** Up while the process runs, unless the raft node says only a restart can bring it back. */
    private void health(Context ctx) {
        String unhealthy;
        try {
            unhealthy = control.unhealthy();
        } catch (RuntimeException e) {
            unhealthy = null; // a status that cannot be read now is /ready's business, not a reason to restart
        }
        if (unhealthy != null) {
            Envelope.fail(ctx, 503, "unhealthy: " + unhealthy);
        } else {
            Envelope.ok(ctx, "");
        }
    }

    private void ready(Context ctx) {
        RaftNodeStatus s;
        try {
            s = control.status();
        } catch (RuntimeException e) {
            Envelope.fail(ctx, 503, "not ready: raft status unavailable: " + describe(e));
            return;
        }
        if (s == null) {
            Envelope.fail(ctx, 503, "not ready: the raft node has not started");
            return;
        }
        if (s.caughtUp()) {
            ObjectNode data = Envelope.object();
            data.put("name", s.name());
            data.put("role", s.role());
            data.put("leader", s.leaderName());
            data.put("term", s.term());
            data.put("commitIndex", s.commitIndex());
            data.put("appliedIndex", s.appliedIndex());
            Envelope.ok(ctx, data);
            return;
        }
        String role = s.role() == null ? "unknown" : s.role().toLowerCase(Locale.ROOT);
        String leader = s.leaderName() == null ? "none" : s.leaderName();
        Envelope.fail(ctx, 503, "not ready: role " + role + ", leader " + leader + ", applied index "
                + s.appliedIndex() + " of commit index " + s.commitIndex()
                + (s.leaderName() == null ? " (no leader)" : " (not caught up)"));
    }

    private String selfName() {
        try {
            RaftNodeStatus s = control.status();
            return s == null ? null : s.name();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        return msg == null || msg.isBlank() ? e.getClass().getSimpleName() : RequestBodies.oneLine(msg);
    }
}

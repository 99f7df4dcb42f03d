package io.kingbus.admin;

import io.javalin.http.Context;
import io.kingbus.raft.ClusterControl;
import io.kingbus.raft.Member;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Sends a leader-only request on to the leader's admin URL and relays its answer unchanged (status and body byte
 * for byte, so unsigned ids keep their precision). A forwarded request carries {@link #HEADER}; a node that
 * receives such a request and is not the leader either answers 503 instead of forwarding again, so a request
 * crosses at most one hop.
 */
public final class LeaderForwarder {
    /** Marks a forwarded request; its value names the forwarding node. */
    public static final String HEADER = "X-Kingbus-Forwarded-By";

    private final ClusterControl control;
    private final Supplier<String> selfName;
    private final Duration timeout;
    private final HttpClient client;

    /**
     * @param selfName       this node's name, sent in {@link #HEADER} (asked per request; null: "unknown")
     * @param connectTimeout bound on connecting to the leader
     * @param timeout        bound on the whole exchange with the leader
     */
    public LeaderForwarder(ClusterControl control, Supplier<String> selfName, Duration connectTimeout,
                           Duration timeout) {
        this.control = control;
        this.selfName = selfName;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    private String self() {
        String name;
        try {
            name = selfName.get();
        } catch (RuntimeException e) {
            name = null;
        }
        return name == null || name.isBlank() ? "unknown" : RequestBodies.oneLine(name);
    }

    /** Whether the request was already forwarded by another node. */
    public static boolean isForwarded(Context ctx) {
        return ctx.header(HEADER) != null;
    }

    /** What happened, for the caller's log line. */
    public record Outcome(String leaderName, String leaderUrl, int status) {
    }

    /**
     * Forwards the current request (same method, path, query and {@code body}) to the leader and writes the
     * leader's response into {@code ctx}.
     *
     * @throws ApiException 503 when there is no leader, its admin URL is unknown, the request was already
     *                      forwarded once, or the leader cannot be reached in time
     */
    public Outcome forward(Context ctx, byte[] body) {
        if (isForwarded(ctx)) {
            throw ApiException.unavailable("this node is not the leader and the request was already forwarded by "
                    + RequestBodies.oneLine(ctx.header(HEADER)) + "; leadership is changing, retry");
        }
        Member leader = control.leader();
        if (leader == null) {
            throw ApiException.unavailable("no leader: the cluster has no leader right now, retry");
        }
        if (leader.adminUrl() == null || leader.adminUrl().isBlank()) {
            throw ApiException.unavailable("leader " + leader.name() + " has not published its admin URL yet, retry");
        }
        HttpUrl base;
        try {
            base = HttpUrl.parse(leader.adminUrl());
        } catch (IllegalArgumentException e) {
            throw ApiException.unavailable("leader " + leader.name() + " has an unusable admin URL "
                    + RequestBodies.quote(leader.adminUrl()));
        }
        String target = base.resolve(ctx.path()) + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(target))
                .timeout(timeout)
                .header(HEADER, self())
                .header("Content-Type", "application/json")
                .method(ctx.method().name(), body == null || body.length == 0
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        CompletableFuture<HttpResponse<byte[]>> call =
                client.sendAsync(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> resp;
        try {
            resp = call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw ApiException.unavailable("leader " + leader.name() + " at " + base + " did not answer within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted while forwarding to leader " + leader.name());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof HttpTimeoutException && !(cause instanceof HttpConnectTimeoutException)) {
                throw ApiException.unavailable("leader " + leader.name() + " at " + base + " did not answer within "
                        + timeout.toMillis() + " ms");
            }
            String why = cause instanceof IOException && cause.getMessage() == null
                    ? cause.getClass().getSimpleName() : RequestBodies.oneLine(String.valueOf(cause.getMessage()));
            throw ApiException.unavailable("cannot reach leader " + leader.name() + " at " + base + ": " + why);
        }
        ctx.status(resp.statusCode());
        ctx.contentType(resp.headers().firstValue("Content-Type").orElse(Envelope.JSON));
        ctx.result(resp.body());
        return new Outcome(leader.name(), base.toString(), resp.statusCode());
    }
}

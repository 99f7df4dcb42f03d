package io.kingbus.syncer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.kingbus.admin.ApiException;
import io.kingbus.admin.Envelope;
import io.kingbus.admin.LeaderForwarder;
import io.kingbus.admin.RequestBodies;
import io.kingbus.raft.NotLeaderException;
import io.kingbus.raft.ProposalRejectedException;
import io.kingbus.raft.RaftCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The syncer's admin routes (admin-api.md §2). Any node answers; a follower forwards to the leader (one hop), so the
 * status shows the live session on the leader; without a leader: 503.
 *
 * <pre>
 * PUT /binlog/syncer/start   {"syncer_id", "syncer_uuid", "mysql_addr", "mysql_user", "mysql_password",
 *                             "semi_sync"}                         → data "" once SYNCER_START is committed
 *                            400 with every problem of the body; while running: the same arguments are a
 *                            no-op, other arguments restart it with them
 * PUT /binlog/syncer/stop    no body                               → data "" once SYNCER_STOP is committed
 * GET /binlog/syncer/status  see {@link Syncer#status()}; mysql_password is "******"
 * </pre>
 *
 * Mount with {@code admin.routes(app -> SyncerRoutes.register(app, syncer, admin.forwarder(), admin.maxBodyBytes()))}.
 */
public final class SyncerRoutes {
    private static final Logger log = LoggerFactory.getLogger(SyncerRoutes.class);
    private static final long COMMIT_TIMEOUT_MS = 15_000;
    private static final int MAX_TEXT = 1024;

    private SyncerRoutes() {
    }

    public static void register(Javalin app, Syncer syncer, LeaderForwarder forwarder, int maxBodyBytes) {
        app.put("/binlog/syncer/start", ctx -> start(ctx, syncer, forwarder, maxBodyBytes));
        app.put("/binlog/syncer/stop", ctx -> stop(ctx, syncer, forwarder, maxBodyBytes));
        app.get("/binlog/syncer/status", ctx -> status(ctx, syncer, forwarder));
    }

    private static void start(Context ctx, Syncer syncer, LeaderForwarder forwarder, int maxBodyBytes) {
        byte[] body = RequestBodies.read(ctx, maxBodyBytes);
        RaftCommand.SyncerStart args = parseStart(body);
        if (!syncer.isLeader()) {
            LeaderForwarder.Outcome o = forwarder.forward(ctx, body);
            log.info("syncer start ({}): forwarded to leader {}: HTTP {}", args, o.leaderName(), o.status());
            return;
        }
        await(syncer.requestStart(args), "start");
        log.info("syncer start through the admin API: {}", args);
        Envelope.ok(ctx, "");
    }

    private static void stop(Context ctx, Syncer syncer, LeaderForwarder forwarder, int maxBodyBytes) {
        byte[] body = RequestBodies.read(ctx, maxBodyBytes);
        if (!syncer.isLeader()) {
            LeaderForwarder.Outcome o = forwarder.forward(ctx, body);
            log.info("syncer stop: forwarded to leader {}: HTTP {}", o.leaderName(), o.status());
            return;
        }
        await(syncer.requestStop(), "stop");
        log.info("syncer stop through the admin API");
        Envelope.ok(ctx, "");
    }

    private static void status(Context ctx, Syncer syncer, LeaderForwarder forwarder) {
        if (!syncer.isLeader()) {
            forwarder.forward(ctx, new byte[0]);
            return;
        }
        Envelope.ok(ctx, syncer.status());
    }

    private static void await(CompletableFuture<Long> f, String what) {
        try {
            f.get(COMMIT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw ApiException.unavailable("syncer " + what + " was not committed within " + COMMIT_TIMEOUT_MS
                    + " ms (is a majority of the cluster reachable?)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IllegalStateException) {
                throw ApiException.conflict(c.getMessage());
            }
            if (c instanceof NotLeaderException) {
                throw ApiException.unavailable("leadership is changing (" + c.getMessage() + "), retry");
            }
            if (c instanceof ProposalRejectedException) {
                throw new ApiException(500, "syncer " + what + " was refused: " + c.getMessage());
            }
            throw new ApiException(500, "syncer " + what + " failed: " + c);
        }
    }

    /** Validates a start body; 400 naming every problem at once. The password never appears in a reason. */
    static RaftCommand.SyncerStart parseStart(byte[] body) {
        ObjectNode req = RequestBodies.parseObject(body);
        List<String> problems = new ArrayList<>();
        long id = 0;
        JsonNode idNode = req.get("syncer_id");
        if (idNode == null || idNode.isNull()) {
            problems.add("missing field: syncer_id");
        } else if (!idNode.isIntegralNumber() || !idNode.canConvertToLong()) {
            problems.add("syncer_id must be an integer (the server_id presented to the primary)");
        } else {
            id = idNode.longValue();
            if (id < 1 || id > 0xffffffffL) {
                problems.add("syncer_id " + id + " is not in 1..4294967295");
            }
        }
        String uuid = text(req, "syncer_uuid", true, problems);
        if (uuid != null) {
            try {
                UUID u = UUID.fromString(uuid);
                if (!u.toString().equalsIgnoreCase(uuid)) {
                    throw new IllegalArgumentException();
                }
                uuid = u.toString();
            } catch (IllegalArgumentException e) {
                problems.add("syncer_uuid '" + oneLine(uuid) + "' is not a UUID like f7e30637-f15a-11e8-accc-244427b6b60e");
                uuid = null;
            }
        }
        String addr = text(req, "mysql_addr", true, problems);
        if (addr != null) {
            try {
                addr = PrimaryAddress.parse(addr).toString();
            } catch (IllegalArgumentException e) {
                problems.add("mysql_addr " + oneLine(e.getMessage()));
                addr = null;
            }
        }
        String user = text(req, "mysql_user", true, problems);
        String password = "";
        JsonNode pw = req.get("mysql_password");
        if (pw != null && !pw.isNull()) {
            if (!pw.isTextual()) {
                problems.add("mysql_password must be a string");
            } else if (pw.textValue().getBytes(StandardCharsets.UTF_8).length > MAX_TEXT) {
                problems.add("mysql_password is longer than " + MAX_TEXT + " bytes");
            } else {
                password = pw.textValue();
            }
        }
        boolean semi = false;
        JsonNode semiNode = req.get("semi_sync");
        if (semiNode != null && !semiNode.isNull()) {
            if (!semiNode.isBoolean()) {
                problems.add("semi_sync must be true or false");
            } else {
                semi = semiNode.booleanValue();
            }
        }
        if (!problems.isEmpty()) {
            throw ApiException.badRequest("bad syncer arguments: " + String.join("; ", problems));
        }
        return new RaftCommand.SyncerStart(id, uuid, addr, user, password, semi);
    }

    private static String text(ObjectNode req, String field, boolean required, List<String> problems) {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                problems.add("missing field: " + field);
            }
            return null;
        }
        if (!v.isTextual()) {
            problems.add(field + " must be a string");
            return null;
        }
        String s = v.textValue().strip();
        if (s.isEmpty()) {
            if (required) {
                problems.add(field + " is empty");
            }
            return null;
        }
        if (s.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT) {
            problems.add(field + " is longer than " + MAX_TEXT + " bytes");
            return null;
        }
        return s;
    }

    private static String oneLine(String s) {
        String line = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return line.length() > 100 ? line.substring(0, 100) + "..." : line;
    }
}

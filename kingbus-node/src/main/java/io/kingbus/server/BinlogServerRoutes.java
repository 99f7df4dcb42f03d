package io.kingbus.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.kingbus.admin.ApiException;
import io.kingbus.admin.Envelope;
import io.kingbus.admin.RequestBodies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binlog server's admin routes (admin-api.md §3), answered by the node itself (each node serves its own):
 *
 * <pre>
 * PUT /binlog/server/start   {"addr": "host:port", "user": "kb", "password": "kb"}
 *                            (optional: "server_id", "server_uuid", "server_version")   → data ""
 * PUT /binlog/server/stop    no body                                                     → data ""
 * GET /binlog/server/status  addr, user, password (redacted), slaves, current_gtid, last_binlog_file,
 *                            last_file_position, executed_gtid_set, purged_gtid_set, status
 * </pre>
 *
 * Errors: 400 for a malformed body, a missing field or a bad address; 409 when the address cannot be bound.
 * Mount with {@code adminServer.routes(app -> BinlogServerRoutes.register(app, manager))}.
 */
public final class BinlogServerRoutes {
    private static final Logger log = LoggerFactory.getLogger(BinlogServerRoutes.class);

    private BinlogServerRoutes() {
    }

    public static void register(Javalin app, BinlogServerManager manager) {
        register(app, manager, RequestBodies.DEFAULT_MAX_BYTES);
    }

    public static void register(Javalin app, BinlogServerManager manager, int maxBodyBytes) {
        app.put("/binlog/server/start", ctx -> start(ctx, manager, maxBodyBytes));
        app.put("/binlog/server/stop", ctx -> {
            manager.stop();
            log.info("binlog server stopped through the admin API");
            Envelope.ok(ctx, "");
        });
        app.get("/binlog/server/status", ctx -> Envelope.ok(ctx, manager.status()));
    }

    private static void start(Context ctx, BinlogServerManager manager, int maxBodyBytes) {
        ObjectNode body = RequestBodies.parseObject(RequestBodies.read(ctx, maxBodyBytes));
        String addr = RequestBodies.requiredText(body, "addr");
        String user = RequestBodies.requiredText(body, "user");
        String password = rawText(body, "password");
        Long serverId = null;
        JsonNode id = body.get("server_id");
        if (id != null && !id.isNull()) {
            if (!id.canConvertToLong() || !id.isIntegralNumber()) {
                throw ApiException.badRequest("field server_id must be an integer");
            }
            serverId = id.longValue();
        }
        String uuid = RequestBodies.optionalText(body, "server_uuid");
        String version = RequestBodies.optionalText(body, "server_version");
        try {
            manager.start(addr, user, password, serverId, uuid, version);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("bad binlog server settings: " + BinlogServerManager.oneLine(e.getMessage()));
        } catch (IllegalStateException e) {
            throw ApiException.conflict(BinlogServerManager.oneLine(e.getMessage()));
        }
        log.info("binlog server started through the admin API on {} for user {}", addr, user);
        Envelope.ok(ctx, "");
    }

    /** The password exactly as sent (spaces included); "" when absent or null. */
    private static String rawText(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("field " + field + " must be a string");
        }
        return v.textValue();
    }
}

package io.kingbus.raft;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.kingbus.store.BinlogChunkReader;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogReader;
import io.kingbus.store.BinlogStore;
import io.kingbus.store.PurgedException;
import io.kingbus.store.StoreException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The routes a lagging or new node copies binlog files from (see
 * {@link BinlogStateMachine#notifyInstallSnapshotFromLeader}). Mounted on the admin server with one call:
 *
 * <ul>
 *   <li>{@code GET /internal/snapshot} → {@code {"term", "index", "members": {peerId: adminUrl}}}: the latest
 *       snapshot marker (index -1 when none);</li>
 *   <li>{@code GET /internal/binlog/files} → {@code [{"name", "end"}]}: the stored files and their visible ends;</li>
 *   <li>{@code GET /internal/binlog/events?file=F&pos=P} → the raw bytes of the events of F from P (an event
 *       boundary) up to F's visible end when the request arrived, concatenated; streamed in chunks of whole events,
 *       an event bigger than a chunk from its file in slices (a peer never holds one whole).</li>
 * </ul>
 * JSON answers use the admin API envelope {@code {"message": "success", "data": ...}}; errors carry the reason
 * in {@code message} with a 4xx/5xx status.
 */
public final class CatchUpRoutes {
    /** Read size of a copy: whole events up to this go through one buffer, bigger ones from their file. */
    private static final int CHUNK_BYTES = 256 << 10;

    private CatchUpRoutes() {
    }

    public static void register(Javalin app, BinlogStore store, BinlogStateMachine sm) {
        app.get("/internal/snapshot", ctx -> {
            BinlogStateMachine.SnapshotView v = sm.snapshotView();
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("term", v.term());
            data.put("index", v.index());
            data.put("members", v.members());
            ok(ctx, data);
        });
        app.get("/internal/binlog/files", ctx -> {
            List<Map<String, Object>> data = new ArrayList<>();
            for (BinlogFileInfo f : store.files()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", f.name());
                m.put("end", f.endPosition());
                data.add(m);
            }
            ok(ctx, data);
        });
        app.get("/internal/binlog/events", ctx -> events(ctx, store));
    }

    private static void events(Context ctx, BinlogStore store) throws IOException {
        String file = ctx.queryParam("file");
        String posText = ctx.queryParam("pos");
        if (file == null || file.isEmpty() || posText == null) {
            error(ctx, 400, "file and pos are required");
            return;
        }
        long pos;
        try {
            pos = Long.parseLong(posText);
        } catch (NumberFormatException e) {
            error(ctx, 400, "pos '" + posText + "' is not a number");
            return;
        }
        long end = -1;
        for (BinlogFileInfo f : store.files()) {
            if (f.name().equals(file)) {
                end = f.endPosition();
            }
        }
        if (end < 0) {
            error(ctx, 404, "binlog file " + file + " is not stored here");
            return;
        }
        BinlogReader reader;
        try {
            reader = store.openReader(file, pos);
        } catch (PurgedException e) {
            error(ctx, 404, e.getMessage());
            return;
        } catch (StoreException e) {
            error(ctx, 400, e.getMessage());
            return;
        }
        try (BinlogChunkReader chunks = reader.toChunkReader()) {
            ctx.status(200);
            ctx.contentType("application/octet-stream");
            // [pos, end) is whole events: the length is known, and the JDK's client reads a chunked body through a
            // buffer it grows and copies (a 40 MiB event cost the copying node ~0.4 GB of garbage).
            ctx.res().setContentLengthLong(end - chunks.position());
            OutputStream out = ctx.outputStream();
            ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
            while (chunks.file().equals(file) && chunks.position() < end) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), end - chunks.position())); // whole events before end only
                int n = chunks.read(buf, Integer.MAX_VALUE);
                if (n > 0) {
                    out.write(buf.array(), 0, n);
                } else if (n < 0) {
                    sendFromFile(chunks, -(long) n, buf, out); // a big event: never held whole (up to 1 GiB)
                } else {
                    break;
                }
            }
            out.flush();
        }
    }

    /** Sends the next event, larger than {@code buf}, from its file through {@code buf}, and moves past it. */
    private static void sendFromFile(BinlogChunkReader chunks, long length, ByteBuffer buf, OutputStream out)
            throws IOException {
        long at = chunks.position();
        long stop = at + length;
        try (FileChannel ch = chunks.openFile()) {
            while (at < stop) {
                buf.clear();
                buf.limit((int) Math.min(buf.capacity(), stop - at));
                int r = ch.read(buf, at);
                if (r < 0) {
                    throw new StoreException("binlog file " + chunks.file() + " ends at " + at
                            + " inside a committed event");
                }
                out.write(buf.array(), 0, buf.position());
                at += r;
            }
        }
        chunks.skipTooLarge();
    }

    private static void ok(Context ctx, Object data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", "success");
        body.put("data", data);
        ctx.json(body);
    }

    private static void error(Context ctx, int status, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", message);
        body.put("data", "");
        ctx.status(status).json(body);
    }
}

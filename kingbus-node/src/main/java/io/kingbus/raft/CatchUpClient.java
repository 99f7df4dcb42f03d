package io.kingbus.raft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.Bytes;
import io.kingbus.store.BinlogFileInfo;
import io.kingbus.store.BinlogStore;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies the binlog files this node lacks from a peer's {@link CatchUpRoutes}, appending them to the local store
 * in file order. Appends are idempotent by position, so whatever the local store already holds is skipped and a
 * partial transaction at its tail is replaced.
 */
final class CatchUpClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECT_TIMEOUT_MS = 3_000;
    private static final int READ_TIMEOUT_MS = 30_000;
    private static final int BATCH_BYTES = 1 << 20;
    private static final int BATCH_EVENTS = 4096;
    /** Events this large are refused: nothing legitimate comes near it, and it bounds what a bad peer costs. */
    private static final long MAX_EVENT_BYTES = 1L << 30;
    /** The part size big events are copied in (BinlogStore.storableInParts): what a copy holds of one at a time. */
    private static final int PART_BYTES = 8 << 20;
    private static final int READ_BYTES = 64 << 10;

    /** A peer's latest snapshot marker and its member metadata. */
    record SnapshotView(long term, long index, Map<String, String> members) {
    }

    /** What a copy did. */
    record Result(int files, long bytes, long events) {
    }

    private final BinlogStore store;

    CatchUpClient(BinlogStore store) {
        this.store = store;
    }

    SnapshotView snapshot(String adminUrl) throws IOException {
        JsonNode data = getJson(adminUrl + "/internal/snapshot");
        Map<String, String> members = new LinkedHashMap<>();
        JsonNode m = data.path("members");
        m.fieldNames().forEachRemaining(k -> members.put(k, m.get(k).asText()));
        if (!data.has("term") || !data.has("index")) {
            throw new IOException(adminUrl + "/internal/snapshot answered without term and index");
        }
        return new SnapshotView(data.get("term").asLong(), data.get("index").asLong(), members);
    }

    /** Copies every file (and file tail) the peer has and this store lacks; {@code tag} goes to store.append. */
    Result copyFrom(String adminUrl, long tag) throws IOException {
        JsonNode list = getJson(adminUrl + "/internal/binlog/files");
        if (!list.isArray()) {
            throw new IOException(adminUrl + "/internal/binlog/files did not answer a list");
        }
        int files = 0;
        long bytes = 0;
        long events = 0;
        byte[][] part = new byte[1][]; // the buffer big events are copied through, shared by the files of a copy
        for (JsonNode f : list) {
            String name = f.path("name").asText(null);
            long end = f.path("end").asLong(-1);
            if (name == null || name.isEmpty() || end < 4) {
                throw new IOException(adminUrl + " listed a malformed binlog file entry: " + f);
            }
            BinlogFileInfo local = localFile(name);
            long from;
            if (local != null) {
                if (local.endPosition() >= end) {
                    continue;
                }
                from = local.endPosition();
            } else {
                BinlogFileInfo last = store.lastFile();
                if (last != null && precedes(name, last.name())) {
                    continue; // purged here already; nothing before our last file can be appended any more
                }
                from = 4;
            }
            long[] copied = copyFile(adminUrl, name, from, tag, part);
            files++;
            events += copied[0];
            bytes += copied[1];
        }
        store.sync();
        return new Result(files, bytes, events);
    }

    private long[] copyFile(String adminUrl, String name, long from, long tag, byte[][] part) throws IOException {
        String url = adminUrl + "/internal/binlog/events?file=" + URLEncoder.encode(name, StandardCharsets.UTF_8)
                + "&pos=" + from;
        HttpURLConnection c = open(url);
        long events = 0;
        long bytes = 0;
        try (InputStream in = new BufferedInputStream(c.getInputStream(), 1 << 16)) {
            List<byte[]> batch = new ArrayList<>();
            long batchBytes = 0;
            byte[] header;
            while ((header = readHeader(in, url)) != null) {
                long length = Bytes.u32(header, BinlogEvent.LENGTH_OFFSET);
                if (BinlogStore.storableInParts(header[BinlogEvent.TYPE_OFFSET] & 0xff, length)) {
                    // Streamed into the store in parts, as raft applies it: never held whole (up to 1 GiB).
                    if (!batch.isEmpty()) {
                        store.append(name, batch, tag);
                        events += batch.size();
                        bytes += batchBytes;
                        batch = new ArrayList<>();
                        batchBytes = 0;
                    }
                    int size = (int) Math.min(PART_BYTES, length);
                    if (part[0] == null || part[0].length < size) {
                        part[0] = new byte[size];
                    }
                    copyInParts(in, url, name, header, length, part[0], tag);
                    events++;
                    bytes += length;
                    continue;
                }
                byte[] event = readBody(in, url, header, length);
                batch.add(event);
                batchBytes += event.length;
                if (batchBytes >= BATCH_BYTES || batch.size() >= BATCH_EVENTS) {
                    store.append(name, batch, tag);
                    events += batch.size();
                    bytes += batchBytes;
                    batch = new ArrayList<>();
                    batchBytes = 0;
                }
            }
            if (!batch.isEmpty()) {
                store.append(name, batch, tag);
                events += batch.size();
                bytes += batchBytes;
            }
        } finally {
            c.disconnect();
        }
        return new long[] {events, bytes};
    }

    /** Appends one event from the stream in parts of at most {@code part.length} bytes (the first holds the header). */
    private void copyInParts(InputStream in, String url, String name, byte[] header, long length, byte[] part,
                             long tag) throws IOException {
        System.arraycopy(header, 0, part, 0, header.length);
        int filled = header.length;
        for (long offset = 0; offset < length; ) {
            int n = (int) Math.min(part.length, length - offset);
            for (int at = filled; at < n; ) {
                // Small reads: from a peer answering chunked, the JDK's stream grows and copies a buffer as one read
                // waits for its bytes (an 8 MiB read allocated up to 40× that).
                int got = in.readNBytes(part, at, Math.min(READ_BYTES, n - at));
                if (got == 0) {
                    throw new EOFException(url + " ended inside an event of " + length + " bytes");
                }
                at += got;
            }
            store.appendPart(name, header, offset, ByteBuffer.wrap(part, 0, n), tag);
            offset += n;
            filled = 0;
        }
    }

    /** The next event's header, or null at a clean end. */
    private static byte[] readHeader(InputStream in, String url) throws IOException {
        byte[] header = new byte[BinlogEvent.HEADER_LENGTH];
        int n = in.readNBytes(header, 0, header.length);
        if (n == 0) {
            return null;
        }
        if (n < header.length) {
            throw new EOFException(url + " ended inside an event header");
        }
        long length = Bytes.u32(header, BinlogEvent.LENGTH_OFFSET);
        if (length < BinlogEvent.HEADER_LENGTH || length > MAX_EVENT_BYTES) {
            throw new IOException(url + " sent an event header with length " + length);
        }
        return header;
    }

    /** The whole event whose header was read. */
    private static byte[] readBody(InputStream in, String url, byte[] header, long length) throws IOException {
        byte[] event = new byte[(int) length];
        System.arraycopy(header, 0, event, 0, header.length);
        int body = in.readNBytes(event, header.length, event.length - header.length);
        if (body < event.length - header.length) {
            throw new EOFException(url + " ended inside an event of " + length + " bytes");
        }
        return event;
    }

    private BinlogFileInfo localFile(String name) {
        for (BinlogFileInfo f : store.files()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** MySQL names files base.NNNNNN; a shorter number or earlier text means an earlier file. */
    static boolean precedes(String a, String b) {
        return a.length() != b.length() ? a.length() < b.length() : a.compareTo(b) < 0;
    }

    private static JsonNode getJson(String url) throws IOException {
        HttpURLConnection c = open(url);
        try (InputStream in = c.getInputStream()) {
            JsonNode root = JSON.readTree(in);
            if (!"success".equals(root.path("message").asText())) {
                throw new IOException(url + " answered " + root.path("message").asText());
            }
            return root.path("data");
        } finally {
            c.disconnect();
        }
    }

    private static HttpURLConnection open(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(CONNECT_TIMEOUT_MS);
        c.setReadTimeout(READ_TIMEOUT_MS);
        c.setRequestProperty("Accept", "application/json, application/octet-stream");
        int status = c.getResponseCode();
        if (status != 200) {
            String reason;
            try (InputStream err = c.getErrorStream()) {
                reason = err == null ? "" : new String(err.readNBytes(2048), StandardCharsets.UTF_8);
            } finally {
                c.disconnect();
            }
            throw new IOException("GET " + url + " answered HTTP " + status + (reason.isEmpty() ? "" : ": " + reason));
        }
        return c;
    }
}

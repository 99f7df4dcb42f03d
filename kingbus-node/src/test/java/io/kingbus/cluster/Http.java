package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/** A small admin API client (java.net.http): every call is bounded; answers are the envelope, parsed. */
public final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    private Http() {
    }

    /** An answer: the status, the envelope's message and data (NullNode when absent), and the raw body. */
    public record Reply(int status, String message, JsonNode data, String body) {
        public boolean ok() {
            return status == 200;
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + (body.length() > 600 ? body.substring(0, 600) + "..." : body);
        }
    }

    public static Reply get(String baseUrl, String path, Duration timeout) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout).GET().build());
    }

    public static Reply json(String method, String baseUrl, String path, String body, Duration timeout)
            throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build());
    }

    /** POSTs binary data: the events of a proposal, in chunks (the body may be large). */
    public static Reply postBytes(String baseUrl, String path, Supplier<? extends Iterable<byte[]>> chunks,
                                  Duration timeout) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArrays(chunks.get()))
                .build());
    }

    public static Reply postBytes(String baseUrl, String path, byte[] body, Duration timeout)
            throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build());
    }

    private static Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        String body = r.body();
        String message = null;
        JsonNode data = NullNode.getInstance();
        String type = r.headers().firstValue("Content-Type").orElse("");
        if (type.startsWith("application/json")) {
            JsonNode root = JSON.readTree(body);
            message = root.path("message").isTextual() ? root.get("message").asText() : null;
            data = root.has("data") ? root.get("data") : NullNode.getInstance();
        }
        return new Reply(r.statusCode(), message, data, body);
    }

    /** Concatenates events into chunks of about {@code chunkBytes} (fewer, larger HTTP body writes). */
    public static List<byte[]> chunks(List<byte[]> events, int chunkBytes) {
        List<byte[]> out = new java.util.ArrayList<>();
        java.io.ByteArrayOutputStream cur = new java.io.ByteArrayOutputStream();
        for (byte[] e : events) {
            if (cur.size() > 0 && cur.size() + e.length > chunkBytes) {
                out.add(cur.toByteArray());
                cur.reset();
            }
            if (e.length >= chunkBytes) {
                out.add(e);
            } else {
                cur.writeBytes(e);
            }
        }
        if (cur.size() > 0) {
            out.add(cur.toByteArray());
        }
        return out;
    }

    /** Quotes a string as a JSON string literal. */
    public static String q(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

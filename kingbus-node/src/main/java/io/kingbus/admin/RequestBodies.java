package io.kingbus.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads request bodies defensively: at most a fixed number of bytes (413 beyond), JSON objects only (400 for
 * anything else), whatever the Content-Type says (curl -d sends form encoding by default).
 */
public final class RequestBodies {
    /** The default cap on a request body. */
    public static final int DEFAULT_MAX_BYTES = 1 << 20;

    private RequestBodies() {
    }

    /** The raw body, at most {@code maxBytes}; 413 when larger. */
    public static byte[] read(Context ctx, int maxBytes) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBytes) {
            throw new ApiException(413, "request body too large: " + declared + " bytes, limit " + maxBytes);
        }
        byte[] body;
        try (InputStream in = ctx.req().getInputStream()) {
            body = in.readNBytes(maxBytes + 1);
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read request body: " + oneLine(e.getMessage()));
        }
        if (body.length > maxBytes) {
            throw new ApiException(413, "request body too large: over " + maxBytes + " bytes");
        }
        return body;
    }

    /** Parses a JSON object; 400 with a reason otherwise. */
    public static ObjectNode parseObject(byte[] body) {
        if (body.length == 0) {
            throw ApiException.badRequest("request body is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = Envelope.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "request body is not valid JSON: " + jacksonReason(e),
                    "request body is not valid JSON");
        } catch (IOException e) {
            throw ApiException.badRequest("request body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest("request body must be a JSON object");
        }
        return (ObjectNode) node;
    }

    /** A required non-blank string field; 400 when missing, not a string, or blank. */
    public static String requiredText(ObjectNode body, String field) {
        String value = optionalText(body, field);
        if (value == null) {
            throw ApiException.badRequest("missing field: " + field);
        }
        return value;
    }

    /** An optional string field: null when absent, null or blank; 400 when present with another type. */
    public static String optionalText(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest("field " + field + " must be a string");
        }
        String s = v.textValue().strip();
        return s.isEmpty() ? null : s;
    }

    /** A URL field that must be {@code http://host:port}; 400 naming the field otherwise. */
    public static HttpUrl url(String field, String value) {
        try {
            return HttpUrl.parse(value);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("bad " + field + ": " + quote(value) + " " + e.getMessage());
        }
    }

    private static String jacksonReason(JsonProcessingException e) {
        String msg = oneLine(e.getOriginalMessage());
        for (String cut : new String[] {" (start marker at", " at [Source:"}) {
            int i = msg.indexOf(cut);
            if (i > 0) {
                msg = msg.substring(0, i);
            }
        }
        return msg;
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.replaceAll("\\s+", " ").strip();
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    static String quote(String s) {
        return "'" + oneLine(s) + "'";
    }
}

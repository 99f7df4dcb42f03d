package io.kingbus.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

import java.nio.charset.StandardCharsets;

/**
 * The response envelope of the admin API: {@code {"message": "success", "data": ...}} on success,
 * {@code {"message": reason, "data": null}} on failure. Routes mounted by other components use it too.
 */
public final class Envelope {
    public static final String SUCCESS = "success";
    public static final String JSON = "application/json; charset=utf-8";

    /** The mapper the admin API reads and writes with (strict duplicates, bounded nesting). */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(64)
                            .maxStringLength(1 << 20)
                            .maxNumberLength(100)
                            .build())
                    .build())
            .build();

    private Envelope() {
    }

    /** 200 with {@code data} (anything Jackson can write: a JsonNode, String, Map, record...). */
    public static void ok(Context ctx, Object data) {
        write(ctx, 200, SUCCESS, data);
    }

    /** {@code status} with {@code {"message": reason, "data": null}}. */
    public static void fail(Context ctx, int status, String reason) {
        write(ctx, status, reason, null);
    }

    public static void write(Context ctx, int status, String message, Object data) {
        ctx.status(status);
        ctx.contentType(JSON);
        ctx.result(bytes(message, data));
    }

    /** The envelope as UTF-8 JSON bytes. */
    public static byte[] bytes(String message, Object data) {
        ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("message", message);
        root.set("data", data == null ? JsonNodeFactory.instance.nullNode() : MAPPER.valueToTree(data));
        try {
            return MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            // cannot happen for a tree; keep the contract anyway
            return ("{\"message\":\"internal error: cannot encode response\",\"data\":null}")
                    .getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Convenience for routes that build their payload as a tree. */
    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static JsonNode tree(Object data) {
        return MAPPER.valueToTree(data);
    }
}

package io.kingbus.admin;

/**
 * A request that fails with an HTTP status and a reason. Thrown from any admin route (ours or one mounted with
 * {@link AdminServer#routes}); the server renders it as {@code {"message": reason, "data": null}} with the status.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String logReason;

    public ApiException(int status, String reason) {
        this(status, reason, reason);
    }

    /**
     * @param logReason what logs may show: {@code reason} may quote the request (e.g. a JSON parser's excerpt of a
     *                  malformed body, which could hold a password); the log line must not
     */
    public ApiException(int status, String reason, String logReason) {
        super(reason);
        this.status = status;
        this.logReason = logReason;
    }

    public int status() {
        return status;
    }

    /** The reason without any excerpt of the request, for log lines. */
    public String logReason() {
        return logReason;
    }

    public static ApiException badRequest(String reason) {
        return new ApiException(400, reason);
    }

    public static ApiException notFound(String reason) {
        return new ApiException(404, reason);
    }

    public static ApiException conflict(String reason) {
        return new ApiException(409, reason);
    }

    public static ApiException unavailable(String reason) {
        return new ApiException(503, reason);
    }
}

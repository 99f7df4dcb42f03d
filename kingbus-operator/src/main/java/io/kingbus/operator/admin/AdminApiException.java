package io.kingbus.operator.admin;

/** A call to a node's admin API failed: {@link #status()} is the HTTP status, or 0 when the node did not answer. */
public class AdminApiException extends Exception {
    private final int status;

    public AdminApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /** 409: another membership change is running, or the change is refused as unsafe. */
    public boolean isConflict() {
        return status == 409;
    }
}

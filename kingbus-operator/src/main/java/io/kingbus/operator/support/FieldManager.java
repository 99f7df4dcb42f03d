package io.kingbus.operator.support;

/** The server-side apply field manager the operator writes its owned objects and statuses as. */
public final class FieldManager {
    public static final String NAME = "kingbus-operator";

    private FieldManager() {
    }
}

package io.kingbus.protocol;

/**
 * A MySQL protocol packet is malformed, truncated, out of order or too large. Every parser in this package
 * throws this (never an index error) for hostile or broken input.
 */
public class ProtocolException extends RuntimeException {
    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}

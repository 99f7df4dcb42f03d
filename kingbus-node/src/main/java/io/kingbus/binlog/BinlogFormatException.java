package io.kingbus.binlog;

/** A binlog event or file does not follow the binlog format: bad length, bad checksum, truncated body. */
public class BinlogFormatException extends RuntimeException {
    public BinlogFormatException(String message) {
        super(message);
    }

    public BinlogFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

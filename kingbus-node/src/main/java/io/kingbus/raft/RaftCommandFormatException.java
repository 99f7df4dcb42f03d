package io.kingbus.raft;

/** Bytes that are not a {@link RaftCommand} this version understands; the message says what is wrong and where. */
public class RaftCommandFormatException extends IllegalArgumentException {
    public RaftCommandFormatException(String message) {
        super(message);
    }
}

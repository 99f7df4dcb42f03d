package io.kingbus.binlog;

/** A binlog file ends inside an event: the torn tail a crash leaves behind. */
public class TruncatedBinlogException extends BinlogFormatException {
    private final String file;
    private final long position;

    public TruncatedBinlogException(String file, long position, String detail) {
        super(file + " at " + position + ": truncated: " + detail);
        this.file = file;
        this.position = position;
    }

    public String file() {
        return file;
    }

    /** Where the incomplete event starts. */
    public long position() {
        return position;
    }
}

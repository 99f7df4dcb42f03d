package io.kingbus.binlog;

/** binlog_checksum: events end with a CRC32 of header and body, or with nothing. */
public enum ChecksumType {
    OFF(0, 0),
    CRC32(1, 4);

    private final int code;
    private final int length;

    ChecksumType(int code, int length) {
        this.code = code;
        this.length = length;
    }

    public int code() {
        return code;
    }

    /** Bytes the checksum occupies at the end of each event. */
    public int length() {
        return length;
    }

    public static ChecksumType ofCode(int code) {
        switch (code) {
            case 0:
                return OFF;
            case 1:
                return CRC32;
            default:
                throw new BinlogFormatException("unknown binlog checksum algorithm " + code);
        }
    }

    /** Parses MySQL's @@binlog_checksum value (NONE or CRC32). */
    public static ChecksumType ofVariable(String value) {
        if (value == null || value.isEmpty() || value.equalsIgnoreCase("NONE")) {
            return OFF;
        }
        if (value.equalsIgnoreCase("CRC32")) {
            return CRC32;
        }
        throw new BinlogFormatException("unknown binlog_checksum '" + value + "'");
    }

    /** The value as MySQL prints @@binlog_checksum. */
    public String variableValue() {
        return this == OFF ? "NONE" : "CRC32";
    }
}

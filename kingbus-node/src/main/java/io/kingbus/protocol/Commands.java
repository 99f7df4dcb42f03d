package io.kingbus.protocol;

import java.nio.charset.StandardCharsets;

/** Command bytes (MySQL's COM_*) and the payloads of the simple commands. Every command starts at sequence id 0. */
public final class Commands {
    public static final int COM_SLEEP = 0x00;
    public static final int COM_QUIT = 0x01;
    public static final int COM_INIT_DB = 0x02;
    public static final int COM_QUERY = 0x03;
    public static final int COM_PING = 0x0e;
    public static final int COM_BINLOG_DUMP = 0x12;
    public static final int COM_REGISTER_SLAVE = 0x15;
    public static final int COM_BINLOG_DUMP_GTID = 0x1e;

    private Commands() {
    }

    public static byte[] query(String sql) {
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[text.length + 1];
        p[0] = COM_QUERY;
        System.arraycopy(text, 0, p, 1, text.length);
        return p;
    }

    public static byte[] ping() {
        return new byte[] {COM_PING};
    }

    public static byte[] quit() {
        return new byte[] {COM_QUIT};
    }

    /** The command byte of a command payload. */
    public static int command(byte[] payload) {
        if (payload.length == 0) {
            throw new ProtocolException("empty command packet");
        }
        return payload[0] & 0xff;
    }

    /** The SQL text of a COM_QUERY (without query attributes, which kingbus never negotiates). */
    public static String parseQuery(byte[] payload) {
        return Wire.parse("COM_QUERY", payload, r -> {
            Wire.expectHeader(r, COM_QUERY, "COM_QUERY");
            return r.restAsString();
        });
    }

    public static String name(int command) {
        return switch (command) {
            case COM_SLEEP -> "COM_SLEEP";
            case COM_QUIT -> "COM_QUIT";
            case COM_INIT_DB -> "COM_INIT_DB";
            case COM_QUERY -> "COM_QUERY";
            case COM_PING -> "COM_PING";
            case COM_BINLOG_DUMP -> "COM_BINLOG_DUMP";
            case COM_REGISTER_SLAVE -> "COM_REGISTER_SLAVE";
            case COM_BINLOG_DUMP_GTID -> "COM_BINLOG_DUMP_GTID";
            default -> String.format("command 0x%02x", command);
        };
    }
}

package io.kingbus.cli;

/**
 * One row of MySQL's {@code SHOW BINLOG EVENTS}: Log_name, Pos, Event_type, Server_id, End_log_pos, Info.
 * {@link #info()} is the text exactly as MySQL returns it (it may span lines); {@link #toTsv()} escapes it.
 */
public record BinlogEventRow(String logName, long pos, String eventType, long serverId, long endLogPos, String info) {

    public static final String TSV_HEADER = "Log_name\tPos\tEvent_type\tServer_id\tEnd_log_pos\tInfo";

    /** The row as one tab-separated line (without the line end), each field escaped by {@link #escape}. */
    public String toTsv() {
        return escape(logName) + '\t' + pos + '\t' + escape(eventType) + '\t' + serverId + '\t' + endLogPos + '\t'
                + escape(info);
    }

    /**
     * Escapes a field the way {@code mysql --batch} does, so that one row stays on one line and the text can be
     * recovered: backslash as {@code \\}, newline as {@code \n}, carriage return as {@code \r}, tab as
     * {@code \t}, NUL as {@code \0}. Everything else is left as it is.
     */
    public static String escape(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = switch (c) {
                case '\\' -> "\\\\";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\0' -> "\\0";
                default -> null;
            };
            if (rep != null && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (rep != null) {
                    sb.append(rep);
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** Reverses {@link #escape}. */
    public static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                sb.append(c);
                continue;
            }
            char n = s.charAt(++i);
            sb.append(switch (n) {
                case 'n' -> '\n';
                case 'r' -> '\r';
                case 't' -> '\t';
                case '0' -> '\0';
                default -> n;
            });
        }
        return sb.toString();
    }
}

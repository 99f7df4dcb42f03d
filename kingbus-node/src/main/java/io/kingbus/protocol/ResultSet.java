package io.kingbus.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A text-protocol result set: column definitions and rows of strings (null for SQL NULL). The server side builds
 * its packets with {@link #encode}; the client side collects one with {@link Reader}.
 */
public record ResultSet(List<ColumnDefinition> columns, List<List<String>> rows) {

    public ResultSet {
        columns = List.copyOf(columns);
        List<List<String>> copy = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("row of " + row.size() + " values for " + columns.size() + " columns");
            }
            copy.add(Collections.unmodifiableList(new ArrayList<>(row)));
        }
        rows = Collections.unmodifiableList(copy);
    }

    /** String columns with the given names (MySQL's VAR_STRING, utf8mb4). */
    public static ResultSet ofStrings(List<String> columnNames, List<List<String>> rows) {
        List<ColumnDefinition> cols = new ArrayList<>();
        for (String n : columnNames) {
            cols.add(ColumnDefinition.varString(n));
        }
        return new ResultSet(cols, rows);
    }

    /** One row of one column. */
    public static ResultSet single(ColumnDefinition column, String value) {
        return new ResultSet(List.of(column), List.of(Arrays.asList(value)));
    }

    public int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    /** The first column of the first row, or null when there is no row. */
    public String firstValue() {
        return rows.isEmpty() || columns.isEmpty() ? null : rows.get(0).get(0);
    }

    /**
     * The packets of the result set, in order: column count, column definitions, EOF (omitted under
     * DEPRECATE_EOF), rows, and the terminator (EOF, or an OK with the 0xFE header under DEPRECATE_EOF).
     */
    public List<byte[]> encode(int clientCapabilities, int statusFlags) {
        boolean deprecateEof = Capabilities.has(clientCapabilities, Capabilities.DEPRECATE_EOF);
        List<byte[]> out = new ArrayList<>(columns.size() + rows.size() + 3);
        out.add(new PayloadWriter(9).lenenc(columns.size()).toByteArray());
        for (ColumnDefinition c : columns) {
            out.add(c.encode());
        }
        if (!deprecateEof) {
            out.add(new EofPacket(0, statusFlags).encode());
        }
        for (List<String> row : rows) {
            out.add(encodeRow(row));
        }
        if (deprecateEof) {
            out.add(OkPacket.of(statusFlags).encode(OkPacket.EOF_HEADER, clientCapabilities));
        } else {
            out.add(new EofPacket(0, statusFlags).encode());
        }
        return out;
    }

    public static byte[] encodeRow(List<String> values) {
        PayloadWriter w = new PayloadWriter(64);
        for (String v : values) {
            w.lenencString(v);
        }
        return w.toByteArray();
    }

    public static List<String> parseRow(byte[] payload, int columnCount) {
        return Wire.parse("text row", payload, r -> {
            List<String> row = new ArrayList<>(columnCount);
            for (int i = 0; i < columnCount; i++) {
                row.add(Wire.lenencString(r, "column value"));
            }
            if (r.remaining() != 0) {
                throw new ProtocolException(r.remaining() + " bytes after the last of " + columnCount + " values");
            }
            return row;
        });
    }

    /**
     * Collects a result set (or the OK / ERR a statement without rows returns) packet by packet, as a client
     * receives them after COM_QUERY. Feed packets to {@link #accept} until it returns true.
     */
    public static final class Reader {
        private static final int MAX_COLUMNS = 4096;

        private final int capabilities;
        private int columnCount = -1;
        private final List<ColumnDefinition> columns = new ArrayList<>();
        private final List<List<String>> rows = new ArrayList<>();
        private boolean columnsDone;
        private ResultSet result;
        private OkPacket ok;
        private ErrPacket err;

        /** {@code capabilities}: those in force on the connection (DEPRECATE_EOF changes the terminators). */
        public Reader(int capabilities) {
            this.capabilities = capabilities;
        }

        /** Takes the next payload; true when the response is complete. */
        public boolean accept(byte[] payload) {
            if (isDone()) {
                throw new IllegalStateException("result set already complete");
            }
            if (payload.length == 0) {
                throw new ProtocolException("empty packet in a query response");
            }
            int first = payload[0] & 0xff;
            boolean deprecateEof = Capabilities.has(capabilities, Capabilities.DEPRECATE_EOF);
            if (columnCount < 0) {
                if (first == OkPacket.HEADER) {
                    ok = OkPacket.parse(payload, capabilities);
                    return true;
                }
                if (first == ErrPacket.HEADER) {
                    err = ErrPacket.parse(payload);
                    return true;
                }
                if (first == 0xfb) {
                    throw new ProtocolException("the server asked for LOCAL INFILE data, which is not supported");
                }
                long n = Wire.parse("column count", payload, r -> {
                    long c = r.packedInt();
                    if (r.remaining() != 0) {
                        throw new ProtocolException("trailing bytes after the column count");
                    }
                    return c;
                });
                if (n < 1 || n > MAX_COLUMNS) {
                    throw new ProtocolException("bad column count " + n);
                }
                columnCount = (int) n;
                return false;
            }
            if (!columnsDone) {
                if (columns.size() < columnCount) {
                    columns.add(ColumnDefinition.parse(payload));
                    if (columns.size() == columnCount && deprecateEof) {
                        columnsDone = true;
                    }
                    return false;
                }
                if (!EofPacket.isEof(payload)) {
                    throw new ProtocolException("expected EOF after " + columnCount + " column definitions");
                }
                columnsDone = true;
                return false;
            }
            if (first == ErrPacket.HEADER) {
                err = ErrPacket.parse(payload);
                return true;
            }
            if (first == EofPacket.HEADER && payload.length < Packet.MAX_PHYSICAL_PAYLOAD
                    && (deprecateEof || payload.length < 9)) {
                result = new ResultSet(columns, rows);
                return true;
            }
            rows.add(parseRow(payload, columnCount));
            return false;
        }

        public boolean isDone() {
            return result != null || ok != null || err != null;
        }

        /** The rows, or null when the statement returned OK or ERR. */
        public ResultSet resultSet() {
            return result;
        }

        public OkPacket ok() {
            return ok;
        }

        public ErrPacket error() {
            return err;
        }
    }
}

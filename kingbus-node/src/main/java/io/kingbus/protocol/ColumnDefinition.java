package io.kingbus.protocol;

import java.util.Objects;

/** A column definition (protocol 4.1) of a text result set. */
public record ColumnDefinition(String schema, String table, String orgTable, String name, String orgName,
                               int characterSet, long columnLength, int type, int flags, int decimals) {

    public ColumnDefinition {
        Objects.requireNonNull(name, "name");
        schema = schema == null ? "" : schema;
        table = table == null ? "" : table;
        orgTable = orgTable == null ? "" : orgTable;
        orgName = orgName == null ? "" : orgName;
    }

    /** A computed string column, as MySQL describes {@code SELECT @@x} or {@code SHOW} columns. */
    public static ColumnDefinition varString(String name) {
        return new ColumnDefinition("", "", "", name, "", CharacterSets.UTF8MB4_GENERAL_CI, 1024,
                ColumnType.VAR_STRING, 0, 31);
    }

    /** A computed BIGINT column, e.g. {@code SELECT UNIX_TIMESTAMP()} or {@code SELECT @@server_id}. */
    public static ColumnDefinition longLong(String name) {
        return new ColumnDefinition("", "", "", name, "", CharacterSets.BINARY, 21, ColumnType.LONGLONG,
                0x0080 /* BINARY_FLAG */ | 0x0020 /* UNSIGNED_FLAG */, 0);
    }

    public static ColumnDefinition parse(byte[] payload) {
        return Wire.parse("column definition", payload, r -> {
            String catalog = Wire.lenencString(r, "catalog");
            if (!"def".equals(catalog)) {
                throw new ProtocolException("column definition catalog is '" + catalog + "', not 'def'");
            }
            String schema = Wire.lenencString(r, "schema");
            String table = Wire.lenencString(r, "table");
            String orgTable = Wire.lenencString(r, "org_table");
            String name = Wire.lenencString(r, "name");
            String orgName = Wire.lenencString(r, "org_name");
            if (name == null) {
                throw new ProtocolException("NULL column name");
            }
            long fixed = r.packedInt();
            if (fixed < 0x0c) {
                throw new ProtocolException("column definition fixed part of " + fixed + " bytes (need 12)");
            }
            int charset = r.u16();
            long length = r.u32();
            int type = r.u8();
            int flags = r.u16();
            int decimals = r.u8();
            return new ColumnDefinition(schema, table, orgTable, name, orgName, charset, length, type, flags,
                    decimals);
        });
    }

    public byte[] encode() {
        return new PayloadWriter(64).lenencString("def").lenencString(schema).lenencString(table)
                .lenencString(orgTable).lenencString(name).lenencString(orgName).lenenc(0x0c).u16(characterSet)
                .u32(columnLength).u8(type).u16(flags).u8(decimals).zeros(2).toByteArray();
    }
}

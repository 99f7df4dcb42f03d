package io.kingbus.protocol;

import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Round trips of every builder/parser pair, and byte layouts checked against MySQL's documented formats. */
class PacketsTest {
    private static final HexFormat HEX = HexFormat.of();
    static final byte[] NONCE = "abcdefgh12345678ijkl".getBytes(StandardCharsets.US_ASCII);

    static HandshakeV10 handshake() {
        int caps = Capabilities.LONG_PASSWORD | Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION
                | Capabilities.PLUGIN_AUTH | Capabilities.SSL | Capabilities.CONNECT_ATTRS
                | Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.DEPRECATE_EOF;
        return new HandshakeV10("8.0.15", 42, NONCE, caps, CharacterSets.UTF8MB4_0900_AI_CI, StatusFlags.AUTOCOMMIT,
                AuthPlugins.CACHING_SHA2_PASSWORD);
    }

    @Test
    void handshakeRoundTripsAndHasMySqlsLayout() {
        HandshakeV10 h = handshake();
        byte[] b = h.encode();
        assertThat(HandshakeV10.parse(b)).isEqualTo(h);
        // protocol 10, "8.0.15\0", connection id 42, nonce part 1, filler
        assertThat(Arrays.copyOfRange(b, 0, 21)).isEqualTo(HEX.parseHex("0a" + "382e302e313500" + "2a000000"
                + HEX.formatHex("abcdefgh".getBytes(StandardCharsets.US_ASCII)) + "00"));
        // auth plugin data length 21 (20 + NUL), then 10 reserved zero bytes
        assertThat(b[28]).isEqualTo((byte) 21);
        // part 2: 12 bytes + NUL, then the plugin name + NUL
        String tail = new String(b, 39, b.length - 39, StandardCharsets.US_ASCII);
        assertThat(tail).isEqualTo("12345678ijkl\0caching_sha2_password\0");
    }

    @Test
    void handshakeWithoutPluginNulTerminatorIsAccepted() {
        byte[] b = handshake().encode();
        HandshakeV10 parsed = HandshakeV10.parse(Arrays.copyOf(b, b.length - 1)); // some 5.5 servers omit the NUL
        assertThat(parsed.authPluginName()).isEqualTo(AuthPlugins.CACHING_SHA2_PASSWORD);
        assertThat(parsed.authPluginData()).isEqualTo(NONCE);
    }

    @Test
    void handshakeResponseRoundTripsWithEachAuthResponseEncoding() {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("_client_name", "kingbus");
        attrs.put("_pid", "1234");
        byte[] scramble = CachingSha2Password.scramble("pw".getBytes(StandardCharsets.UTF_8), NONCE);
        int base = Capabilities.PROTOCOL_41 | Capabilities.PLUGIN_AUTH;
        for (int extra : new int[] {Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.SECURE_CONNECTION,
                Capabilities.SECURE_CONNECTION, 0}) {
            for (boolean withDbAndAttrs : new boolean[] {false, true}) {
                int caps = base | extra | (withDbAndAttrs ? Capabilities.CONNECT_WITH_DB | Capabilities.CONNECT_ATTRS : 0);
                byte[] auth = extra == 0 ? "nonul".getBytes(StandardCharsets.US_ASCII) : scramble;
                HandshakeResponse41 r = new HandshakeResponse41(caps, 1 << 30, CharacterSets.UTF8MB4_GENERAL_CI,
                        "repl", auth, withDbAndAttrs ? "db" : null, AuthPlugins.CACHING_SHA2_PASSWORD,
                        withDbAndAttrs ? attrs : Map.of());
                assertThat(HandshakeResponse41.parse(r.encode())).isEqualTo(r);
            }
        }
    }

    @Test
    void sslRequestIsTheFixed32BytePrefix() {
        int caps = Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION;
        byte[] ssl = HandshakeResponse41.encodeSslRequest(caps, 1 << 24, 45);
        assertThat(ssl).hasSize(32);
        assertThat(HandshakeResponse41.isSslRequest(ssl)).isTrue();
        assertThat(HandshakeResponse41.parseSslRequest(ssl) & Capabilities.SSL).isNotZero();
        byte[] full = new HandshakeResponse41(caps | Capabilities.SSL, 1 << 24, 45, "u", new byte[0], null, null, null).encode();
        assertThat(Arrays.copyOf(full, 32)).isEqualTo(ssl);
        assertThat(HandshakeResponse41.isSslRequest(full)).isFalse();
        assertThatThrownBy(() -> HandshakeResponse41.parse(ssl)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("SSL request");
    }

    @Test
    void authPacketsRoundTrip() {
        AuthSwitchRequest sw = AuthSwitchRequest.withNonce(AuthPlugins.MYSQL_NATIVE_PASSWORD, NONCE);
        byte[] b = sw.encode();
        assertThat(new String(b, 1, b.length - 1, StandardCharsets.US_ASCII))
                .isEqualTo("mysql_native_password\0abcdefgh12345678ijkl\0");
        assertThat(b[0]).isEqualTo((byte) 0xfe);
        AuthSwitchRequest parsed = AuthSwitchRequest.parse(b);
        assertThat(parsed).isEqualTo(sw);
        assertThat(parsed.nonce()).isEqualTo(NONCE);

        AuthMoreData more = new AuthMoreData(new byte[] {CachingSha2Password.FAST_AUTH_SUCCESS});
        assertThat(more.encode()).containsExactly(1, 3);
        assertThat(AuthMoreData.parse(more.encode()).is(CachingSha2Password.FAST_AUTH_SUCCESS)).isTrue();
    }

    @Test
    void okErrEofRoundTrip() {
        OkPacket ok = new OkPacket(300, 70000, StatusFlags.AUTOCOMMIT, 2, "Rows matched: 1");
        assertThat(OkPacket.parse(ok.encode(), Capabilities.PROTOCOL_41)).isEqualTo(ok);
        assertThat(OkPacket.parse(ok.encode(OkPacket.EOF_HEADER, Capabilities.PROTOCOL_41 | Capabilities.SESSION_TRACK),
                Capabilities.PROTOCOL_41 | Capabilities.SESSION_TRACK)).isEqualTo(ok);
        assertThat(OkPacket.of(2).encode()).containsExactly(0, 0, 0, 2, 0, 0, 0);

        ErrPacket err = new ErrPacket(1236, "HY000", "The slave is connecting using CHANGE MASTER TO "
                + "MASTER_AUTO_POSITION = 1, but the master has purged binary logs containing GTIDs that the slave "
                + "requires.");
        byte[] eb = err.encode();
        assertThat(Arrays.copyOf(eb, 9)).isEqualTo(new byte[] {(byte) 0xff, (byte) 0xd4, 0x04, '#', 'H', 'Y', '0', '0', '0'});
        assertThat(ErrPacket.parse(eb)).isEqualTo(err);
        assertThat(err.toString()).startsWith("ERROR 1236 (HY000): The slave is connecting");
        // Before capabilities are settled a server may leave out the SQL state.
        ErrPacket noState = ErrPacket.parse(new byte[] {(byte) 0xff, 0x15, 0x04, 'n', 'o'});
        assertThat(noState).isEqualTo(new ErrPacket(1045, "HY000", "no"));

        EofPacket eof = new EofPacket(1, StatusFlags.AUTOCOMMIT);
        assertThat(eof.encode()).containsExactly(0xfe, 1, 0, 2, 0);
        assertThat(EofPacket.isEof(eof.encode())).isTrue();
        assertThat(EofPacket.parse(eof.encode())).isEqualTo(eof);
    }

    @Test
    void resultSetRoundTripsWithAndWithoutDeprecateEof() {
        ResultSet rs = new ResultSet(List.of(ColumnDefinition.varString("Log_name"), ColumnDefinition.longLong("File_size")),
                List.of(Arrays.asList("mysql-bin.000001", "177"), Arrays.asList("mysql-bin.000002", null)));
        for (int caps : new int[] {Capabilities.PROTOCOL_41, Capabilities.PROTOCOL_41 | Capabilities.DEPRECATE_EOF}) {
            List<byte[]> packets = rs.encode(caps, StatusFlags.AUTOCOMMIT);
            boolean deprecateEof = (caps & Capabilities.DEPRECATE_EOF) != 0;
            assertThat(packets).hasSize(deprecateEof ? 1 + 2 + 2 + 1 : 1 + 2 + 1 + 2 + 1);
            ResultSet.Reader reader = new ResultSet.Reader(caps);
            for (int i = 0; i < packets.size(); i++) {
                assertThat(reader.accept(packets.get(i))).isEqualTo(i == packets.size() - 1);
            }
            assertThat(reader.resultSet()).isEqualTo(rs);
            assertThat(reader.resultSet().columnIndex("file_size")).isEqualTo(1);
        }
        assertThat(ColumnDefinition.parse(ColumnDefinition.longLong("x").encode())).isEqualTo(ColumnDefinition.longLong("x"));
    }

    @Test
    void readerReturnsOkOrErrForStatementsWithoutRows() {
        ResultSet.Reader ok = new ResultSet.Reader(Capabilities.PROTOCOL_41);
        assertThat(ok.accept(OkPacket.of(2).encode())).isTrue();
        assertThat(ok.ok()).isNotNull();
        assertThat(ok.resultSet()).isNull();
        ResultSet.Reader err = new ResultSet.Reader(Capabilities.PROTOCOL_41);
        assertThat(err.accept(new ErrPacket(1193, "HY000", "Unknown system variable 'x'").encode())).isTrue();
        assertThat(err.error().errorCode()).isEqualTo(1193);
    }

    @Test
    void commandsHaveMySqlsLayout() {
        assertThat(Commands.query("SELECT 1")).isEqualTo("\u0003SELECT 1".getBytes(StandardCharsets.US_ASCII));
        assertThat(Commands.parseQuery(Commands.query("SET @a = 'é'"))).isEqualTo("SET @a = 'é'");
        assertThat(Commands.ping()).containsExactly(0x0e);
        assertThat(Commands.quit()).containsExactly(0x01);

        RegisterSlave reg = new RegisterSlave(1001, "10.0.0.5", "repl", "", 3307, 0, 0);
        byte[] rb = reg.encode();
        assertThat(rb).isEqualTo(HEX.parseHex("15" + "e9030000" + "08" + HEX.formatHex("10.0.0.5".getBytes())
                + "04" + HEX.formatHex("repl".getBytes()) + "00" + "eb0c" + "00000000" + "00000000"));
        assertThat(RegisterSlave.parse(rb)).isEqualTo(reg);

        BinlogDump dump = new BinlogDump(4, BinlogDump.NON_BLOCK, 7, "mysql-bin.000003");
        assertThat(dump.encode()).isEqualTo(HEX.parseHex("12" + "04000000" + "0100" + "07000000"
                + HEX.formatHex("mysql-bin.000003".getBytes())));
        assertThat(BinlogDump.parse(dump.encode())).isEqualTo(dump);
        assertThat(dump.nonBlocking()).isTrue();
    }

    @Test
    void binlogDumpGtidCarriesTheEncodedSet() {
        GtidSet set = GtidSet.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,"
                + "00000000-0000-0000-0000-000000000001:3");
        BinlogDumpGtid cmd = BinlogDumpGtid.of(1001, set, BinlogDumpGtid.NON_BLOCK);
        byte[] b = cmd.encode();
        byte[] data = set.encode();
        // command, flags (NON_BLOCK | THROUGH_GTID), server id, name length 0, position 4, data size, data
        assertThat(Arrays.copyOf(b, 1 + 2 + 4 + 4 + 8 + 4)).isEqualTo(HEX.parseHex("1e" + "0500" + "e9030000"
                + "00000000" + "0400000000000000" + HEX.formatHex(new byte[] {(byte) data.length, 0, 0, 0})));
        assertThat(Arrays.copyOfRange(b, 23, b.length)).isEqualTo(data);
        BinlogDumpGtid parsed = BinlogDumpGtid.parse(b);
        assertThat(parsed).isEqualTo(cmd);
        assertThat(parsed.gtids()).isEqualTo(set);

        BinlogDumpGtid named = new BinlogDumpGtid(0, 9, "mysql-bin.000002", 1L << 33, GtidSet.empty());
        assertThat(BinlogDumpGtid.parse(named.encode())).isEqualTo(named);
    }

    @Test
    void semiSyncFraming() {
        SemiSync.Ack ack = new SemiSync.Ack("mysql-bin.000002", 1234);
        byte[] b = ack.encode();
        assertThat(b).isEqualTo(HEX.parseHex("ef" + "d204000000000000" + HEX.formatHex("mysql-bin.000002".getBytes()) + "00"));
        assertThat(SemiSync.Ack.isAck(b)).isTrue();
        assertThat(SemiSync.Ack.parse(b)).isEqualTo(ack);

        byte[] event = {1, 2, 3, 4};
        byte[] plain = DumpEventPacket.encode(event, false, false);
        assertThat(plain).containsExactly(0, 1, 2, 3, 4);
        assertThat(DumpEventPacket.parse(plain, false)).isEqualTo(new DumpEventPacket(event, false));
        byte[] semi = DumpEventPacket.encode(event, true, true);
        assertThat(semi).containsExactly(0, 0xef, 1, 1, 2, 3, 4);
        assertThat(DumpEventPacket.parse(semi, true)).isEqualTo(new DumpEventPacket(event, true));
        assertThat(DumpEventPacket.parse(DumpEventPacket.encode(event, true, false), true).ackRequested()).isFalse();
        assertThatThrownBy(() -> DumpEventPacket.parse(plain, true)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("semi-sync magic");
    }

    @Test
    void payloadWriterLengthEncodedIntegersMatchMySql() {
        assertThat(new PayloadWriter().lenenc(250).toByteArray()).containsExactly(250);
        assertThat(new PayloadWriter().lenenc(251).toByteArray()).containsExactly(0xfc, 251, 0);
        assertThat(new PayloadWriter().lenenc(65536).toByteArray()).containsExactly(0xfd, 0, 0, 1);
        assertThat(new PayloadWriter().lenenc(1L << 24).toByteArray()).containsExactly(0xfe, 0, 0, 0, 1, 0, 0, 0, 0);
        assertThat(new PayloadWriter().lenencString(null).toByteArray()).containsExactly(0xfb);
    }

    @Test
    void binlogDumpGtidFileNameOfNulBytesMeansNoFileAsMySqlReadsIt() {
        // A 5.7 replica restarting its IO thread sends a file name made of NUL bytes.
        byte[] payload = new BinlogDumpGtid(0, 7, "\0\0\0", 4, io.kingbus.gtid.GtidSet.empty()).encode();
        assertThat(BinlogDumpGtid.parse(payload).fileName()).isEmpty();
        byte[] named = new BinlogDumpGtid(0, 7, "mysql-bin.000002\0", 4, io.kingbus.gtid.GtidSet.empty()).encode();
        assertThat(BinlogDumpGtid.parse(named).fileName()).isEqualTo("mysql-bin.000002");
    }
}

package io.kingbus.protocol;

import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random bytes, every truncation of valid packets and huge length prefixes: each parser either returns or throws a
 * {@link ProtocolException}, never an index error or anything else.
 */
class HostileInputTest {

    private static Map<String, Function<byte[], Object>> parsers() {
        Map<String, Function<byte[], Object>> m = new LinkedHashMap<>();
        m.put("handshake", HandshakeV10::parse);
        m.put("handshake response", HandshakeResponse41::parse);
        m.put("ssl request", HandshakeResponse41::parseSslRequest);
        m.put("auth switch", AuthSwitchRequest::parse);
        m.put("auth more data", AuthMoreData::parse);
        m.put("ok", p -> OkPacket.parse(p, Capabilities.PROTOCOL_41));
        m.put("ok session track", p -> OkPacket.parse(p, Capabilities.PROTOCOL_41 | Capabilities.SESSION_TRACK));
        m.put("err", ErrPacket::parse);
        m.put("eof", EofPacket::parse);
        m.put("column definition", ColumnDefinition::parse);
        m.put("row", p -> ResultSet.parseRow(p, 3));
        m.put("result set reader", p -> {
            ResultSet.Reader r = new ResultSet.Reader(Capabilities.PROTOCOL_41);
            // the same bytes as every packet of a response
            for (int i = 0; i < 10 && !r.accept(p); i++) {
                // keep feeding
            }
            return r;
        });
        m.put("query", Commands::parseQuery);
        m.put("register slave", RegisterSlave::parse);
        m.put("binlog dump", BinlogDump::parse);
        m.put("binlog dump gtid", BinlogDumpGtid::parse);
        m.put("semi-sync ack", SemiSync.Ack::parse);
        m.put("dump event", p -> DumpEventPacket.parse(p, false));
        m.put("semi-sync dump event", p -> DumpEventPacket.parse(p, true));
        m.put("pem", p -> CachingSha2Password.parsePublicKey(new String(p, StandardCharsets.ISO_8859_1)));
        return m;
    }

    private static List<byte[]> validSamples() {
        GtidSet set = GtidSet.parse("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7");
        return List.of(
                PacketsTest.handshake().encode(),
                new HandshakeResponse41(Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION | Capabilities.PLUGIN_AUTH
                        | Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CONNECT_ATTRS
                        | Capabilities.CONNECT_WITH_DB, 1 << 30, 45, "repl", new byte[32], "db",
                        AuthPlugins.CACHING_SHA2_PASSWORD, Map.of("_client_name", "kingbus")).encode(),
                AuthSwitchRequest.withNonce(AuthPlugins.MYSQL_NATIVE_PASSWORD, PacketsTest.NONCE).encode(),
                new OkPacket(1, 2, 3, 4, "info").encode(),
                new ErrPacket(1236, "HY000", "purged").encode(),
                new EofPacket(0, 2).encode(),
                ColumnDefinition.varString("Variable_name").encode(),
                ResultSet.encodeRow(Arrays.asList("a", null, "ccc")),
                Commands.query("SELECT 1"),
                new RegisterSlave(5, "host", "user", "pw", 3306, 0, 0).encode(),
                new BinlogDump(4, 1, 5, "mysql-bin.000001").encode(),
                BinlogDumpGtid.of(5, set, 0).encode(),
                new SemiSync.Ack("mysql-bin.000001", 99).encode(),
                DumpEventPacket.encode(new byte[19], true, true));
    }

    private static void parseSafely(String name, Function<byte[], Object> parser, byte[] input) {
        try {
            parser.apply(input);
        } catch (ProtocolException e) {
            assertThat(e.getMessage()).isNotBlank();
        } catch (IllegalStateException e) {
            // the result-set reader refuses more input once complete: a caller bug, not a parse error
            assertThat(name).isEqualTo("result set reader");
        } catch (RuntimeException e) {
            throw new AssertionError(name + " threw " + e + " for " + HexFormat.of().formatHex(input), e);
        }
    }

    @Test
    void randomBytes() {
        Random random = new Random(7);
        Map<String, Function<byte[], Object>> parsers = parsers();
        for (int i = 0; i < 3000; i++) {
            byte[] input = new byte[random.nextInt(200)];
            random.nextBytes(input);
            if (input.length > 0 && random.nextBoolean()) {
                input[0] = (byte) new int[] {0x00, 0x01, 0x0a, 0x12, 0x15, 0x1e, 0xef, 0xfe, 0xff}[random.nextInt(9)];
            }
            for (Map.Entry<String, Function<byte[], Object>> e : parsers.entrySet()) {
                parseSafely(e.getKey(), e.getValue(), input);
            }
        }
    }

    @Test
    void everyTruncationAndBitFlipOfValidPackets() {
        Random random = new Random(11);
        Map<String, Function<byte[], Object>> parsers = parsers();
        for (byte[] sample : validSamples()) {
            for (int len = 0; len <= sample.length; len++) {
                byte[] cut = Arrays.copyOf(sample, len);
                for (Map.Entry<String, Function<byte[], Object>> e : parsers.entrySet()) {
                    parseSafely(e.getKey(), e.getValue(), cut);
                }
            }
            for (int i = 0; i < 200; i++) {
                byte[] flipped = sample.clone();
                if (flipped.length == 0) {
                    continue;
                }
                flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
                for (Map.Entry<String, Function<byte[], Object>> e : parsers.entrySet()) {
                    parseSafely(e.getKey(), e.getValue(), flipped);
                }
            }
        }
    }

    @Test
    void hugeLengthPrefixesAreRefusedBeforeAllocation() {
        // a column definition whose catalog claims 2^62 bytes
        byte[] col = HexFormat.of().parseHex("fe0000000000000040" + "646566");
        assertThatThrownBy(() -> ColumnDefinition.parse(col)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("truncated");
        // a row value claiming 16 MiB
        assertThatThrownBy(() -> ResultSet.parseRow(HexFormat.of().parseHex("fdffffff41"), 1))
                .isInstanceOf(ProtocolException.class);
        // COM_BINLOG_DUMP_GTID with a 4 GiB file name length
        byte[] dump = HexFormat.of().parseHex("1e" + "0000" + "01000000" + "ffffffff" + "41");
        assertThatThrownBy(() -> BinlogDumpGtid.parse(dump)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("file name of 4294967295 bytes");
        // ... with a GTID set claiming 2^40 SIDs in 8 bytes of data
        byte[] gtid = HexFormat.of().parseHex("1e" + "0400" + "01000000" + "00000000" + "0400000000000000"
                + "08000000" + "0000000000010000");
        assertThatThrownBy(() -> BinlogDumpGtid.parse(gtid)).isInstanceOf(ProtocolException.class);
        // ... with a data size beyond the packet
        byte[] size = HexFormat.of().parseHex("1e" + "0400" + "01000000" + "00000000" + "0400000000000000"
                + "ffffff7f");
        assertThatThrownBy(() -> BinlogDumpGtid.parse(size)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("GTID data of");
        // connection attributes claiming more bytes than the packet has
        byte[] resp = new HandshakeResponse41(Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION
                | Capabilities.CONNECT_ATTRS, 0, 45, "u", new byte[0], null, null, Map.of()).encode();
        resp[resp.length - 1] = (byte) 0xfc; // attribute block length prefix: 2-byte length follows, missing
        assertThatThrownBy(() -> HandshakeResponse41.parse(resp)).isInstanceOf(ProtocolException.class);
        // a result set announcing 2^32 columns
        assertThatThrownBy(() -> new ResultSet.Reader(Capabilities.PROTOCOL_41)
                .accept(HexFormat.of().parseHex("fe0000000001000000")))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("column count");
    }
}

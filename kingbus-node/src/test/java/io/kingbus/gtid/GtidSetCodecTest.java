package io.kingbus.gtid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GtidSetCodecTest {
  static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  static final String B = "7a07cd08-ac1b-11e2-9fcf-0010184e9e08";
  static final String HI = "f0000000-0000-0000-0000-000000000000";
  static final HexFormat HEX = HexFormat.of();

  static final String UUID_A = "3e11fa4771ca11e19e33c80aa9429562";

  private static byte[] hex(String... parts) {
    return HEX.parseHex(String.join("", parts).replace(" ", ""));
  }

  private static String le(long v) {
    return HEX.formatHex(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
  }

  @Test
  void handComputedVectorForOneInterval() {
    byte[] expected =
        hex(
            "01 00 00 00 00 00 00 00", // 1 sid
            "3e 11 fa 47 71 ca 11 e1 9e 33 c8 0a a9 42 95 62", // uuid, hex-digit order
            "01 00 00 00 00 00 00 00", // 1 interval
            "01 00 00 00 00 00 00 00", // start 1
            "04 00 00 00 00 00 00 00"); // end 3 + 1 (exclusive)
    GtidSet set = GtidSet.parse(A + ":1-3");
    assertThat(set.encodedLength()).isEqualTo(48);
    assertThat(set.encode()).containsExactly(expected);
    assertThat(GtidSet.decode(expected)).isEqualTo(set);
  }

  @Test
  void handComputedVectorForTwoSidsSortedUnsigned() {
    // HI sorts after A although its most significant long is negative.
    GtidSet set = GtidSet.parse(HI + ":7," + A + ":1-2:5-6");
    byte[] expected =
        hex(
            le(2),
            UUID_A,
            le(2),
            le(1),
            le(3),
            le(5),
            le(7),
            "f0000000000000000000000000000000",
            le(1),
            le(7),
            le(8));
    assertThat(set.encode()).containsExactly(expected);
    assertThat(set.encodedLength()).isEqualTo(expected.length).isEqualTo(8 + 24 * 2 + 16 * 3);
    assertThat(GtidSet.decode(expected)).isEqualTo(set);
  }

  @Test
  void emptySetEncodesAsZeroCount() {
    assertThat(GtidSet.empty().encode()).containsExactly(new byte[8]);
    assertThat(GtidSet.decode(new byte[8]).isEmpty()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        A + ":1",
        A + ":1-3:5:7-9",
        A + ":1-5," + B + ":1-3:9223372036854775806," + HI + ":100-200",
      })
  void roundTrips(String text) {
    GtidSet set = GtidSet.parse(text);
    byte[] enc = set.encode();
    assertThat(enc).hasSize(set.encodedLength());
    assertThat(GtidSet.decode(enc)).isEqualTo(set).hasToString(text);
    assertThat(GtidSet.decode(ByteBuffer.wrap(enc))).isEqualTo(set);
  }

  @Test
  void decodesWithOffsetsAndFromByteBuffers() {
    GtidSet set = GtidSet.parse(A + ":1-3," + B + ":9");
    byte[] enc = set.encode();
    byte[] padded = new byte[enc.length + 10];
    System.arraycopy(enc, 0, padded, 3, enc.length);
    assertThat(GtidSet.decode(padded, 3, enc.length)).isEqualTo(set);
    assertThatThrownBy(() -> GtidSet.decode(padded, 3, enc.length + 1))
        .isInstanceOfSatisfying(
            GtidParseException.class, e -> assertThat(e.getPosition()).isEqualTo(enc.length));
    assertThatThrownBy(() -> GtidSet.decode(padded, 8, enc.length + 10))
        .isInstanceOf(IndexOutOfBoundsException.class); // caller bug, not bad data

    // ByteBuffer: reads one set, leaves what follows, ignores (and keeps) the buffer's order
    ByteBuffer bb = ByteBuffer.allocateDirect(enc.length + 5).order(ByteOrder.BIG_ENDIAN);
    bb.put((byte) 0x77).put(enc).put(new byte[] {1, 2, 3, 4});
    bb.flip().position(1);
    assertThat(GtidSet.decode(bb)).isEqualTo(set);
    assertThat(bb.position()).isEqualTo(1 + enc.length);
    assertThat(bb.remaining()).isEqualTo(4);
    assertThat(bb.order()).isEqualTo(ByteOrder.BIG_ENDIAN);

    // failure leaves the position alone
    ByteBuffer bad = ByteBuffer.wrap(enc, 0, enc.length - 1);
    assertThatThrownBy(() -> GtidSet.decode(bad)).isInstanceOf(GtidParseException.class);
    assertThat(bad.position()).isZero();
  }

  @Test
  void encodeToWritesAtPositionOrRefuses() {
    GtidSet set = GtidSet.parse(A + ":1-3");
    ByteBuffer bb = ByteBuffer.allocate(60).order(ByteOrder.BIG_ENDIAN);
    bb.position(5);
    set.encodeTo(bb);
    assertThat(bb.position()).isEqualTo(53);
    assertThat(bb.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    byte[] out = new byte[48];
    bb.position(5);
    bb.get(out);
    assertThat(out).containsExactly(set.encode());

    ByteBuffer small = ByteBuffer.allocate(47);
    assertThatThrownBy(() -> set.encodeTo(small)).isInstanceOf(BufferOverflowException.class);
    assertThat(small.position()).isZero();
  }

  @Test
  void repeatedSidEntriesAreMergedAndEmptyEntriesIgnored() {
    byte[] b =
        hex(le(3), UUID_A, le(1), le(1), le(4), UUID_A, le(1), le(4), le(6), UUID_A, le(0));
    assertThat(GtidSet.decode(b)).hasToString(A + ":1-5");
    assertThat(GtidSet.decode(hex(le(1), UUID_A, le(0)))).isEqualTo(GtidSet.empty());
  }

  @Test
  void everyTruncationFails() {
    byte[] enc = GtidSet.parse(A + ":1-3:5," + B + ":7").encode();
    for (int len = 0; len < enc.length; len++) {
      int l = len;
      assertThatThrownBy(() -> GtidSet.decode(Arrays.copyOf(enc, l)))
          .as("length %d", len)
          .isInstanceOf(GtidParseException.class);
    }
  }

  /** Hostile or malformed encodings and the byte offset each must be reported at. */
  static Object[][] hostile() {
    return new Object[][] {
      {"short count", hex("01 00 00"), 0},
      {"2^60 sids", hex(le(1L << 60)), 0},
      {"2^52 sids", hex(le(1L << 52), "00".repeat(40)), 0},
      {"max sids", hex(le(0x00ffffffffffffffL)), 0},
      {"1 sid, 20 bytes", hex(le(1), "00".repeat(12)), 0},
      {"2 sids, 1 present", hex(le(2), UUID_A, le(1), le(1), le(2), "00".repeat(16)), 48},
      {"2^60 intervals", hex(le(1), UUID_A, le(1L << 60), le(1), le(2)), 24},
      {"-1 intervals", hex(le(1), UUID_A, le(-1), le(1), le(2)), 24},
      {"interval truncated", hex(le(1), UUID_A, le(1), le(1)), 24},
      {"2 intervals, 1 present", hex(le(1), UUID_A, le(2), le(1), le(2)), 24},
      {"start 0", hex(le(1), UUID_A, le(1), le(0), le(2)), 32},
      {"start negative", hex(le(1), UUID_A, le(1), le(-5), le(2)), 32},
      {"end == start", hex(le(1), UUID_A, le(1), le(3), le(3)), 40},
      {"end < start", hex(le(1), UUID_A, le(1), le(5), le(3)), 40},
      {"end negative", hex(le(1), UUID_A, le(1), le(5), le(Long.MIN_VALUE)), 40},
      {"descending", hex(le(1), UUID_A, le(2), le(5), le(7), le(1), le(3)), 48},
      {"overlapping", hex(le(1), UUID_A, le(2), le(1), le(5), le(3), le(7)), 48},
      {"adjacent (MySQL rejects)", hex(le(1), UUID_A, le(2), le(1), le(5), le(5), le(7)), 48},
      {"trailing byte", hex(le(0), "00"), 8},
      {"tagged format (8.3+)", hex("01 01 00 00 00 00 00 01"), 0},
      {"unknown format", hex("01 00 00 00 00 00 00 02"), 0},
    };
  }

  @Test
  void rejectsHostileInputFastWithOffsets() {
    for (Object[] c : hostile()) {
      String name = (String) c[0];
      byte[] bytes = (byte[]) c[1];
      int offset = (Integer) c[2];
      assertThatThrownBy(() -> GtidSet.decode(bytes))
          .as(name)
          .isInstanceOfSatisfying(
              GtidParseException.class,
              e -> {
                assertThat(e.isBinary()).as(name).isTrue();
                assertThat(e.getInput()).isNull();
                assertThat(e.getPosition()).as(name).isEqualTo(offset);
                assertThat(e.getMessage()).contains("byte offset " + offset);
              });
    }
  }

  @Test
  void taggedFormatHasAClearMessage() {
    assertThatThrownBy(() -> GtidSet.decode(hex("01 01 00 00 00 00 00 01")))
        .hasMessageContaining("tagged");
  }

  @Test
  void randomGarbageOnlyEverThrowsGtidParseException() {
    Random rnd = new Random(20240501L);
    byte[] valid =
        GtidSet.parse(A + ":1-3:5:9-100," + B + ":7," + HI + ":1-2:4").encode();
    for (int iter = 0; iter < 20_000; iter++) {
      byte[] b;
      if (iter % 2 == 0) {
        b = valid.clone();
        int flips = 1 + rnd.nextInt(4);
        for (int f = 0; f < flips; f++) {
          b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
        }
        if (rnd.nextBoolean()) {
          b = Arrays.copyOf(b, rnd.nextInt(b.length + 8));
        }
      } else {
        b = new byte[rnd.nextInt(120)];
        rnd.nextBytes(b);
        if (b.length >= 8 && rnd.nextBoolean()) {
          b[7] = 0; // plausible format byte
          b[6] = 0;
          b[5] = 0;
        }
      }
      try {
        GtidSet set = GtidSet.decode(b);
        // anything accepted must re-encode canonically and round-trip
        assertThat(GtidSet.decode(set.encode())).isEqualTo(set);
        assertThat(GtidSet.parse(set.toString())).isEqualTo(set);
      } catch (GtidParseException expected) {
        // fine
      }
    }
  }

  @Test
  void decodedUuidBytesAreBigEndian() {
    UUID u = UUID.fromString("00112233-4455-6677-8899-aabbccddeeff");
    GtidSet set = GtidSet.empty();
    set.add(u, 1);
    byte[] enc = set.encode();
    assertThat(Arrays.copyOfRange(enc, 8, 24))
        .containsExactly(hex("00112233445566778899aabbccddeeff"));
  }
}

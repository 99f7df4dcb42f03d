package io.kingbus.gtid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kingbus.gtid.GtidSet.Interval;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GtidSetTextTest {
  static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  static final String B = "7a07cd08-ac1b-11e2-9fcf-0010184e9e08";
  static final String HI = "f0000000-0000-0000-0000-000000000000";
  static final UUID SA = UUID.fromString(A);

  private static String canon(String text) {
    return GtidSet.parse(text).toString();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        A + ":1",
        A + ":1-5",
        A + ":1-5:7-9",
        A + ":1-5:7:9-11",
        A + ":1-5," + B + ":1-3",
        A + ":1-9223372036854775806",
        A + ":9223372036854775806",
        A + ":1-5," + B + ":3," + HI + ":1-2:4-5",
      })
  void canonicalTextRoundTrips(String text) {
    GtidSet set = GtidSet.parse(text);
    assertThat(set).hasToString(text);
    assertThat(GtidSet.parse(set.toString())).isEqualTo(set);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // upper-case UUID hex
        "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5 | " + A + ":1-5",
        // whitespace everywhere MySQL allows it
        "'  " + A + " : 1 - 5 : 7 ,  " + B + ":3  ' | " + A + ":1-5:7," + B + ":3",
        // intervals out of order
        A + ":7-9:1-5 | " + A + ":1-5:7-9",
        // overlapping intervals merge
        A + ":1-5:3-8 | " + A + ":1-8",
        // adjacent intervals merge
        A + ":1-3:4-5 | " + A + ":1-5",
        A + ":1:2:3 | " + A + ":1-3",
        A + ":4-5:1-3 | " + A + ":1-5",
        // one interval swallowing others
        A + ":3:5:7:1-10 | " + A + ":1-10",
        // duplicates
        A + ":5:5:5 | " + A + ":5",
        // single-number interval
        A + ":7-7 | " + A + ":7",
        // repeated UUIDs merge, even with different case
        A + ":1-3," + B + ":1,3E11FA47-71CA-11E1-9E33-C80AA9429562:4-6 | " + A + ":1-6," + B + ":1",
        // UUIDs sorted by text, with unsigned byte order (HI has a negative msb)
        HI + ":1," + B + ":2," + A + ":3 | " + A + ":3," + B + ":2," + HI + ":1",
        // empty elements and leading/trailing commas, as MySQL accepts
        "'," + A + ":1,,, ," + B + ":2,' | " + A + ":1," + B + ":2",
        // a bare UUID adds nothing
        A + " | ''",
        A + "," + B + ":1 | " + B + ":1",
        // leading zeros are decimal
        A + ":007-010 | " + A + ":7-10",
        "',,,' | ''",
        "'   ' | ''",
      })
  void canonicalises(String input, String expected) {
    assertThat(canon(input)).isEqualTo(expected);
  }

  @Test
  void acceptsMysqlGtidExecutedOutput() {
    String mysql = A + ":1-100,\n" + B + ":1-20:22-30,\n" + HI + ":5";
    GtidSet set = GtidSet.parse(mysql);
    assertThat(set.toString(",\n")).isEqualTo(mysql);
    assertThat(set).hasToString(A + ":1-100," + B + ":1-20:22-30," + HI + ":5");
    assertThat(GtidSet.parse("\r\n\t" + mysql + "\n\u000b\f")).isEqualTo(set);
    assertThat(set.count()).isEqualTo(100 + 20 + 9 + 1);
  }

  @Test
  void emptySetPrintsAsEmptyString() {
    assertThat(GtidSet.empty()).hasToString("");
    assertThat(GtidSet.empty().toString(",\n")).isEmpty();
    assertThat(GtidSet.parse("").isEmpty()).isTrue();
  }

  @Test
  void exposesIntervalsAndSids() {
    GtidSet set = GtidSet.parse(B + ":9," + A + ":4-6:1-2:10");
    assertThat(set.sids()).containsExactly(SA, UUID.fromString(B));
    assertThat(set.intervals(SA))
        .containsExactly(new Interval(1, 2), new Interval(4, 6), new Interval(10, 10));
    assertThat(set.intervals(UUID.fromString(HI))).isEmpty();
    assertThat(set.lastGno(SA)).isEqualTo(10);
    assertThat(set.lastGno(UUID.fromString(HI))).isZero();
    assertThat(set.sidCount()).isEqualTo(2);
    assertThat(new Interval(4, 6)).hasToString("4-6");
    assertThat(new Interval(4, 4)).hasToString("4");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        // bad UUIDs
        "3e11fa47-71ca-11e1-9e33-c80aa942956:1 | 35",
        "3e11fa47-71ca-11e1-9e33-c80aa942956z:1 | 35",
        "3e11fa47x71ca-11e1-9e33-c80aa9429562:1 | 8",
        "3e11fa4771ca11e19e33c80aa9429562:1 | 8",
        "{3e11fa47-71ca-11e1-9e33-c80aa9429562}:1 | 0",
        "3e11fa47-71ca-11e1-9e33 | 23",
        "garbage | 0",
        "ANONYMOUS | 1",
        "+3e11fa47-71ca-11e1-9e33-c80aa9429562:1 | 0",
        // GNO 0
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:0 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:0-5 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-0 | 39",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:000 | 37",
        // negative
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:-1 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1--5 | 39",
        // start > end
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:5-3 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-2:10-9 | 41",
        // missing numbers
        "3e11fa47-71ca-11e1-9e33-c80aa9429562: | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1- | 39",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1: | 39",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:: | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:-5 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:a | 37",
        // plain-decimal only
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:0x10 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:+5 | 37",
        // trailing garbage
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5x | 40",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5-7 | 40",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1 2 | 39",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1;3e11fa47-71ca-11e1-9e33-c80aa9429562:2 | 38",
        "3e11fa47-71ca-11e1-9e33-c80aa95621:1 | 34",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1 , x | 41",
        // out of range: 2^63-1 (MySQL's GNO_END) and above
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:9223372036854775807 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-9223372036854775807 | 39",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:9223372036854775808 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:18446744073709551617 | 37",
        "3e11fa47-71ca-11e1-9e33-c80aa9429562:99999999999999999999999999 | 37",
      })
  void rejectsWithPosition(String text, int position) {
    assertThatThrownBy(() -> GtidSet.parse(text))
        .isInstanceOfSatisfying(
            GtidParseException.class,
            e -> {
              assertThat(e.getPosition()).isEqualTo(position);
              assertThat(e.getInput()).isEqualTo(text);
              assertThat(e.isBinary()).isFalse();
              assertThat(e.getMessage()).contains(text).contains("position " + position);
            })
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void errorMessageForLongInputShowsExcerptAndEscapesNewlines() {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 50; i++) {
      sb.append(String.format("%08x-0000-0000-0000-000000000000:1-%d,\n", i, i));
    }
    sb.append("oops");
    String text = sb.toString();
    assertThatThrownBy(() -> GtidSet.parse(text))
        .isInstanceOfSatisfying(
            GtidParseException.class,
            e -> {
              assertThat(e.getPosition()).isEqualTo(text.length() - 4);
              assertThat(e.getMessage())
                  .contains("oops")
                  .contains("position " + (text.length() - 4))
                  .contains("\\n")
                  .doesNotContain("\n")
                  .hasSizeLessThan(400);
            });
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> GtidSet.parse(null)).isInstanceOf(NullPointerException.class);
  }
}

package io.kingbus.gtid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GtidTest {
  static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

  @Test
  void parsesAndPrints() {
    Gtid g = Gtid.parse(A + ":23");
    assertThat(g.sid()).isEqualTo(UUID.fromString(A));
    assertThat(g.gno()).isEqualTo(23);
    assertThat(g).hasToString(A + ":23");
  }

  @Test
  void acceptsUpperCaseAndWhitespaceLikeMysql() {
    assertThat(Gtid.parse(" \t" + A.toUpperCase() + " : 7 \n")).isEqualTo(Gtid.parse(A + ":7"));
    assertThat(Gtid.parse(A.toUpperCase() + ":7")).hasToString(A + ":7");
  }

  @Test
  void acceptsTheLargestGno() {
    assertThat(Gtid.parse(A + ":9223372036854775806").gno()).isEqualTo(Gtid.MAX_GNO);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "   ",
        A,
        A + ":",
        A + ":0",
        A + ":-1",
        A + ":1-2",
        A + ":1:2",
        A + ":1,",
        A + ":1x",
        A + ":x",
        A + ":9223372036854775807",
        A + ":9223372036854775808",
        A + ":99999999999999999999999",
        "3e11fa47-71ca-11e1-9e33-c80aa942956:1",
        "3e11fa47-71ca-11e1-9e33-c80aa942956g:1",
        "3e11fa4771ca11e19e33c80aa9429562:1",
        "{3e11fa47-71ca-11e1-9e33-c80aa9429562}:1",
        "3e11fa47-71ca-11e1-9e33_c80aa9429562:1",
      })
  void rejectsMalformed(String text) {
    assertThatThrownBy(() -> Gtid.parse(text)).isInstanceOf(GtidParseException.class);
  }

  @Test
  void constructorValidates() {
    UUID sid = UUID.fromString(A);
    assertThatThrownBy(() -> new Gtid(sid, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Gtid(sid, -5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Gtid(sid, Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatNullPointerException().isThrownBy(() -> new Gtid(null, 1));
    assertThat(new Gtid(sid, Gtid.MAX_GNO).gno()).isEqualTo(Long.MAX_VALUE - 1);
  }

  @Test
  void ordersBySidTextThenGno() {
    Gtid lowSid = Gtid.parse("00000000-0000-0000-0000-000000000001:5");
    Gtid highSid = Gtid.parse("f0000000-0000-0000-0000-000000000000:1"); // negative msb
    Gtid a1 = Gtid.parse(A + ":1");
    Gtid a2 = Gtid.parse(A + ":2");
    List<Gtid> list = new ArrayList<>(List.of(highSid, a2, lowSid, a1));
    Collections.sort(list);
    assertThat(list).containsExactly(lowSid, a1, a2, highSid);
  }
}

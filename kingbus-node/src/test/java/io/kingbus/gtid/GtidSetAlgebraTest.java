package io.kingbus.gtid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GtidSetAlgebraTest {
  static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
  static final String B = "7a07cd08-ac1b-11e2-9fcf-0010184e9e08";
  static final UUID SA = UUID.fromString(A);
  static final UUID SB = UUID.fromString(B);

  /** Expands "1-3:5" style shorthand for sid A; "B:..." for sid B; "+" joins elements. */
  private static GtidSet s(String shorthand) {
    if (shorthand.isBlank()) {
      return GtidSet.empty();
    }
    StringBuilder sb = new StringBuilder();
    for (String part : shorthand.split("\\+")) {
      part = part.trim();
      if (sb.length() > 0) {
        sb.append(',');
      }
      if (part.startsWith("B:")) {
        sb.append(B).append(':').append(part.substring(2));
      } else {
        sb.append(A).append(':').append(part);
      }
    }
    return GtidSet.parse(sb.toString());
  }

  @ParameterizedTest(name = "[{index}] {0} op {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      value = {
        // x     | y          | union          | x - y        | x ∩ y   | x ⊇ y | y ⊇ x
        // disjoint
        "1-3     | 7-9        | 1-3:7-9        | 1-3          | ''      | false | false",
        // touching (adjacent)
        "1-3     | 4-6        | 1-6            | 1-3          | ''      | false | false",
        "4-6     | 1-3        | 1-6            | 4-6          | ''      | false | false",
        // overlapping
        "1-5     | 3-8        | 1-8            | 1-2          | 3-5     | false | false",
        "3-8     | 1-5        | 1-8            | 6-8          | 3-5     | false | false",
        // sharing one endpoint
        "1-5     | 5-9        | 1-9            | 1-4          | 5       | false | false",
        // containment
        "1-10    | 3-4        | 1-10           | 1-2:5-10     | 3-4     | true  | false",
        "1-10    | 1-10       | 1-10           | ''           | 1-10    | true  | true",
        "1-10    | 1          | 1-10           | 2-10         | 1       | true  | false",
        "1-10    | 10         | 1-10           | 1-9          | 10      | true  | false",
        // one interval bridging a gap
        "1-3:7-9 | 4-6        | 1-9            | 1-3:7-9      | ''      | false | false",
        "1-3:7-9 | 2-8        | 1-9            | 1:9          | 2-3:7-8 | false | false",
        "1-3:7-9 | 3-7        | 1-9            | 1-2:8-9      | 3:7     | false | false",
        // many against many
        "1-2:4-5:7-8:10-11 | 2-4:8-10 | 1-5:7-11 | 1:5:7:11 | 2:4:8:10 | false | false",
        "1-20    | 2:4:6:8:10 | 1-20           | 1:3:5:7:9:11-20 | 2:4:6:8:10 | true | false",
        // the gap is exactly in the subtrahend
        "1-3:5-7 | 4          | 1-7            | 1-3:5-7      | ''      | false | false",
        // empty operands
        "1-3     | ''         | 1-3            | 1-3          | ''      | true  | false",
        "''      | 1-3        | 1-3            | ''           | ''      | false | true",
        "''      | ''         | ''             | ''           | ''      | true  | true",
        // multiple sids
        "1-5 + B:1-5 | B:3-9      | 1-5 + B:1-9 | 1-5 + B:1-2 | B:3-5 | false | false",
        "1-5 + B:1-5 | 2 + B:2    | 1-5 + B:1-5 | 1:3-5 + B:1:3-5 | 2 + B:2 | true | false",
        "1-5         | B:1-5      | 1-5 + B:1-5 | 1-5         | ''    | false | false",
        "1-5 + B:7   | 1-5        | 1-5 + B:7   | B:7         | 1-5   | true  | false",
      })
  void algebra(
      String x,
      String y,
      String union,
      String minus,
      String inter,
      boolean xContainsY,
      boolean yContainsX) {
    GtidSet sx = s(x);
    GtidSet sy = s(y);
    String before = sx.toString();
    String beforeY = sy.toString();

    assertThat(sx.union(sy)).isEqualTo(s(union));
    assertThat(sy.union(sx)).isEqualTo(s(union));
    assertThat(sx.subtract(sy)).isEqualTo(s(minus));
    assertThat(sx.intersection(sy)).isEqualTo(s(inter));
    assertThat(sy.intersection(sx)).isEqualTo(s(inter));
    assertThat(sx.containsAll(sy)).isEqualTo(xContainsY);
    assertThat(sy.containsAll(sx)).isEqualTo(yContainsX);
    assertThat(sx.intersects(sy)).isEqualTo(!s(inter).isEmpty());
    // new sets: operands untouched
    assertThat(sx).hasToString(before);
    assertThat(sy).hasToString(beforeY);

    // in-place union
    GtidSet z = sx.copy();
    assertThat(z.addAll(sy)).isSameAs(z).isEqualTo(s(union));
    assertThat(sx).hasToString(before);
    assertThat(sy).hasToString(beforeY);
    // derived identities
    assertThat(sx.subtract(sy).union(sx.intersection(sy))).isEqualTo(sx);
    assertThat(sx.union(sy).containsAll(sx)).isTrue();
  }

  @Test
  void addReturnsFalseForDuplicates() {
    GtidSet set = GtidSet.empty();
    assertThat(set.add(SA, 1)).isTrue();
    assertThat(set.add(SA, 1)).isFalse();
    assertThat(set.add(SA, 2)).isTrue();
    assertThat(set.add(SA, 5)).isTrue();
    assertThat(set.add(SA, 2)).isFalse();
    assertThat(set.add(SA, 5)).isFalse();
    assertThat(set.add(SA, 4)).isTrue(); // touches 5 from the left
    assertThat(set.add(SA, 3)).isTrue(); // closes the hole
    assertThat(set).hasToString(A + ":1-5");
    assertThat(set.add(SA, 3)).isFalse();
    assertThat(set.add(SB, 3)).isTrue();
    assertThat(set.add(SB, 3)).isFalse();
    assertThat(set.count()).isEqualTo(6);
  }

  @Test
  void addInMiddleAndBeforeEverything() {
    GtidSet set = GtidSet.parse(A + ":10-20:30-40:50-60");
    assertThat(set.add(SA, 25)).isTrue();
    assertThat(set.add(SA, 1)).isTrue();
    assertThat(set.add(SA, 9)).isTrue();
    assertThat(set.add(SA, 41)).isTrue();
    assertThat(set.add(SA, 49)).isTrue();
    assertThat(set.add(SA, 62)).isTrue();
    assertThat(set).hasToString(A + ":1:9-20:25:30-41:49-60:62");
    assertThat(set.add(SA, 61)).isTrue();
    assertThat(set.add(SA, 42)).isTrue();
    assertThat(set.add(SA, 43)).isTrue();
    assertThat(set).hasToString(A + ":1:9-20:25:30-43:49-62");
  }

  @Test
  void addIntervalMergesAcrossManyIntervals() {
    GtidSet set = GtidSet.parse(A + ":1:3:5:7:9:20-30");
    set.addInterval(SA, 2, 8);
    assertThat(set).hasToString(A + ":1-9:20-30");
    set.addInterval(SA, 10, 19);
    assertThat(set).hasToString(A + ":1-30");
    set.addInterval(SA, 5, 6); // already present
    set.addInterval(SA, 32, 32);
    set.addInterval(SA, 31, 31);
    assertThat(set).hasToString(A + ":1-32");
    assertThatThrownBy(() -> set.addInterval(SA, 5, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> set.addInterval(SA, 0, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> set.addInterval(SA, 1, Long.MAX_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void containsEdgeCases() {
    GtidSet set = GtidSet.parse(A + ":3-5:8:10-12," + B + ":1");
    for (long g = 0; g <= 14; g++) {
      boolean expected = (g >= 3 && g <= 5) || g == 8 || (g >= 10 && g <= 12);
      assertThat(set.contains(SA, g)).as("gno %d", g).isEqualTo(expected);
    }
    assertThat(set.contains(SB, 1)).isTrue();
    assertThat(set.contains(SB, 2)).isFalse();
    assertThat(set.contains(new Gtid(SA, 4))).isTrue();
    assertThat(set.contains(UUID.randomUUID(), 1)).isFalse();
    assertThat(set.contains(SA, -1)).isFalse();
    assertThat(set.contains(SA, Long.MAX_VALUE)).isFalse();
    // alternate sids to exercise the lookup cache
    assertThat(set.contains(SA, 11)).isTrue();
    assertThat(set.contains(SB, 1)).isTrue();
    assertThat(set.contains(SA, 9)).isFalse();
  }

  @Test
  void extremeGnos() {
    GtidSet set = GtidSet.empty();
    assertThat(set.add(SA, Gtid.MAX_GNO)).isTrue();
    assertThat(set.add(SA, Gtid.MAX_GNO - 1)).isTrue();
    assertThat(set.add(SA, 1)).isTrue();
    assertThat(set).hasToString(A + ":1:9223372036854775805-9223372036854775806");
    assertThat(set.contains(SA, Gtid.MAX_GNO)).isTrue();
    assertThatThrownBy(() -> set.add(SA, Long.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> set.add(SA, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> set.add(null, 1)).isInstanceOf(NullPointerException.class);
    set.addInterval(SB, 1, Gtid.MAX_GNO);
    set.addInterval(SA, 1, Gtid.MAX_GNO);
    assertThat(set.count()).isEqualTo(Long.MAX_VALUE); // saturates
    assertThat(GtidSet.decode(set.encode())).isEqualTo(set);
    assertThat(GtidSet.parse(set.toString())).isEqualTo(set);
  }

  @Test
  void equalsAndHashCodeByContent() {
    GtidSet x = GtidSet.parse(A + ":1-3," + B + ":5");
    GtidSet y = GtidSet.empty();
    y.add(SB, 5);
    y.add(SA, 3);
    y.add(SA, 1);
    assertThat(y).isNotEqualTo(x);
    y.add(SA, 2);
    assertThat(y).isEqualTo(x).hasSameHashCodeAs(x);
    assertThat(x).isNotEqualTo(GtidSet.parse(A + ":1-3"));
    assertThat(x).isNotEqualTo(GtidSet.parse(A + ":1-3," + B + ":6"));
    assertThat(GtidSet.empty()).isEqualTo(GtidSet.parse(A)).isNotEqualTo(null);
  }

  @Test
  void copyIsIndependent() {
    GtidSet x = GtidSet.parse(A + ":1-3");
    GtidSet c = x.copy();
    c.add(SA, 4);
    c.add(SB, 1);
    x.add(SA, 10);
    assertThat(x).hasToString(A + ":1-3:10");
    assertThat(c).hasToString(A + ":1-4," + B + ":1");
  }

  @Test
  void addAllWithSelfAndAliasing() {
    GtidSet x = GtidSet.parse(A + ":1-3");
    assertThat(x.addAll(x)).isEqualTo(GtidSet.parse(A + ":1-3"));
    GtidSet y = GtidSet.parse(B + ":1");
    x.addAll(y);
    y.add(SB, 2); // must not leak into x
    assertThat(x).hasToString(A + ":1-3," + B + ":1");
    assertThat(x.containsAll(x)).isTrue();
  }

  @Test
  void sidsSnapshotIsUnmodifiableAndOrdered() {
    GtidSet x = GtidSet.parse("f0000000-0000-0000-0000-000000000000:1," + B + ":1," + A + ":1");
    assertThat(x.sids())
        .containsExactly(SA, SB, UUID.fromString("f0000000-0000-0000-0000-000000000000"));
    assertThatThrownBy(() -> x.sids().clear()).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> x.intervals(SA).clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void appendHeavyWorkloadStaysCompact() {
    GtidSet set = GtidSet.empty();
    for (long g = 1; g <= 100_000; g++) {
      assertThat(set.add(SA, g)).isTrue();
      if (g % 1000 == 0) {
        set.add(SB, g / 1000);
      }
    }
    assertThat(set).hasToString(A + ":1-100000," + B + ":1-100");
    assertThat(set.count()).isEqualTo(100_100);
  }
}

package io.kingbus.gtid;

import static org.assertj.core.api.Assertions.assertThat;

import io.kingbus.gtid.GtidSet.Interval;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Compares GtidSet against a naive Set&lt;Gtid&gt; model over random operations (fixed seeds). */
class GtidSetModelTest {
  private static final List<UUID> SIDS =
      List.of(
          UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562"),
          UUID.fromString("f0000000-0000-0000-0000-000000000000"), // negative msb
          UUID.fromString("80000000-0000-0000-8000-000000000001"), // negative msb and lsb
          UUID.fromString("00000000-0000-0000-0000-000000000001"));
  private static final int SMALL = 50;
  private static final long[] HIGH = {
    Gtid.MAX_GNO - 3, Gtid.MAX_GNO - 2, Gtid.MAX_GNO - 1, Gtid.MAX_GNO
  };

  private final Random rnd;

  GtidSetModelTest() {
    rnd = new Random(0x6b696e67L); // "king"
  }

  private UUID sid() {
    return SIDS.get(rnd.nextInt(SIDS.size()));
  }

  private long gno() {
    return rnd.nextInt(100) < 85 ? 1 + rnd.nextInt(SMALL) : HIGH[rnd.nextInt(HIGH.length)];
  }

  private static List<Long> universe() {
    List<Long> u = new ArrayList<>();
    for (long g = 1; g <= SMALL + 2; g++) {
      u.add(g);
    }
    for (long g : HIGH) {
      u.add(g);
    }
    return u;
  }

  /** Canonical MySQL text computed independently from the model: UUIDs sorted by their text. */
  static String render(Set<Gtid> model, String sep) {
    Map<String, List<Long>> bySid = new java.util.TreeMap<>();
    for (Gtid g : model) {
      bySid.computeIfAbsent(g.sid().toString(), k -> new ArrayList<>()).add(g.gno());
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, List<Long>> e : bySid.entrySet()) {
      StringBuilder sb = new StringBuilder(e.getKey());
      for (long[] run : runs(e.getValue())) {
        sb.append(':').append(run[0]);
        if (run[1] != run[0]) {
          sb.append('-').append(run[1]);
        }
      }
      parts.add(sb.toString());
    }
    return String.join(sep, parts);
  }

  static List<long[]> runs(List<Long> gnos) {
    List<Long> sorted = new ArrayList<>(new TreeSet<>(gnos));
    List<long[]> runs = new ArrayList<>();
    for (long g : sorted) {
      if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] + 1 == g) {
        runs.get(runs.size() - 1)[1] = g;
      } else {
        runs.add(new long[] {g, g});
      }
    }
    return runs;
  }

  private GtidSet build(Set<Gtid> model) {
    List<Gtid> list = new ArrayList<>(model);
    Collections.shuffle(list, rnd);
    GtidSet s = GtidSet.empty();
    for (Gtid g : list) {
      assertThat(s.add(g.sid(), g.gno())).isTrue();
    }
    return s;
  }

  private Set<Gtid> randomModel(int maxOps) {
    Set<Gtid> m = new TreeSet<>();
    int ops = rnd.nextInt(maxOps + 1);
    for (int i = 0; i < ops; i++) {
      UUID sid = sid();
      if (rnd.nextInt(3) == 0) {
        long s = 1 + rnd.nextInt(SMALL);
        long e = Math.min(SMALL, s + rnd.nextInt(8));
        for (long g = s; g <= e; g++) {
          m.add(new Gtid(sid, g));
        }
      } else {
        m.add(new Gtid(sid, gno()));
      }
    }
    return m;
  }

  private void verify(GtidSet actual, Set<Gtid> model) {
    assertThat(actual).hasToString(render(model, ","));
    assertThat(actual.toString(",\n")).isEqualTo(render(model, ",\n"));
    assertThat(actual.count()).isEqualTo(model.size());
    assertThat(actual.isEmpty()).isEqualTo(model.isEmpty());
    for (UUID sid : SIDS) {
      for (long g : universe()) {
        assertThat(actual.contains(sid, g)).isEqualTo(model.contains(new Gtid(sid, g)));
      }
      List<Long> gnos =
          model.stream().filter(x -> x.sid().equals(sid)).map(Gtid::gno).collect(Collectors.toList());
      List<Interval> expected = new ArrayList<>();
      for (long[] run : runs(gnos)) {
        expected.add(new Interval(run[0], run[1]));
      }
      assertThat(actual.intervals(sid)).isEqualTo(expected);
      assertThat(actual.lastGno(sid)).isEqualTo(gnos.stream().mapToLong(x -> x).max().orElse(0));
    }
    List<UUID> expectedSids =
        model.stream()
            .map(Gtid::sid)
            .distinct()
            .sorted(Comparator.comparing(UUID::toString))
            .collect(Collectors.toList());
    assertThat(actual.sids()).containsExactlyElementsOf(expectedSids);
    GtidSet rebuilt = build(model);
    assertThat(actual).isEqualTo(rebuilt).hasSameHashCodeAs(rebuilt);
    assertThat(GtidSet.parse(actual.toString())).isEqualTo(actual);
    assertThat(GtidSet.decode(actual.encode())).isEqualTo(actual);
  }

  private void verifyBinary(GtidSet x, Set<Gtid> mx, GtidSet y, Set<Gtid> my) {
    Set<Gtid> union = new TreeSet<>(mx);
    union.addAll(my);
    Set<Gtid> minus = new TreeSet<>(mx);
    minus.removeAll(my);
    Set<Gtid> inter = new TreeSet<>(mx);
    inter.retainAll(my);
    String xs = x.toString();
    String ys = y.toString();
    assertThat(x.union(y)).hasToString(render(union, ","));
    assertThat(x.subtract(y)).hasToString(render(minus, ","));
    assertThat(y.subtract(x)).hasToString(render(diff(my, mx), ","));
    assertThat(x.intersection(y)).hasToString(render(inter, ","));
    assertThat(x.containsAll(y)).isEqualTo(mx.containsAll(my));
    assertThat(y.containsAll(x)).isEqualTo(my.containsAll(mx));
    assertThat(x.intersects(y)).isEqualTo(!inter.isEmpty());
    assertThat(x.equals(y)).isEqualTo(mx.equals(my));
    assertThat(x).hasToString(xs);
    assertThat(y).hasToString(ys);
  }

  private static Set<Gtid> diff(Set<Gtid> a, Set<Gtid> b) {
    Set<Gtid> r = new TreeSet<>(a);
    r.removeAll(b);
    return r;
  }

  @Test
  void randomOperationsMatchNaiveModel() {
    GtidSet x = GtidSet.empty();
    Set<Gtid> mx = new TreeSet<>();
    Set<Gtid> my = randomModel(20);
    GtidSet y = build(my);

    for (int step = 0; step < 3000; step++) {
      int op = rnd.nextInt(100);
      if (op < 45) {
        UUID sid = sid();
        long g = gno();
        boolean changed = x.add(sid, g);
        assertThat(changed).as("step %d add %s:%d", step, sid, g).isEqualTo(mx.add(new Gtid(sid, g)));
      } else if (op < 55) {
        UUID sid = sid();
        long s;
        long e;
        if (rnd.nextInt(5) == 0) {
          int i = rnd.nextInt(HIGH.length);
          s = HIGH[i];
          e = HIGH[i + rnd.nextInt(HIGH.length - i)];
        } else {
          s = 1 + rnd.nextInt(SMALL);
          e = Math.min(SMALL, s + rnd.nextInt(12));
        }
        x.addInterval(sid, s, e);
        for (long g = s; g <= e && g > 0; g++) {
          mx.add(new Gtid(sid, g));
        }
      } else if (op < 62) {
        x.addAll(y);
        mx.addAll(my);
      } else if (op < 66) {
        x = x.subtract(y);
        mx.removeAll(my);
      } else if (op < 69) {
        Set<Gtid> mr = randomModel(30);
        Set<Gtid> myr = new TreeSet<>(my);
        myr.addAll(mr);
        x = x.intersection(y.union(build(mr)));
        mx.retainAll(myr);
      } else if (op < 80) {
        my = randomModel(25);
        y = build(my);
      } else if (op < 84) {
        x = GtidSet.parse(rnd.nextBoolean() ? x.toString() : " " + x.toString(" ,\n ") + "\n");
      } else if (op < 88) {
        x = GtidSet.decode(x.encode());
      } else if (op < 92) {
        GtidSet c = x.copy();
        Set<Gtid> mc = new TreeSet<>(mx);
        Gtid g = new Gtid(sid(), gno());
        x.add(g); // mutate the original: the copy must not change
        mx.add(g);
        verify(c, mc);
        if (rnd.nextBoolean()) {
          x = c.addAll(x); // mc ∪ mx == mx
        }
      } else if (op < 95) {
        if (rnd.nextInt(10) == 0) {
          x = GtidSet.empty();
          mx.clear();
        }
      } else {
        Gtid g = new Gtid(sid(), gno());
        assertThat(x.contains(g)).isEqualTo(mx.contains(g));
        x.add(g);
        mx.add(g);
      }
      verify(x, mx);
      verifyBinary(x, mx, y, my);
    }
    assertThat(mx.size()).isGreaterThan(20); // the walk did build something non-trivial
  }

  @Test
  void randomIntervalAlgebraAgainstModel() {
    for (int iter = 0; iter < 2000; iter++) {
      Set<Gtid> ma = randomModel(25);
      Set<Gtid> mb = randomModel(25);
      GtidSet a = build(ma);
      GtidSet b = build(mb);
      verifyBinary(a, ma, b, mb);
      GtidSet c = a.copy().addAll(b);
      Set<Gtid> mc = new TreeSet<>(ma);
      mc.addAll(mb);
      verify(c, mc);
    }
  }

  @Test
  void randomTextWithNoiseParsesLikeModel() {
    for (int iter = 0; iter < 1000; iter++) {
      Set<Gtid> m = new TreeSet<>();
      StringBuilder sb = new StringBuilder();
      int elements = rnd.nextInt(5);
      Map<Integer, String> ws = new LinkedHashMap<>();
      ws.put(0, "");
      ws.put(1, " ");
      ws.put(2, "\n");
      ws.put(3, "\t ");
      for (int e = 0; e < elements; e++) {
        UUID sid = sid();
        sb.append(ws.get(rnd.nextInt(4)));
        String u = sid.toString();
        sb.append(rnd.nextBoolean() ? u : u.toUpperCase());
        int ivs = rnd.nextInt(4);
        for (int i = 0; i < ivs; i++) {
          long s = 1 + rnd.nextInt(SMALL);
          long en = rnd.nextBoolean() ? s : Math.min(SMALL, s + rnd.nextInt(6));
          sb.append(ws.get(rnd.nextInt(4))).append(':').append(ws.get(rnd.nextInt(4))).append(s);
          if (en != s || rnd.nextInt(4) == 0) {
            sb.append(ws.get(rnd.nextInt(4))).append('-').append(ws.get(rnd.nextInt(4))).append(en);
          }
          for (long g = s; g <= en; g++) {
            m.add(new Gtid(sid, g));
          }
        }
        sb.append(ws.get(rnd.nextInt(4))).append(',');
        if (rnd.nextInt(4) == 0) {
          sb.append(',');
        }
      }
      String text = sb.toString();
      GtidSet parsed = GtidSet.parse(text);
      assertThat(parsed).as(text).hasToString(render(m, ","));
      verify(parsed, m);
    }
  }
}

package io.kingbus.gtid;

import java.util.Arrays;
import java.util.UUID;

/**
 * The GNOs of one SID: a sorted array of disjoint, non-adjacent half-open intervals {@code
 * [start, end)} stored flat as {@code a[2i] = start, a[2i+1] = end}. Invariant: {@code 1 <=
 * start(0)}, {@code start(i) < end(i) < start(i+1)}, {@code end <= Long.MAX_VALUE} (i.e. GNO &lt;=
 * {@link Gtid#MAX_GNO}).
 *
 * <p>Lookups are binary searches (O(log n)) with a constant-time check of the last interval first;
 * adding at or after the end is amortized O(1) and allocation-free except for array growth. Adding
 * into the middle is a binary search plus an {@code arraycopy} of the intervals after the insertion
 * point (only when an interval is created or two are merged).
 *
 * <p>Not thread-safe; the {@link #sid} is final so an instance can be read racily as a cache entry.
 */
final class GnoIntervals {
  private static final int MIN_CAPACITY = 4; // longs, i.e. two intervals

  final UUID sid;
  private long[] a;
  private int n; // number of intervals

  GnoIntervals(UUID sid) {
    this.sid = sid;
    this.a = new long[MIN_CAPACITY];
  }

  /** Takes ownership of {@code a}, which must satisfy the class invariant for its first n pairs. */
  private GnoIntervals(UUID sid, long[] a, int n) {
    this.sid = sid;
    this.a = a;
    this.n = n;
  }

  /** Wraps an already-normalized flat array (ownership is transferred). */
  static GnoIntervals wrap(UUID sid, long[] a, int n) {
    return new GnoIntervals(sid, a, n);
  }

  GnoIntervals copy() {
    return new GnoIntervals(sid, Arrays.copyOf(a, Math.max(MIN_CAPACITY, 2 * n + 2)), n);
  }

  int size() {
    return n;
  }

  boolean isEmpty() {
    return n == 0;
  }

  long start(int i) {
    return a[i << 1];
  }

  /** Exclusive end. */
  long end(int i) {
    return a[(i << 1) + 1];
  }

  /** Number of GNOs, saturating at Long.MAX_VALUE. */
  long count() {
    long c = 0;
    for (int i = 0, m = n << 1; i < m; i += 2) {
      c += a[i + 1] - a[i];
      if (c < 0) {
        return Long.MAX_VALUE;
      }
    }
    return c;
  }

  /** Largest GNO, or 0 if empty. */
  long last() {
    return n == 0 ? 0 : a[(n << 1) - 1] - 1;
  }

  boolean contains(long gno) {
    int n = this.n;
    if (n == 0) {
      return false;
    }
    long[] a = this.a;
    int li = (n - 1) << 1;
    if (gno >= a[li]) {
      return gno < a[li + 1];
    }
    int i = floorIndex(a, gno, n - 1);
    return i >= 0 && gno < a[(i << 1) + 1];
  }

  /**
   * Adds one GNO (already validated to be in range).
   *
   * @return false if it was already present
   */
  boolean add(long gno) {
    int n = this.n;
    if (n == 0) {
      append(gno, gno + 1);
      return true;
    }
    long[] a = this.a;
    int li = (n - 1) << 1;
    long lastEnd = a[li + 1];
    if (gno == lastEnd) { // the common case: next transaction of this server
      a[li + 1] = gno + 1;
      return true;
    }
    if (gno > lastEnd) {
      append(gno, gno + 1);
      return true;
    }
    if (gno >= a[li]) {
      return false;
    }
    return addRange(gno, gno + 1);
  }

  /**
   * Adds {@code [start, end)} (already validated: 1 <= start < end).
   *
   * @return true if the set changed
   */
  boolean addRange(long start, long end) {
    int n = this.n;
    if (n == 0 || start > a[(n << 1) - 1]) {
      append(start, end);
      return true;
    }
    long[] a = this.a;
    int lo = firstEndAtLeast(a, start, n); // first interval overlapping or touching on the left
    int hi = floorIndex(a, end, n); // last interval overlapping or touching on the right
    if (lo > hi) {
      insertAt(lo, start, end);
      return true;
    }
    int l2 = lo << 1;
    int h2 = hi << 1;
    if (lo == hi && a[l2] <= start && a[l2 + 1] >= end) {
      return false;
    }
    a[l2] = Math.min(start, a[l2]);
    a[l2 + 1] = Math.max(end, a[h2 + 1]);
    if (hi > lo) {
      System.arraycopy(a, h2 + 2, a, l2 + 2, (n - hi - 1) << 1);
      this.n = n - (hi - lo);
    }
    return true;
  }

  /** In-place union with {@code o}. */
  void addAll(GnoIntervals o) {
    int on = o.n;
    if (on == 0) {
      return;
    }
    if (n == 0 || o.a[0] > a[(n << 1) - 1]) {
      ensureCapacity((n + on) << 1);
      System.arraycopy(o.a, 0, a, n << 1, on << 1);
      n += on;
      return;
    }
    if (on == 1) {
      addRange(o.a[0], o.a[1]);
      return;
    }
    Builder b = new Builder(Math.max(n, on) + 1);
    union(this, o, b);
    a = b.a;
    n = b.n;
  }

  /** Is every GNO of {@code sub} in this? O(m log n). */
  boolean containsAll(GnoIntervals sub) {
    long[] a = this.a;
    int n = this.n;
    long[] b = sub.a;
    for (int j = 0, m = sub.n << 1; j < m; j += 2) {
      int i = floorIndex(a, b[j], n);
      if (i < 0 || b[j + 1] > a[(i << 1) + 1]) {
        return false;
      }
    }
    return true;
  }

  /** Do this and {@code o} share a GNO? O(n + m). */
  boolean intersects(GnoIntervals o) {
    int i = 0;
    int j = 0;
    long[] a = this.a;
    long[] b = o.a;
    int n2 = n << 1;
    int m2 = o.n << 1;
    while (i < n2 && j < m2) {
      if (a[i + 1] <= b[j]) {
        i += 2;
      } else if (b[j + 1] <= a[i]) {
        j += 2;
      } else {
        return true;
      }
    }
    return false;
  }

  static void union(GnoIntervals x, GnoIntervals y, Builder out) {
    long[] a = x.a;
    long[] b = y.a;
    int i = 0;
    int j = 0;
    int n2 = x.n << 1;
    int m2 = y.n << 1;
    while (i < n2 || j < m2) {
      if (j >= m2 || (i < n2 && a[i] <= b[j])) {
        out.add(a[i], a[i + 1]);
        i += 2;
      } else {
        out.add(b[j], b[j + 1]);
        j += 2;
      }
    }
  }

  static void subtract(GnoIntervals x, GnoIntervals y, Builder out) {
    long[] a = x.a;
    long[] b = y.a;
    int n2 = x.n << 1;
    int m2 = y.n << 1;
    int j = 0;
    for (int i = 0; i < n2; i += 2) {
      long s = a[i];
      long e = a[i + 1];
      while (j < m2 && b[j + 1] <= s) {
        j += 2;
      }
      int k = j;
      while (s < e && k < m2 && b[k] < e) {
        if (b[k] > s) {
          out.add(s, b[k]);
        }
        s = Math.max(s, b[k + 1]);
        if (b[k + 1] <= e) {
          k += 2;
        } else {
          break;
        }
      }
      if (s < e) {
        out.add(s, e);
      }
      j = k;
    }
  }

  static void intersect(GnoIntervals x, GnoIntervals y, Builder out) {
    long[] a = x.a;
    long[] b = y.a;
    int n2 = x.n << 1;
    int m2 = y.n << 1;
    int i = 0;
    int j = 0;
    while (i < n2 && j < m2) {
      long s = Math.max(a[i], b[j]);
      long e = Math.min(a[i + 1], b[j + 1]);
      if (s < e) {
        out.add(s, e);
      }
      if (a[i + 1] < b[j + 1]) {
        i += 2;
      } else {
        j += 2;
      }
    }
  }

  boolean sameContent(GnoIntervals o) {
    return n == o.n && Arrays.equals(a, 0, n << 1, o.a, 0, n << 1);
  }

  int contentHash() {
    int h = 1;
    for (int i = 0, m = n << 1; i < m; i++) {
      h = 31 * h + Long.hashCode(a[i]);
    }
    return h;
  }

  private void append(long start, long end) {
    int p = n << 1;
    ensureCapacity(p + 2);
    a[p] = start;
    a[p + 1] = end;
    n++;
  }

  private void insertAt(int idx, long start, long end) {
    int p = idx << 1;
    ensureCapacity((n + 1) << 1);
    System.arraycopy(a, p, a, p + 2, (n << 1) - p);
    a[p] = start;
    a[p + 1] = end;
    n++;
  }

  private void ensureCapacity(int longs) {
    if (longs > a.length) {
      a = Arrays.copyOf(a, grow(a.length, longs));
    }
  }

  static int grow(int current, int needed) {
    long cap = Math.max((long) needed, current + (current >> 1) + 2L);
    cap = (cap + 1) & ~1L;
    if (cap > Integer.MAX_VALUE - 8) {
      if (needed > Integer.MAX_VALUE - 8) {
        throw new OutOfMemoryError("too many GTID intervals");
      }
      cap = (Integer.MAX_VALUE - 8) & ~1;
    }
    return (int) cap;
  }

  /** Largest i in [0, limit) with start(i) <= x, or -1. */
  private static int floorIndex(long[] a, long x, int limit) {
    int lo = 0;
    int hi = limit - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (a[mid << 1] <= x) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return hi;
  }

  /** Smallest i in [0, limit) with end(i) >= x, or limit. */
  private static int firstEndAtLeast(long[] a, long x, int limit) {
    int lo = 0;
    int hi = limit - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (a[(mid << 1) + 1] >= x) {
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /** Accumulates intervals given in ascending start order, merging overlaps and adjacency. */
  static final class Builder {
    long[] a;
    int n;

    Builder(int intervalsHint) {
      a = new long[Math.max(MIN_CAPACITY, intervalsHint << 1)];
    }

    void add(long start, long end) {
      if (n > 0) {
        int li = (n - 1) << 1;
        if (start <= a[li + 1]) {
          if (end > a[li + 1]) {
            a[li + 1] = end;
          }
          return;
        }
      }
      int p = n << 1;
      if (p + 2 > a.length) {
        a = Arrays.copyOf(a, grow(a.length, p + 2));
      }
      a[p] = start;
      a[p + 1] = end;
      n++;
    }

    GnoIntervals build(UUID sid) {
      return new GnoIntervals(sid, a, n);
    }
  }
}

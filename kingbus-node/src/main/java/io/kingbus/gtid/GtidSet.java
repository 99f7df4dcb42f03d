package io.kingbus.gtid;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A MySQL GTID set: for each source UUID (SID), a set of transaction numbers (GNOs), kept as sorted,
 * merged intervals exactly as MySQL's {@code Gtid_set}.
 *
 * <h2>Text form</h2>
 *
 * {@link #parse} accepts what MySQL's {@code Gtid_set::add_gtid_text} accepts for untagged GTIDs:
 * {@code uuid:1-5:7-9,uuid2:1-3}, whitespace (space, \t, \n, \v, \f, \r) before/after every element
 * and token (MySQL prints {@code @@gtid_executed} with {@code ",\n"} between UUIDs), UUID hex in
 * either case, single numbers {@code uuid:7}, intervals in any order and overlapping (merged),
 * repeated UUIDs (merged), empty elements ({@code ",,"}), a bare UUID without intervals (adds
 * nothing), and the empty/blank string (empty set). Deliberate differences from MySQL, all
 * rejections of input MySQL would accept with surprising meaning: {@code start > end} is rejected
 * (MySQL silently ignores the interval), numbers must be plain decimal (MySQL's {@code strtoll(...,
 * 0)} also reads {@code 0x1F}, octal {@code 017} and a {@code +} sign), and the {@code +} prefix of
 * {@code SET gtid_purged} as well as MySQL 8.3+ tagged GTIDs ({@code uuid:tag:1-5}) are not
 * supported. {@link #toString()} prints the canonical form: UUIDs in {@link #SID_ORDER}, lower-case,
 * merged sorted intervals, single GNOs as {@code uuid:7}, elements joined by {@code ","}.
 *
 * <h2>Binary form</h2>
 *
 * The encoding of PREVIOUS_GTIDS events and COM_BINLOG_DUMP_GTID (all integers little-endian):
 * 8-byte SID count; per SID 16 UUID bytes (big-endian, i.e. hex-digit order), 8-byte interval
 * count, then per interval 8-byte start and 8-byte exclusive end. Decoding applies MySQL's checks
 * ({@code Gtid_set::add_gtid_encoding}): per SID entry intervals strictly ascending and neither
 * overlapping nor adjacent, {@code 1 <= start < end}; repeated SID entries are merged. All counts
 * are checked against the available bytes before anything is allocated. Errors are {@link
 * GtidParseException}s. The 8.3+ tagged format (format byte 1 in the top byte of the SID count) is
 * rejected with a clear message.
 *
 * <h2>Performance and threading</h2>
 *
 * {@link #add(UUID, long)} and {@link #contains(UUID, long)} are one hash lookup (skipped when the
 * SID is the same as in the previous call) plus a constant-time check of the last interval, falling
 * back to a binary search: O(1) for the usual "next GNO of this server" append and O(log n) lookups.
 * They allocate nothing except when a new SID appears or the interval array grows (amortized).
 * Adding a GNO that creates or closes a hole in the middle also shifts the intervals after it
 * ({@code System.arraycopy}).
 *
 * <p>Mutable and not thread-safe: mutation needs external synchronization; hand other threads a
 * {@link #copy()}. A set that is no longer mutated may be read (contains, containsAll, toString,
 * encode, ...) by several threads concurrently once safely published.
 */
public final class GtidSet {

  /**
   * MySQL's SID order: by the UUID's 16 bytes as unsigned, equivalently by its lower-case text.
   * (Unlike {@link UUID#compareTo}, which compares signed longs.)
   */
  public static final Comparator<UUID> SID_ORDER =
      (x, y) -> {
        int c = Long.compareUnsigned(x.getMostSignificantBits(), y.getMostSignificantBits());
        return c != 0
            ? c
            : Long.compareUnsigned(x.getLeastSignificantBits(), y.getLeastSignificantBits());
      };

  private static final Comparator<GnoIntervals> BY_SID = (x, y) -> SID_ORDER.compare(x.sid, y.sid);

  /** An interval of GNOs {@code start..endInclusive}, both ends included. */
  public record Interval(long start, long endInclusive) {
    /**
     * @throws IllegalArgumentException unless {@code 1 <= start <= endInclusive <= MAX_GNO}
     */
    public Interval {
      Gtid.checkGno(start);
      Gtid.checkGno(endInclusive);
      if (start > endInclusive) {
        throw new IllegalArgumentException(
            "interval start " + start + " is greater than its end " + endInclusive);
      }
    }

    /** Number of GNOs in the interval. */
    public long count() {
      return endInclusive - start + 1;
    }

    public boolean contains(long gno) {
      return gno >= start && gno <= endInclusive;
    }

    /** {@code "start-end"}, or {@code "start"} for a single GNO (MySQL style). */
    @Override
    public String toString() {
      return start == endInclusive ? Long.toString(start) : start + "-" + endInclusive;
    }
  }

  /** Non-empty interval lists only: a SID is present iff it has at least one GNO. */
  private final HashMap<UUID, GnoIntervals> map;

  /** Last list used by add/contains; a benign-race cache (its sid is final). */
  private GnoIntervals last;

  private GtidSet(int expectedSids) {
    map = new HashMap<>(Math.max(4, (int) (expectedSids / 0.75f) + 1));
  }

  // ------------------------------------------------------------------ factories

  /** A new, empty, mutable set. */
  public static GtidSet empty() {
    return new GtidSet(4);
  }

  /** A new set holding the given GTIDs. */
  public static GtidSet of(Gtid... gtids) {
    GtidSet s = empty();
    for (Gtid g : gtids) {
      s.add(g);
    }
    return s;
  }

  /**
   * Parses MySQL's text form (see the class documentation).
   *
   * @throws GtidParseException if the text is malformed
   */
  public static GtidSet parse(String text) {
    Objects.requireNonNull(text, "text");
    GtidSet set = empty();
    int len = text.length();
    int i = GtidText.skipSpace(text, 0);
    while (true) {
      // Empty elements between commas are allowed, as in MySQL.
      while (i < len && text.charAt(i) == ',') {
        i = GtidText.skipSpace(text, i + 1);
      }
      if (i >= len) {
        return set;
      }
      UUID sid = GtidText.parseUuid(text, i);
      i = GtidText.skipSpace(text, i + GtidText.UUID_TEXT_LENGTH);
      GnoIntervals list = null;
      while (i < len && text.charAt(i) == ':') {
        i = GtidText.skipSpace(text, i + 1);
        int startPos = i;
        long start = GtidText.parseGno(text, i);
        i = GtidText.skipSpace(text, GtidText.digitsEnd(text, i));
        long end = start;
        if (i < len && text.charAt(i) == '-') {
          i = GtidText.skipSpace(text, i + 1);
          end = GtidText.parseGno(text, i);
          i = GtidText.skipSpace(text, GtidText.digitsEnd(text, i));
          if (end < start) {
            throw GtidParseException.text(
                "interval start " + start + " is greater than its end " + end, text, startPos);
          }
        }
        if (list == null) {
          list = set.listFor(sid);
        }
        list.addRange(start, end + 1);
      }
      if (i < len && text.charAt(i) != ',') {
        throw GtidParseException.text(
            "unexpected character '"
                + text.charAt(i)
                + "' (expected ',', ':' followed by a number, or end of input)",
            text,
            i);
      }
    }
  }

  /**
   * Decodes exactly one binary-encoded set occupying the whole array.
   *
   * @throws GtidParseException if the bytes are truncated, malformed, or followed by extra bytes
   */
  public static GtidSet decode(byte[] b) {
    return decode(b, 0, b.length);
  }

  /**
   * Decodes exactly one binary-encoded set occupying {@code b[off, off+len)}.
   *
   * @throws GtidParseException if the bytes are truncated, malformed, or followed by extra bytes
   */
  public static GtidSet decode(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    ByteBuffer bb = ByteBuffer.wrap(b, off, len).order(ByteOrder.LITTLE_ENDIAN);
    Decoder d = new Decoder(bb, off, off + len);
    GtidSet set = d.decode();
    if (d.pos != off + len) {
      throw GtidParseException.binary(
          (off + len - d.pos) + " unexpected trailing byte(s) after the GTID set", d.pos - off);
    }
    return set;
  }

  /**
   * Decodes one binary-encoded set starting at the buffer's position (the buffer's byte order is
   * ignored; the encoding is always little-endian). On success the position is advanced past the
   * set and any following bytes are left unread; on failure the position is unchanged.
   *
   * @throws GtidParseException if the bytes are truncated or malformed
   */
  public static GtidSet decode(ByteBuffer buf) {
    ByteBuffer bb = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    Decoder d = new Decoder(bb, buf.position(), buf.limit());
    GtidSet set = d.decode();
    buf.position(d.pos);
    return set;
  }

  // ------------------------------------------------------------------ copying

  /** A deep, independent copy. */
  public GtidSet copy() {
    GtidSet c = new GtidSet(map.size());
    for (GnoIntervals l : map.values()) {
      c.map.put(l.sid, l.copy());
    }
    return c;
  }

  // ------------------------------------------------------------------ single GTIDs

  /**
   * Adds one GTID. Amortized O(1) when {@code gno} extends or follows the last interval of {@code
   * sid}; otherwise O(log n) search plus an array shift when an interval is created or merged.
   *
   * @return false if it was already present
   * @throws IllegalArgumentException if {@code gno} is not in {@code 1..}{@link Gtid#MAX_GNO}
   */
  public boolean add(UUID sid, long gno) {
    Gtid.checkGno(gno);
    GnoIntervals l = last;
    if (l == null || !l.sid.equals(sid)) {
      l = listFor(sid);
      last = l;
    }
    return l.add(gno);
  }

  /** Adds one GTID (see {@link #add(UUID, long)}). */
  public void add(Gtid g) {
    add(g.sid(), g.gno());
  }

  /**
   * Adds the GNOs {@code start..endInclusive} of {@code sid}.
   *
   * @throws IllegalArgumentException unless {@code 1 <= start <= endInclusive <= MAX_GNO}
   */
  public void addInterval(UUID sid, long start, long endInclusive) {
    Gtid.checkGno(start);
    Gtid.checkGno(endInclusive);
    if (start > endInclusive) {
      throw new IllegalArgumentException(
          "interval start " + start + " is greater than its end " + endInclusive);
    }
    listFor(sid).addRange(start, endInclusive + 1);
  }

  /** O(1) for the most recent GNOs of the most recently used SID, O(log n) otherwise. */
  public boolean contains(UUID sid, long gno) {
    GnoIntervals l = last;
    if (l == null || !l.sid.equals(sid)) {
      l = map.get(sid);
      if (l == null) {
        return false;
      }
      last = l;
    }
    return l.contains(gno);
  }

  public boolean contains(Gtid g) {
    return contains(g.sid(), g.gno());
  }

  // ------------------------------------------------------------------ set algebra

  /** In-place union: adds every GTID of {@code other}. Returns {@code this}. */
  public GtidSet addAll(GtidSet other) {
    if (other == this) {
      return this;
    }
    for (GnoIntervals o : other.map.values()) {
      GnoIntervals mine = map.get(o.sid);
      if (mine == null) {
        map.put(o.sid, o.copy());
      } else {
        mine.addAll(o);
      }
    }
    return this;
  }

  /** A new set: {@code this ∪ o}. */
  public GtidSet union(GtidSet o) {
    return copy().addAll(o);
  }

  /** A new set: the GTIDs of {@code this} that are not in {@code o}. */
  public GtidSet subtract(GtidSet o) {
    GtidSet r = new GtidSet(map.size());
    for (GnoIntervals mine : map.values()) {
      GnoIntervals theirs = o.map.get(mine.sid);
      if (theirs == null) {
        r.map.put(mine.sid, mine.copy());
      } else {
        GnoIntervals.Builder b = new GnoIntervals.Builder(mine.size() + 1);
        GnoIntervals.subtract(mine, theirs, b);
        if (b.n > 0) {
          r.map.put(mine.sid, b.build(mine.sid));
        }
      }
    }
    return r;
  }

  /** A new set: {@code this ∩ o}. */
  public GtidSet intersection(GtidSet o) {
    GtidSet small = map.size() <= o.map.size() ? this : o;
    GtidSet large = small == this ? o : this;
    GtidSet r = new GtidSet(small.map.size());
    for (GnoIntervals x : small.map.values()) {
      GnoIntervals y = large.map.get(x.sid);
      if (y != null) {
        GnoIntervals.Builder b = new GnoIntervals.Builder(Math.min(x.size(), y.size()) + 1);
        GnoIntervals.intersect(x, y, b);
        if (b.n > 0) {
          r.map.put(x.sid, b.build(x.sid));
        }
      }
    }
    return r;
  }

  /** True if {@code o ⊆ this}. O(m log n) for m intervals in {@code o}. */
  public boolean containsAll(GtidSet o) {
    if (o == this) {
      return true;
    }
    for (GnoIntervals theirs : o.map.values()) {
      GnoIntervals mine = map.get(theirs.sid);
      if (mine == null || !mine.containsAll(theirs)) {
        return false;
      }
    }
    return true;
  }

  /** True if the sets have at least one GTID in common. */
  public boolean intersects(GtidSet o) {
    GtidSet small = map.size() <= o.map.size() ? this : o;
    GtidSet large = small == this ? o : this;
    for (GnoIntervals x : small.map.values()) {
      GnoIntervals y = large.map.get(x.sid);
      if (y != null && x.intersects(y)) {
        return true;
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ inspection

  public boolean isEmpty() {
    return map.isEmpty();
  }

  /** Number of GTIDs in the set, saturating at {@link Long#MAX_VALUE}. */
  public long count() {
    long c = 0;
    for (GnoIntervals l : map.values()) {
      c += l.count();
      if (c < 0) {
        return Long.MAX_VALUE;
      }
    }
    return c;
  }

  /** The SIDs having at least one GNO: an unmodifiable snapshot in {@link #SID_ORDER}. */
  public Set<UUID> sids() {
    TreeSet<UUID> s = new TreeSet<>(SID_ORDER);
    s.addAll(map.keySet());
    return Collections.unmodifiableSet(s);
  }

  /** Number of SIDs having at least one GNO. */
  public int sidCount() {
    return map.size();
  }

  /**
   * The intervals of {@code sid} in ascending order, merged (never overlapping or adjacent); an
   * unmodifiable snapshot, empty if the SID is absent.
   */
  public List<Interval> intervals(UUID sid) {
    GnoIntervals l = map.get(sid);
    if (l == null) {
      return List.of();
    }
    List<Interval> out = new ArrayList<>(l.size());
    for (int i = 0; i < l.size(); i++) {
      out.add(new Interval(l.start(i), l.end(i) - 1));
    }
    return Collections.unmodifiableList(out);
  }

  /** The largest GNO of {@code sid}, or 0 if the SID is absent. */
  public long lastGno(UUID sid) {
    GnoIntervals l = map.get(sid);
    return l == null ? 0 : l.last();
  }

  // ------------------------------------------------------------------ text

  /** MySQL's canonical text, elements joined by {@code ","}; the empty set prints as {@code ""}. */
  @Override
  public String toString() {
    return toString(",");
  }

  /**
   * MySQL's canonical text with {@code separator} between UUID elements ({@code ",\n"} reproduces
   * {@code SELECT @@gtid_executed}).
   */
  public String toString(String separator) {
    Objects.requireNonNull(separator, "separator");
    GnoIntervals[] lists = sorted();
    int estimate = 0;
    for (GnoIntervals l : lists) {
      estimate += 37 + separator.length() + 14 * l.size();
    }
    StringBuilder sb = new StringBuilder(Math.max(16, estimate));
    for (int k = 0; k < lists.length; k++) {
      GnoIntervals l = lists[k];
      if (k > 0) {
        sb.append(separator);
      }
      sb.append(l.sid);
      for (int i = 0; i < l.size(); i++) {
        long s = l.start(i);
        long e = l.end(i) - 1;
        sb.append(':').append(s);
        if (e > s) {
          sb.append('-').append(e);
        }
      }
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------ binary

  /** Size in bytes of {@link #encode()}. */
  public int encodedLength() {
    long len = 8;
    for (GnoIntervals l : map.values()) {
      len += 24 + 16L * l.size();
    }
    if (len > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("GTID set too large to encode: " + len + " bytes");
    }
    return (int) len;
  }

  /** The binary encoding (SIDs in {@link #SID_ORDER}, as MySQL writes it). */
  public byte[] encode() {
    byte[] out = new byte[encodedLength()];
    encodeTo(ByteBuffer.wrap(out));
    return out;
  }

  /**
   * Writes the binary encoding at the buffer's position and advances it (the buffer's byte order
   * is ignored and left unchanged).
   *
   * @throws BufferOverflowException if fewer than {@link #encodedLength()} bytes remain (nothing
   *     is written)
   */
  public void encodeTo(ByteBuffer dst) {
    int len = encodedLength();
    if (dst.remaining() < len) {
      throw new BufferOverflowException();
    }
    ByteBuffer d = dst.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    GnoIntervals[] lists = sorted();
    d.putLong(lists.length);
    for (GnoIntervals l : lists) {
      d.putLong(Long.reverseBytes(l.sid.getMostSignificantBits()));
      d.putLong(Long.reverseBytes(l.sid.getLeastSignificantBits()));
      d.putLong(l.size());
      for (int i = 0; i < l.size(); i++) {
        d.putLong(l.start(i));
        d.putLong(l.end(i));
      }
    }
    dst.position(dst.position() + len);
  }

  // ------------------------------------------------------------------ equality

  /** Equal iff both sets contain exactly the same GTIDs. */
  @Override
  public boolean equals(Object obj) {
    if (this == obj) {
      return true;
    }
    if (!(obj instanceof GtidSet o) || o.map.size() != map.size()) {
      return false;
    }
    for (GnoIntervals l : map.values()) {
      GnoIntervals r = o.map.get(l.sid);
      if (r == null || !l.sameContent(r)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (GnoIntervals l : map.values()) {
      h += l.sid.hashCode() ^ l.contentHash();
    }
    return h;
  }

  // ------------------------------------------------------------------ internals

  private GnoIntervals listFor(UUID sid) {
    GnoIntervals l = map.get(Objects.requireNonNull(sid, "sid"));
    if (l == null) {
      l = new GnoIntervals(sid);
      map.put(sid, l);
    }
    return l;
  }

  private GnoIntervals[] sorted() {
    GnoIntervals[] lists = map.values().toArray(new GnoIntervals[0]);
    Arrays.sort(lists, BY_SID);
    return lists;
  }

  /** Binary decoder over absolute positions of a little-endian buffer. */
  private static final class Decoder {
    private static final int SID_HEADER = 16 + 8;
    private static final int INTERVAL_BYTES = 16;

    private final ByteBuffer bb;
    private final int origin;
    private final int limit;
    int pos;

    Decoder(ByteBuffer bb, int origin, int limit) {
      this.bb = bb;
      this.origin = origin;
      this.limit = limit;
      this.pos = origin;
    }

    private GtidParseException fail(String reason, int at) {
      return GtidParseException.binary(reason, at - origin);
    }

    GtidSet decode() {
      if (limit - pos < 8) {
        throw fail("truncated: the 8-byte SID count needs 8 bytes, " + (limit - pos) + " left", pos);
      }
      long raw = bb.getLong(pos);
      int format = (int) (raw >>> 56);
      if (format == 1) {
        throw fail(
            "tagged GTID set format (MySQL 8.3+ GTID tags) is not supported", pos);
      }
      if (format != 0) {
        throw fail("unknown GTID set format byte " + format + " in the SID count", pos);
      }
      long nSids = raw;
      pos += 8;
      if (nSids > (limit - pos) / SID_HEADER) {
        throw fail(
            "SID count "
                + nSids
                + " cannot fit in the remaining "
                + (limit - pos)
                + " bytes (24 bytes per SID at least)",
            pos - 8);
      }
      GtidSet set = new GtidSet((int) Math.min(nSids, 1024)); // hint only; never trust counts
      for (long k = 0; k < nSids; k++) {
        if (limit - pos < SID_HEADER) {
          throw fail(
              "truncated: SID #" + (k + 1) + " of " + nSids + " needs 24 bytes, "
                  + (limit - pos) + " left",
              pos);
        }
        long msb = Long.reverseBytes(bb.getLong(pos));
        long lsb = Long.reverseBytes(bb.getLong(pos + 8));
        pos += 16;
        int countPos = pos;
        long nIntervals = bb.getLong(pos);
        pos += 8;
        if (nIntervals < 0 || nIntervals > (limit - pos) / INTERVAL_BYTES) {
          throw fail(
              "interval count "
                  + Long.toUnsignedString(nIntervals)
                  + " cannot fit in the remaining "
                  + (limit - pos)
                  + " bytes (16 bytes per interval)",
              countPos);
        }
        int n = (int) nIntervals;
        if (n == 0) {
          continue; // MySQL accepts a SID entry without intervals; it adds nothing
        }
        long[] a = new long[n << 1];
        long lastEnd = 0;
        for (int i = 0; i < n; i++) {
          long start = bb.getLong(pos);
          long end = bb.getLong(pos + 8);
          if (start <= lastEnd) {
            throw fail(
                lastEnd == 0
                    ? "interval start " + start + " is not positive"
                    : "interval start " + start
                        + " is not greater than the previous interval's exclusive end "
                        + lastEnd + " (intervals must be ascending, disjoint and non-adjacent)",
                pos);
          }
          if (end <= start) {
            throw fail(
                "interval exclusive end " + end + " is not greater than its start " + start,
                pos + 8);
          }
          a[i << 1] = start;
          a[(i << 1) + 1] = end;
          lastEnd = end;
          pos += INTERVAL_BYTES;
        }
        UUID sid = new UUID(msb, lsb);
        GnoIntervals decoded = GnoIntervals.wrap(sid, a, n);
        GnoIntervals existing = set.map.get(sid);
        if (existing == null) {
          set.map.put(sid, decoded);
        } else {
          existing.addAll(decoded); // repeated SID entry: merged, as in MySQL
        }
      }
      return set;
    }
  }
}

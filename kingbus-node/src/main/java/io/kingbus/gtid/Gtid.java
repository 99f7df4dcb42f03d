package io.kingbus.gtid;

import java.util.Objects;
import java.util.UUID;

/**
 * One MySQL global transaction identifier {@code uuid:gno}.
 *
 * <p>{@code gno} ranges over {@code 1 ..} {@link #MAX_GNO}. MySQL stores intervals with an exclusive
 * signed 64-bit end, so the largest GNO it can hold (and parses) is 2<sup>63</sup>-2.
 *
 * <p>Natural order: by {@link GtidSet#SID_ORDER} (MySQL's UUID order), then by gno.
 */
public record Gtid(UUID sid, long gno) implements Comparable<Gtid> {

  /** Largest valid GNO: 2<sup>63</sup>-2 (MySQL rejects 2<sup>63</sup>-1 and above). */
  public static final long MAX_GNO = Long.MAX_VALUE - 1;

  /**
   * @throws NullPointerException if {@code sid} is null
   * @throws IllegalArgumentException if {@code gno} is not in {@code 1..MAX_GNO}
   */
  public Gtid {
    Objects.requireNonNull(sid, "sid");
    checkGno(gno);
  }

  /**
   * Parses {@code uuid:N} as MySQL does for {@code gtid_next}: whitespace is allowed around the
   * UUID, the colon and the number; the UUID hex digits may be in either case.
   *
   * @throws GtidParseException if the text is malformed
   */
  public static Gtid parse(String text) {
    Objects.requireNonNull(text, "text");
    int i = GtidText.skipSpace(text, 0);
    UUID sid = GtidText.parseUuid(text, i);
    i = GtidText.skipSpace(text, i + GtidText.UUID_TEXT_LENGTH);
    if (i >= text.length() || text.charAt(i) != ':') {
      throw GtidParseException.text("expected ':' after the UUID", text, i);
    }
    i = GtidText.skipSpace(text, i + 1);
    long gno = GtidText.parseGno(text, i);
    i = GtidText.skipSpace(text, GtidText.digitsEnd(text, i));
    if (i != text.length()) {
      throw GtidParseException.text("unexpected trailing characters after the GTID", text, i);
    }
    return new Gtid(sid, gno);
  }

  /** {@code uuid:gno} with a lower-case UUID. */
  @Override
  public String toString() {
    return sid + ":" + gno;
  }

  @Override
  public int compareTo(Gtid o) {
    int c = GtidSet.SID_ORDER.compare(sid, o.sid);
    return c != 0 ? c : Long.compare(gno, o.gno);
  }

  static void checkGno(long gno) {
    if (gno < 1 || gno > MAX_GNO) {
      throw new IllegalArgumentException(
          "GNO out of range: " + gno + " (must be between 1 and " + MAX_GNO + ")");
    }
  }
}

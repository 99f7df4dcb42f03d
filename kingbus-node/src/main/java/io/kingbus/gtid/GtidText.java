package io.kingbus.gtid;

import java.util.UUID;

/** Text-level helpers shared by {@link Gtid#parse} and {@link GtidSet#parse}. */
final class GtidText {
  /** Length of a UUID in its canonical 8-4-4-4-12 text form. */
  static final int UUID_TEXT_LENGTH = 36;

  private GtidText() {}

  /** Whitespace as MySQL's {@code my_isspace} sees it: space, \t, \n, \v, \f, \r. */
  static boolean isSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
  }

  static int skipSpace(String s, int i) {
    int len = s.length();
    while (i < len && isSpace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /**
   * Parses the 36-character UUID (8-4-4-4-12 hex digits, either case, nothing else) starting at
   * {@code pos}. MySQL accepts exactly this form inside GTIDs and GTID sets.
   */
  static UUID parseUuid(String s, int pos) {
    if (pos >= s.length()) {
      throw GtidParseException.text(
          "expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) but found end of input", s, pos);
    }
    int avail = Math.min(UUID_TEXT_LENGTH, s.length() - pos);
    long msb = 0;
    long lsb = 0;
    int digits = 0;
    for (int k = 0; k < avail; k++) {
      char c = s.charAt(pos + k);
      if (k == 8 || k == 13 || k == 18 || k == 23) {
        if (c != '-') {
          throw GtidParseException.text("malformed UUID: expected '-'", s, pos + k);
        }
        continue;
      }
      int d = hexValue(c);
      if (d < 0) {
        throw GtidParseException.text("malformed UUID: expected a hex digit", s, pos + k);
      }
      if (digits < 16) {
        msb = (msb << 4) | d;
      } else {
        lsb = (lsb << 4) | d;
      }
      digits++;
    }
    if (avail < UUID_TEXT_LENGTH) {
      throw GtidParseException.text(
          "malformed UUID: truncated (a UUID has 36 characters)", s, pos + avail);
    }
    return new UUID(msb, lsb);
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /**
   * Parses a decimal GNO at {@code pos} (no sign, no whitespace). Returns the value; the end index
   * is {@code pos + digit count}, which callers recompute with {@link #digitsEnd}.
   *
   * @throws GtidParseException on a missing, negative, zero or out-of-range number
   */
  static long parseGno(String s, int pos) {
    int len = s.length();
    if (pos >= len) {
      throw GtidParseException.text("expected a GNO (positive number) but found end of input", s, pos);
    }
    char c = s.charAt(pos);
    if (c == '-') {
      throw GtidParseException.text("negative numbers are not allowed", s, pos);
    }
    if (c < '0' || c > '9') {
      throw GtidParseException.text("expected a GNO (positive number)", s, pos);
    }
    long v = 0;
    int i = pos;
    while (i < len && (c = s.charAt(i)) >= '0' && c <= '9') {
      int d = c - '0';
      if (v > (Gtid.MAX_GNO - d) / 10) {
        throw GtidParseException.text(
            "number out of range (GNOs must be between 1 and " + Gtid.MAX_GNO + ")", s, pos);
      }
      v = v * 10 + d;
      i++;
    }
    if (v == 0) {
      throw GtidParseException.text("GNO 0 is not valid (GNOs start at 1)", s, pos);
    }
    return v;
  }

  /** Index just past the run of ASCII digits starting at {@code pos}. */
  static int digitsEnd(String s, int pos) {
    int len = s.length();
    char c;
    while (pos < len && (c = s.charAt(pos)) >= '0' && c <= '9') {
      pos++;
    }
    return pos;
  }
}

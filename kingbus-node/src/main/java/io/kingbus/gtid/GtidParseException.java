package io.kingbus.gtid;

/**
 * Thrown when a GTID, a GTID set in MySQL text form, or a binary-encoded GTID set is malformed.
 *
 * <p>For text input {@link #getInput()} is the offending text and {@link #getPosition()} the
 * zero-based character index of the problem. For binary input ({@link #isBinary()}) {@code
 * getInput()} is {@code null} and {@code getPosition()} is the byte offset of the problem relative
 * to the start of the encoded set. The message always names the position and, for text, the text
 * (an excerpt around the position if the text is long; control characters are escaped).
 */
public final class GtidParseException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private static final int MAX_FULL_TEXT = 200;
  private static final int EXCERPT_RADIUS = 60;

  private final String reason;
  private final String input;
  private final int position;

  private GtidParseException(String message, String reason, String input, int position) {
    super(message);
    this.reason = reason;
    this.input = input;
    this.position = position;
  }

  /** A text parse error at character index {@code position} of {@code input}. */
  static GtidParseException text(String reason, String input, int position) {
    String msg = reason + " at position " + position + " in " + describe(input, position);
    return new GtidParseException(msg, reason, input, position);
  }

  /** A binary decode error at byte offset {@code offset} of the encoded set. */
  static GtidParseException binary(String reason, int offset) {
    String msg = "malformed binary GTID set: " + reason + " at byte offset " + offset;
    return new GtidParseException(msg, reason, null, offset);
  }

  /** The problem, without position information. */
  public String getReason() {
    return reason;
  }

  /** The offending text, or {@code null} for binary input. */
  public String getInput() {
    return input;
  }

  /** Character index (text) or byte offset (binary) of the problem. */
  public int getPosition() {
    return position;
  }

  /** True if the error comes from decoding the binary encoding. */
  public boolean isBinary() {
    return input == null;
  }

  private static String describe(String input, int position) {
    if (input.length() <= MAX_FULL_TEXT) {
      return "'" + escape(input, 0, input.length()) + "'";
    }
    int from = Math.max(0, position - EXCERPT_RADIUS);
    int to = Math.min(input.length(), position + EXCERPT_RADIUS);
    return "'"
        + (from > 0 ? "..." : "")
        + escape(input, from, to)
        + (to < input.length() ? "..." : "")
        + "' (excerpt of chars "
        + from
        + ".."
        + to
        + " of "
        + input.length()
        + ")";
  }

  private static String escape(String s, int from, int to) {
    StringBuilder sb = new StringBuilder(to - from + 8);
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.toString();
  }
}

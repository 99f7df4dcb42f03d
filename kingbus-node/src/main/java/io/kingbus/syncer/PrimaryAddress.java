package io.kingbus.syncer;

/**
 * The {@code mysql_addr} of the syncer: {@code host:port}, {@code [v6]:port}.
 */
public record PrimaryAddress(String host, int port) {

    /** Parses {@code host:port}; throws {@link IllegalArgumentException} with a one-line reason. */
    public static PrimaryAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("is empty; expected host:port");
        }
        String s = text.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + s + "' is not [ipv6]:port");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon != s.indexOf(':')) {
                throw new IllegalArgumentException("'" + s + "' is not host:port");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        if (host.isEmpty() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '@')) {
            throw new IllegalArgumentException("'" + s + "' has no usable host");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' has no numeric port");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is not in 1..65535");
        }
        return new PrimaryAddress(host, p);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

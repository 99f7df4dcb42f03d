package io.kingbus.admin;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * An {@code http://host:port} URL as kingbus uses them for peer and admin endpoints: scheme http or https, a host, an
 * explicit port, and nothing else (no user info, no path beyond "/", no query or fragment).
 *
 * <p>{@link #toString()} is the normalized form (lower-case scheme and host, no trailing slash), so two spellings of
 * the same endpoint compare equal.
 *
 * @param scheme "http" or "https"
 * @param host   a host name or IP address; an IPv6 literal without brackets
 * @param port   1..65535
 */
public record HttpUrl(String scheme, String host, int port) {

    public HttpUrl {
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("scheme must be http or https");
        }
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host is missing");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535");
        }
    }

    /**
     * Parses {@code http://host:port} (a trailing "/" is allowed).
     *
     * @throws IllegalArgumentException with a short reason (no input echoed) when the text is not such a URL
     */
    public static HttpUrl parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("is empty; expected http://host:port");
        }
        String s = text.strip();
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("is not a URL; expected http://host:port");
        }
        String scheme = uri.getScheme();
        if (scheme == null || uri.isOpaque()) {
            throw new IllegalArgumentException("has no http:// scheme; expected http://host:port");
        }
        scheme = scheme.toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("has scheme '" + scheme + "'; expected http://host:port");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("must not carry user info; expected http://host:port");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("has no valid host; expected http://host:port");
        }
        if (uri.getPort() < 0) {
            throw new IllegalArgumentException("has no port; expected http://host:port");
        }
        if (uri.getPort() < 1 || uri.getPort() > 65535) {
            throw new IllegalArgumentException("has port " + uri.getPort() + ", not 1..65535; expected "
                    + "http://host:port");
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/")) {
            throw new IllegalArgumentException("must not have a path; expected http://host:port");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("must not have a query or fragment; expected http://host:port");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new HttpUrl(scheme, host.toLowerCase(Locale.ROOT), uri.getPort());
    }

    /** {@code host:port}, with brackets around an IPv6 literal (the form Ratis and sockets take). */
    public String hostPort() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The address cannot be reached by other machines (0.0.0.0 / ::, i.e. "any"). */
    public boolean isWildcard() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    /** This URL with a path appended, e.g. {@code http://h:1/members}. */
    public String resolve(String path) {
        return this + (path.startsWith("/") ? path : "/" + path);
    }

    @Override
    public String toString() {
        return scheme + "://" + hostPort();
    }
}

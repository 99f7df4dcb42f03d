package io.kingbus.node;

/**
 * A bad node configuration. {@link #getMessage()} is one line naming the key and the problem, e.g.
 * {@code invalid config: peer-url: 'http://h' has no port; expected http://host:port (from env KINGBUS_PEER_URL)},
 * fit to print as the only output of a failed start.
 */
public final class ConfigException extends RuntimeException {
    private final String key;
    private final String problem;
    private final String source;

    /**
     * @param key     the offending key (null for problems with the file as a whole)
     * @param problem what is wrong, without the key
     */
    public ConfigException(String key, String problem) {
        this(key, problem, null, null);
    }

    ConfigException(String key, String problem, String source, Throwable cause) {
        super(format(key, problem, source), cause);
        this.key = key;
        this.problem = problem;
        this.source = source;
    }

    /** The key at fault, or null. */
    public String key() {
        return key;
    }

    /** The problem alone, without key or source. */
    public String problem() {
        return problem;
    }

    /** Where the value came from ({@code /etc/kingbus.yaml}, {@code env KINGBUS_NAME}), or null. */
    public String source() {
        return source;
    }

    /** The same error, saying where the value came from. */
    ConfigException withSource(String where) {
        return where == null || source != null ? this : new ConfigException(key, problem, where, getCause());
    }

    private static String format(String key, String problem, String source) {
        String line = "invalid config: " + (key == null ? "" : key + ": ") + problem
                + (source == null ? "" : " (from " + source + ")");
        return line.replaceAll("[\\r\\n\\t]+", " ");
    }
}

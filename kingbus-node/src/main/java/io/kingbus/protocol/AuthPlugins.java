package io.kingbus.protocol;

/** Names of the MySQL authentication plugins kingbus speaks, and the first response of each. */
public final class AuthPlugins {
    public static final String MYSQL_NATIVE_PASSWORD = "mysql_native_password";
    public static final String CACHING_SHA2_PASSWORD = "caching_sha2_password";
    /** Sends the password in clear; only over TLS (or a socket). */
    public static final String MYSQL_CLEAR_PASSWORD = "mysql_clear_password";
    public static final String SHA256_PASSWORD = "sha256_password";

    /** MySQL's nonce length. */
    public static final int NONCE_LENGTH = 20;

    private AuthPlugins() {
    }

    public static boolean isSupported(String plugin) {
        return MYSQL_NATIVE_PASSWORD.equals(plugin) || CACHING_SHA2_PASSWORD.equals(plugin);
    }

    /**
     * The first auth response of {@code plugin} for {@code password} and the server's nonce: the plugin's scramble
     * (empty for an empty password).
     *
     * @throws IllegalArgumentException for a plugin other than mysql_native_password and caching_sha2_password
     */
    public static byte[] scramble(String plugin, byte[] password, byte[] nonce) {
        if (MYSQL_NATIVE_PASSWORD.equals(plugin)) {
            return NativePassword.scramble(password, nonce);
        }
        if (CACHING_SHA2_PASSWORD.equals(plugin)) {
            return CachingSha2Password.scramble(password, nonce);
        }
        throw new IllegalArgumentException("unsupported authentication plugin '" + plugin + "'");
    }

    static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (byte) (a[i] ^ b[i % b.length]);
        }
        return out;
    }

    /** MySQL's nonce is at most 20 bytes; longer plugin data (never sent by MySQL) is cut. */
    static byte[] nonce20(byte[] nonce) {
        return nonce.length > NONCE_LENGTH ? java.util.Arrays.copyOf(nonce, NONCE_LENGTH) : nonce;
    }
}

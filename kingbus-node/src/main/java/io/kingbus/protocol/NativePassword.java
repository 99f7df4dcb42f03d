package io.kingbus.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * mysql_native_password: the client sends {@code SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))}; the server
 * stores {@code SHA1(SHA1(password))} and checks the response against it.
 */
public final class NativePassword {
    private NativePassword() {
    }

    /** The auth response; empty for an empty password. */
    public static byte[] scramble(byte[] password, byte[] nonce) {
        if (password.length == 0) {
            return new byte[0];
        }
        byte[] stage1 = sha1(password);
        byte[] stage2 = sha1(stage1);
        MessageDigest md = md();
        md.update(AuthPlugins.nonce20(nonce));
        md.update(stage2);
        return AuthPlugins.xor(stage1, md.digest());
    }

    /** What MySQL stores (the hex of it, prefixed by '*', is the authentication_string). */
    public static byte[] doubleSha1(byte[] password) {
        return sha1(sha1(password));
    }

    /**
     * Server side: true when {@code response} proves knowledge of the password whose {@code doubleSha1} is stored.
     * An empty stored digest (null) means an empty password, which only an empty response matches.
     */
    public static boolean verify(byte[] response, byte[] nonce, byte[] storedDoubleSha1) {
        if (storedDoubleSha1 == null) {
            return response.length == 0;
        }
        if (response.length != 20) {
            return false;
        }
        MessageDigest md = md();
        md.update(AuthPlugins.nonce20(nonce));
        md.update(storedDoubleSha1);
        byte[] stage1 = AuthPlugins.xor(response, md.digest());
        return MessageDigest.isEqual(sha1(stage1), storedDoubleSha1);
    }

    static byte[] sha1(byte[] b) {
        return md().digest(b);
    }

    private static MessageDigest md() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
    }
}

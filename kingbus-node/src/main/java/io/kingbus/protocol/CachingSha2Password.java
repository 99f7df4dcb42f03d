package io.kingbus.protocol;

import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * caching_sha2_password (MySQL 8.0's default), with the JDK's crypto only.
 *
 * <ul>
 *   <li>Fast path: the client sends {@code SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)}; when the
 *   server has the user in its cache it answers AuthMoreData {@link #FAST_AUTH_SUCCESS} then OK.</li>
 *   <li>Full authentication (AuthMoreData {@link #PERFORM_FULL_AUTHENTICATION}, e.g. the first login after a
 *   restart): over TLS the client sends the password and a NUL in clear; without TLS it asks for the server's RSA
 *   public key ({@link #REQUEST_PUBLIC_KEY}), receives it as PEM in AuthMoreData, and sends
 *   {@code RSA-OAEP(SHA-1, MGF1-SHA-1)((password + NUL) XOR nonce)}.</li>
 * </ul>
 */
public final class CachingSha2Password {
    public static final int REQUEST_PUBLIC_KEY = 0x02;
    public static final int FAST_AUTH_SUCCESS = 0x03;
    public static final int PERFORM_FULL_AUTHENTICATION = 0x04;

    /** The padding MySQL uses for caching_sha2_password (RSA_PKCS1_OAEP_PADDING in OpenSSL). */
    public static final String RSA_TRANSFORMATION = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";
    /** OAEP with SHA-1 costs 2 * 20 + 2 bytes of the modulus. */
    private static final int OAEP_SHA1_OVERHEAD = 42;

    private CachingSha2Password() {
    }

    /** The fast-path auth response; empty for an empty password. */
    public static byte[] scramble(byte[] password, byte[] nonce) {
        if (password.length == 0) {
            return new byte[0];
        }
        byte[] stage1 = sha256(password);
        byte[] stage2 = sha256(stage1);
        MessageDigest md = md();
        md.update(stage2);
        md.update(AuthPlugins.nonce20(nonce));
        return AuthPlugins.xor(stage1, md.digest());
    }

    /**
     * Server side of the fast path: true when {@code response} matches the cached {@code SHA256(SHA256(password))}.
     */
    public static boolean verify(byte[] response, byte[] nonce, byte[] cachedDoubleSha256) {
        if (response.length != 32) {
            return false;
        }
        MessageDigest md = md();
        md.update(cachedDoubleSha256);
        md.update(AuthPlugins.nonce20(nonce));
        byte[] stage1 = AuthPlugins.xor(response, md.digest());
        return MessageDigest.isEqual(sha256(stage1), cachedDoubleSha256);
    }

    public static byte[] doubleSha256(byte[] password) {
        return sha256(sha256(password));
    }

    /** The full-auth response over TLS: the password and a NUL. */
    public static byte[] clearText(byte[] password) {
        return Arrays.copyOf(password, password.length + 1);
    }

    /** Parses the server's RSA public key ("-----BEGIN PUBLIC KEY-----", X.509 SubjectPublicKeyInfo). */
    public static PublicKey parsePublicKey(String pem) {
        if (pem == null || !pem.contains("-----BEGIN PUBLIC KEY-----") || !pem.contains("-----END PUBLIC KEY-----")) {
            throw new ProtocolException("the server's RSA public key is not a PEM 'PUBLIC KEY' block");
        }
        String body = pem.substring(pem.indexOf("-----BEGIN PUBLIC KEY-----") + "-----BEGIN PUBLIC KEY-----".length(),
                pem.indexOf("-----END PUBLIC KEY-----"));
        try {
            byte[] der = Base64.getMimeDecoder().decode(body.replaceAll("\\s", ""));
            return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new ProtocolException("cannot read the server's RSA public key: " + e.getMessage(), e);
        }
    }

    /** PEM text of a public key, as MySQL sends it. */
    public static String toPem(PublicKey key) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }

    /** The full-auth response without TLS: {@code (password + NUL) XOR nonce}, RSA-OAEP encrypted. */
    public static byte[] encryptPassword(byte[] password, byte[] nonce, PublicKey key) {
        byte[] plain = AuthPlugins.xor(clearText(password), AuthPlugins.nonce20(nonce));
        if (key instanceof RSAKey rsa) {
            int max = (rsa.getModulus().bitLength() + 7) / 8 - OAEP_SHA1_OVERHEAD;
            if (plain.length > max) {
                throw new IllegalArgumentException("password of " + password.length + " bytes is too long for the "
                        + rsa.getModulus().bitLength() + "-bit RSA key (at most " + (max - 1) + " bytes)");
            }
        }
        try {
            Cipher c = Cipher.getInstance(RSA_TRANSFORMATION);
            c.init(Cipher.ENCRYPT_MODE, key);
            return c.doFinal(plain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA encryption of the password failed: " + e.getMessage(), e);
        }
    }

    /** Server side: the password from an encrypted full-auth response (without the NUL), or null if invalid. */
    public static byte[] decryptPassword(byte[] encrypted, byte[] nonce, PrivateKey key) {
        try {
            Cipher c = Cipher.getInstance(RSA_TRANSFORMATION);
            c.init(Cipher.DECRYPT_MODE, key);
            byte[] plain = AuthPlugins.xor(c.doFinal(encrypted), AuthPlugins.nonce20(nonce));
            if (plain.length == 0 || plain[plain.length - 1] != 0) {
                return null;
            }
            return Arrays.copyOf(plain, plain.length - 1);
        } catch (BadPaddingException | IllegalBlockSizeException e) {
            return null;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA decryption failed: " + e.getMessage(), e);
        }
    }

    static byte[] sha256(byte[] b) {
        return md().digest(b);
    }

    private static MessageDigest md() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}

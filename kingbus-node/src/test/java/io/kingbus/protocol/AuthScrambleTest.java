package io.kingbus.protocol;

import com.mysql.cj.protocol.ExportControlled;
import com.mysql.cj.protocol.Security;
import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The scrambles against independently computed values: MySQL's documented formulas written out here with
 * MessageDigest, Connector/J's implementation, and the well-known {@code PASSWORD('password')} digest.
 */
class AuthScrambleTest {
    private static final byte[] NONCE = HexFormat.of().parseHex("3a2f6b1c5d0e7f21435465768798a9bacbdcedfe");
    private static final byte[] PASSWORD = "s3cret-Pässword".getBytes(StandardCharsets.UTF_8);

    @Test
    void nativePasswordMatchesTheFormulaAndConnectorJ() throws Exception {
        // SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password)))
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        byte[] h1 = sha1.digest(PASSWORD);
        byte[] h2 = sha1.digest(h1);
        sha1.update(NONCE);
        byte[] h3 = sha1.digest(h2);
        byte[] expected = new byte[20];
        for (int i = 0; i < 20; i++) {
            expected[i] = (byte) (h1[i] ^ h3[i]);
        }
        assertThat(NativePassword.scramble(PASSWORD, NONCE)).isEqualTo(expected);
        assertThat(NativePassword.scramble(PASSWORD, NONCE)).isEqualTo(Security.scramble411(PASSWORD, NONCE));
        assertThat(NativePassword.scramble(new byte[0], NONCE)).isEmpty();
    }

    @Test
    void nativePasswordStoredDigestIsMySqlsPasswordFunction() {
        // SELECT PASSWORD('password') on MySQL 5.7: *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19
        assertThat(HexFormat.of().withUpperCase().formatHex(NativePassword.doubleSha1("password".getBytes())))
                .isEqualTo("2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
    }

    @Test
    void nativePasswordVerification() {
        byte[] stored = NativePassword.doubleSha1(PASSWORD);
        assertThat(NativePassword.verify(NativePassword.scramble(PASSWORD, NONCE), NONCE, stored)).isTrue();
        assertThat(NativePassword.verify(NativePassword.scramble("wrong".getBytes(), NONCE), NONCE, stored)).isFalse();
        assertThat(NativePassword.verify(new byte[0], NONCE, null)).isTrue();
        assertThat(NativePassword.verify(new byte[3], NONCE, stored)).isFalse();
    }

    @Test
    void cachingSha2MatchesTheFormulaAndConnectorJ() throws Exception {
        // SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce)
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] h1 = sha.digest(PASSWORD);
        byte[] h2 = sha.digest(h1);
        sha.update(h2);
        sha.update(NONCE);
        byte[] h3 = sha.digest();
        byte[] expected = new byte[32];
        for (int i = 0; i < 32; i++) {
            expected[i] = (byte) (h1[i] ^ h3[i]);
        }
        assertThat(CachingSha2Password.scramble(PASSWORD, NONCE)).isEqualTo(expected);
        assertThat(CachingSha2Password.scramble(PASSWORD, NONCE)).isEqualTo(Security.scrambleCachingSha2(PASSWORD, NONCE));
        assertThat(CachingSha2Password.scramble(new byte[0], NONCE)).isEmpty();
        byte[] cached = CachingSha2Password.doubleSha256(PASSWORD);
        assertThat(CachingSha2Password.verify(expected, NONCE, cached)).isTrue();
        assertThat(CachingSha2Password.verify(CachingSha2Password.scramble("x".getBytes(), NONCE), NONCE, cached)).isFalse();
    }

    @Test
    void rsaFullAuthenticationEncryptsPasswordXorNonceWithOaep() throws Exception {
        KeyPair kp = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        String pem = CachingSha2Password.toPem(kp.getPublic());
        assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("-----END PUBLIC KEY-----\n");
        // Connector/J reads our PEM, and we read it back.
        RSAPublicKey viaConnectorJ = ExportControlled.decodeRSAPublicKey(pem);
        assertThat(viaConnectorJ.getModulus()).isEqualTo(((RSAPublicKey) kp.getPublic()).getModulus());
        assertThat(CachingSha2Password.parsePublicKey(pem)).isEqualTo(kp.getPublic());

        byte[] encrypted = CachingSha2Password.encryptPassword(PASSWORD, NONCE, CachingSha2Password.parsePublicKey(pem));
        // Decrypt independently: OAEP (SHA-1, MGF1-SHA-1), then XOR with the nonce gives the password and a NUL.
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        c.init(Cipher.DECRYPT_MODE, kp.getPrivate());
        byte[] plain = c.doFinal(encrypted);
        for (int i = 0; i < plain.length; i++) {
            plain[i] ^= NONCE[i % NONCE.length];
        }
        byte[] expected = Arrays.copyOf(PASSWORD, PASSWORD.length + 1);
        assertThat(plain).isEqualTo(expected);
        assertThat(CachingSha2Password.decryptPassword(encrypted, NONCE, kp.getPrivate())).isEqualTo(PASSWORD);

        // Connector/J's client-side encryption of the same thing decrypts to the password on our server side.
        byte[] xored = new byte[expected.length];
        Security.xorString(expected, xored, NONCE, expected.length);
        byte[] theirs = ExportControlled.encryptWithRSAPublicKey(xored, viaConnectorJ,
                "RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        assertThat(CachingSha2Password.decryptPassword(theirs, NONCE, kp.getPrivate())).isEqualTo(PASSWORD);
        assertThat(CachingSha2Password.decryptPassword(new byte[256], NONCE, kp.getPrivate())).isNull();
    }

    @Test
    void passwordTooLongForTheKeyIsAClearError() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        KeyPair kp = g.generateKeyPair();
        assertThatThrownBy(() -> CachingSha2Password.encryptPassword(new byte[200], NONCE, kp.getPublic()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too long for the 1024-bit RSA key");
    }

    @Test
    void badPemIsAProtocolError() {
        assertThatThrownBy(() -> CachingSha2Password.parsePublicKey("hello")).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> CachingSha2Password.parsePublicKey(
                "-----BEGIN PUBLIC KEY-----\n!!!notbase64\n-----END PUBLIC KEY-----"))
                .isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> CachingSha2Password.parsePublicKey(
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"))
                .isInstanceOf(ProtocolException.class);
    }

    @Test
    void authPluginsDispatch() {
        assertThat(AuthPlugins.scramble(AuthPlugins.MYSQL_NATIVE_PASSWORD, PASSWORD, NONCE)).hasSize(20);
        assertThat(AuthPlugins.scramble(AuthPlugins.CACHING_SHA2_PASSWORD, PASSWORD, NONCE)).hasSize(32);
        // MySQL's AuthSwitchRequest data is the nonce plus a NUL; only the first 20 bytes count.
        byte[] withNul = Arrays.copyOf(NONCE, 21);
        assertThat(NativePassword.scramble(PASSWORD, withNul)).isEqualTo(NativePassword.scramble(PASSWORD, NONCE));
        assertThatThrownBy(() -> AuthPlugins.scramble("sha256_password", PASSWORD, NONCE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

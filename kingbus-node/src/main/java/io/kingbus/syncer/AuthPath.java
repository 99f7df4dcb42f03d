package io.kingbus.syncer;

/** How the login succeeded (reported in {@link PrimaryInfo}, useful to see caching_sha2_password at work). */
public enum AuthPath {
    /** The first scramble was accepted (mysql_native_password, or an empty password). */
    SCRAMBLE,
    /** caching_sha2_password: the primary had the user cached and accepted the SHA-256 scramble. */
    SHA2_FAST_AUTH,
    /** caching_sha2_password full authentication: the password RSA-encrypted with the primary's public key. */
    SHA2_FULL_AUTH_RSA,
    /** caching_sha2_password full authentication: the password in clear over TLS. */
    SHA2_FULL_AUTH_TLS,
    /** mysql_clear_password over TLS. */
    CLEAR_TEXT
}

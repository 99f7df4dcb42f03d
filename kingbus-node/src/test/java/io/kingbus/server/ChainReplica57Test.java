package io.kingbus.server;

import io.kingbus.testkit.MySqlVersion;

/**
 * Real MySQL 5.7.22 primary → 3 kingbus node processes → real 5.7.22 replica (see {@link ChainTestBase}). Tables
 * with JSON columns are compared by a row digest rather than CHECKSUM TABLE: 5.7 checksums the stored JSON binary,
 * which a JSON_SET update lays out differently on the primary than on any replica, kingbus or not (see
 * {@link Workloads#checksums}).
 */
class ChainReplica57Test extends ChainTestBase {
    ChainReplica57Test() {
        super(MySqlVersion.V5_7);
    }
}

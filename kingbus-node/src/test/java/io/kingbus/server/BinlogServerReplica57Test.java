package io.kingbus.server;

import io.kingbus.testkit.MySqlVersion;

/** Real MySQL 5.7.22 primary and replica around the kingbus binlog server. */
class BinlogServerReplica57Test extends ReplicaTestBase {
    BinlogServerReplica57Test() {
        super(MySqlVersion.V5_7);
    }
}

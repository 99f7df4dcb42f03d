package io.kingbus.server;

import io.kingbus.testkit.MySqlVersion;

/** Real MySQL 8.0.15 primary and replica around the kingbus binlog server. */
class BinlogServerReplica80Test extends ReplicaTestBase {
    BinlogServerReplica80Test() {
        super(MySqlVersion.V8_0);
    }
}

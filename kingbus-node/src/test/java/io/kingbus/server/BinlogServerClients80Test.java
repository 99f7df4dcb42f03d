package io.kingbus.server;

import io.kingbus.testkit.MySqlVersion;

/** mysql-binlog-connector-java against a real 8.0.15 primary and against kingbus serving its binlog. */
class BinlogServerClients80Test extends ClientsTestBase {
    BinlogServerClients80Test() {
        super(MySqlVersion.V8_0);
    }
}

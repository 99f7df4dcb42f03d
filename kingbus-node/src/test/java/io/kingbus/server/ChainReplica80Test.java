package io.kingbus.server;

import io.kingbus.testkit.MySqlVersion;

/** Real MySQL 8.0.15 primary → 3 kingbus node processes → real 8.0.15 replica (see {@link ChainTestBase}). */
class ChainReplica80Test extends ChainTestBase {
    ChainReplica80Test() {
        super(MySqlVersion.V8_0);
    }
}

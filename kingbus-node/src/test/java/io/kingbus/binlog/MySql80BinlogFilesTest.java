package io.kingbus.binlog;

import io.kingbus.testkit.MySqlVersion;

/** The codec against a real MySQL 8.0.15 server's binlog files (binlog_checksum=CRC32). */
class MySql80BinlogFilesTest extends RealBinlogFilesTestBase {
    @Override
    MySqlVersion version() {
        return MySqlVersion.V8_0;
    }
}

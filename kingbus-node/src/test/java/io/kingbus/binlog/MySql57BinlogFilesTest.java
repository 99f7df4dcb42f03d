package io.kingbus.binlog;

import io.kingbus.testkit.MySqlVersion;

/** The codec against a real MySQL 5.7.22 server's binlog files (binlog_checksum=CRC32). */
class MySql57BinlogFilesTest extends RealBinlogFilesTestBase {
    @Override
    MySqlVersion version() {
        return MySqlVersion.V5_7;
    }
}

package io.kingbus.binlog;

import io.kingbus.testkit.MySqlVersion;

/** The codec against a real MySQL 5.7.22 server started with --binlog-checksum=NONE. */
class MySql57ChecksumNoneBinlogFilesTest extends RealBinlogFilesTestBase {
    @Override
    MySqlVersion version() {
        return MySqlVersion.V5_7;
    }

    @Override
    String[] extraArgs() {
        return new String[] {"--binlog-checksum=NONE"};
    }

    @Override
    ChecksumType expectedChecksum() {
        return ChecksumType.OFF;
    }
}

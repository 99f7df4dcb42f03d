package io.kingbus.binlog;

import io.kingbus.testkit.MySqlVersion;

/** The codec against a real MySQL 8.0.15 server started with --binlog-checksum=NONE. */
class MySql80ChecksumNoneBinlogFilesTest extends RealBinlogFilesTestBase {
    @Override
    MySqlVersion version() {
        return MySqlVersion.V8_0;
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

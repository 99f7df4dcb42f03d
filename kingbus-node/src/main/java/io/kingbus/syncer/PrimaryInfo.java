package io.kingbus.syncer;

import io.kingbus.binlog.ChecksumType;

/**
 * What the dump client learned about the primary while logging in and running the replica preamble.
 *
 * @param clockOffsetSeconds the primary's {@code UNIX_TIMESTAMP()} minus this host's clock, in seconds (MySQL's
 *                           replica subtracts the same offset when it computes Seconds_Behind_Master)
 * @param semiSync           true when the primary has the semi-sync plugin and agreed to semi-sync framing
 */
public record PrimaryInfo(String host, int port, String serverVersion, long connectionId, long serverId,
                          String serverUuid, String gtidMode, String binlogFormat, ChecksumType checksum,
                          boolean tls, String authPlugin, AuthPath authPath, boolean semiSync,
                          long clockOffsetSeconds) {
}

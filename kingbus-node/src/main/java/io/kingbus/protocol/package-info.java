/**
 * The MySQL client/server wire protocol, both directions, shared by the syncer (kingbus as a replica) and the binlog
 * server (kingbus as a primary).
 *
 * <ul>
 *   <li>Framing: {@link io.kingbus.protocol.Packet}, {@link io.kingbus.protocol.PacketDecoder} (reassembles payloads
 *   split over 16 MiB physical packets, bounded), {@link io.kingbus.protocol.PacketEncoder} (splits them),
 *   {@link io.kingbus.protocol.PacketSequence} (per-command sequence ids).</li>
 *   <li>Connection phase: {@link io.kingbus.protocol.HandshakeV10}, {@link io.kingbus.protocol.HandshakeResponse41}
 *   (and the SSL request), {@link io.kingbus.protocol.AuthSwitchRequest}, {@link io.kingbus.protocol.AuthMoreData};
 *   auth plugins {@link io.kingbus.protocol.NativePassword} and {@link io.kingbus.protocol.CachingSha2Password}
 *   (scrambles, verification, RSA full authentication), JDK crypto only.</li>
 *   <li>Responses: {@link io.kingbus.protocol.OkPacket}, {@link io.kingbus.protocol.ErrPacket},
 *   {@link io.kingbus.protocol.EofPacket}, text result sets ({@link io.kingbus.protocol.ResultSet},
 *   {@link io.kingbus.protocol.ColumnDefinition}).</li>
 *   <li>Commands: {@link io.kingbus.protocol.Commands} (COM_QUERY, COM_PING, COM_QUIT),
 *   {@link io.kingbus.protocol.RegisterSlave}, {@link io.kingbus.protocol.BinlogDump},
 *   {@link io.kingbus.protocol.BinlogDumpGtid}; the dump stream's {@link io.kingbus.protocol.DumpEventPacket} and
 *   {@link io.kingbus.protocol.SemiSync} framing.</li>
 * </ul>
 *
 * Every parser is defensive: truncated or hostile input throws {@link io.kingbus.protocol.ProtocolException}, length
 * prefixes are checked against the bytes present before anything is allocated. Reading builds on the binlog codec's
 * {@link io.kingbus.binlog.ByteReader}; GTID sets use {@link io.kingbus.gtid.GtidSet}'s binary encoding.
 */
package io.kingbus.protocol;

/**
 * The syncer's MySQL client side: kingbus as a replica of a real MySQL 5.7 / 8.0 primary.
 *
 * <p>{@link io.kingbus.syncer.BinlogDumpClient} runs one replication session (login as a MySQL 8 client, the replica
 * preamble, COM_REGISTER_SLAVE, COM_BINLOG_DUMP_GTID or COM_BINLOG_DUMP) configured by
 * {@link io.kingbus.syncer.DumpConfig}, and hands each checksum-verified event to a
 * {@link io.kingbus.syncer.BinlogListener} as a {@link io.kingbus.syncer.ReceivedEvent}. It reports a
 * {@link io.kingbus.syncer.DumpStatus} and ends with a typed {@link io.kingbus.syncer.SyncerException}.
 * {@link io.kingbus.syncer.ReconnectBackoff} paces the reconnect loop around sessions, which lives with the raft
 * wiring (leader only, resuming from the store's executed GTID set).
 */
package io.kingbus.syncer;

package io.kingbus.store;

import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;

/**
 * What the index knows of one binlog file.
 *
 * @param sequence      the store's own order of files (the primary's names are kept as they are)
 * @param name          the primary's file name, e.g. mysql-bin.000007
 * @param endPosition   the visible end: the end of the last complete transaction or standalone event
 * @param previousGtids the file's PREVIOUS_GTIDS set (until that event is stored: the store's executed set when
 *                      the file was started)
 * @param firstGtid     null until the file holds a transaction
 * @param createdMillis when the store created the file (retention by age)
 */
public record BinlogFileInfo(int sequence, String name, long endPosition, GtidSet previousGtids, Gtid firstGtid,
                             Gtid lastGtid, long createdMillis, int checksumCode, long transactions) {
}

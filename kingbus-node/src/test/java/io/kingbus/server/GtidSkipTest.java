package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.ContainedTransactionFilter;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.GtidSet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dump's fast skip answers exactly as the shared filter fed every event: transactions with BEGIN/COMMIT, XID and
 * DDL endings, anonymous and foreign GTIDs, a transaction cut short by a new file, files with and without checksums,
 * against replica sets that hold none, all, a prefix, holes, or another server's GTIDs.
 */
class GtidSkipTest {
    private static final UUID A = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    private static final UUID B = UUID.fromString("0a0b0c0d-1111-2222-3333-444455556666");

    @Test
    void answersAsTheFilterDoes() {
        for (ChecksumType c : new ChecksumType[] {ChecksumType.CRC32, ChecksumType.OFF}) {
            List<BinlogEvent> events = stream(c);
            for (String have : List.of("", A + ":1-12", A + ":1-3", A + ":2-4:7:9-10", A + ":5-6," + B + ":1-2",
                    B + ":1-100", A + ":1-2:4-12")) {
                GtidSet set = GtidSet.parse(have);
                ContainedTransactionFilter filter = new ContainedTransactionFilter(set.copy());
                GtidSkip fast = new GtidSkip(set.copy());
                GtidSkip inPlace = new GtidSkip(set.copy());
                // the events back to back in one buffer, at an offset, as the dump reads them from the store
                ByteBuf buf = Unpooled.buffer();
                buf.writeZero(7);
                List<Boolean> want = new ArrayList<>();
                List<Boolean> got = new ArrayList<>();
                List<Boolean> gotInPlace = new ArrayList<>();
                for (BinlogEvent e : events) {
                    want.add(filter.skips(e));
                    got.add(fast.skips(e));
                    int at = buf.writerIndex();
                    buf.writeBytes(e.bytes());
                    gotInPlace.add(inPlace.skips(buf, at, e.bytes().length));
                }
                assertThat(got).as("have %s, checksum %s", have, c).isEqualTo(want);
                assertThat(gotInPlace).as("in place: have %s, checksum %s", have, c).isEqualTo(want);
                if (set.sids().contains(A)) { // the comparison means something: the filter does skip here
                    assertThat(want).as("skipped for %s", have).contains(true);
                }
            }
        }
    }

    /**
     * Large ROWS events and statements (never BEGIN or COMMIT) judged by their type alone, unread, as the dump judges
     * one too large for its read buffer, get the answers the filter gives them read, and leave it in the same state.
     */
    @Test
    void judgesLargeRowsAndStatementsByTypeAsTheFilterDoes() {
        List<BinlogEvent> events = stream(ChecksumType.CRC32);
        for (String have : List.of(A + ":1-12", A + ":2-4:7:9-10", A + ":1-2:4-12")) {
            GtidSet set = GtidSet.parse(have);
            ContainedTransactionFilter filter = new ContainedTransactionFilter(set.copy());
            GtidSkip skip = new GtidSkip(set.copy());
            int opaque = 0;
            for (BinlogEvent e : events) {
                boolean want = filter.skips(e);
                int type = e.type();
                boolean beginOrCommit = type == io.kingbus.binlog.EventType.QUERY
                        && (new String(e.bytes(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("BEGIN")
                        || new String(e.bytes(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("COMMIT"));
                long asIfLength = beginOrCommit ? e.length() : 1 << 20;
                boolean got;
                if (skip.wantsBody(type) && GtidSkip.judgedByType(type, asIfLength)) {
                    got = skip.skipsOpaque(type);
                    opaque++;
                } else {
                    ByteBuf buf = Unpooled.wrappedBuffer(e.bytes());
                    got = skip.skips(buf, 0, e.bytes().length);
                }
                assertThat(got).as("have %s, %s", have, e).isEqualTo(want);
            }
            assertThat(opaque).as("events judged by type for %s", have).isGreaterThan(5);
        }
        assertThat(GtidSkip.judgedByType(io.kingbus.binlog.EventType.QUERY, 128 << 10)).isTrue();
        assertThat(GtidSkip.judgedByType(io.kingbus.binlog.EventType.QUERY, (128 << 10) - 1)).isFalse();
        assertThat(GtidSkip.judgedByType(io.kingbus.binlog.EventType.GTID, 1 << 20)).isFalse();
    }

    /** Two files' events: A:1..A:12, one anonymous transaction, B:1..B:2, a transaction cut by the second file. */
    private static List<BinlogEvent> stream(ChecksumType c) {
        List<BinlogEvent> e = new ArrayList<>();
        long pos = 4;
        e.add(TestEvents.fde("8.0.15", c, pos));
        e.add(TestEvents.previousGtids(GtidSet.empty(), pos, c));
        for (int gno = 1; gno <= 6; gno++) {
            e.add(TestEvents.gtid(A, gno, pos, c));
            if (gno % 3 == 0) {
                e.add(TestEvents.query("d", "CREATE TABLE t" + gno + " (i INT)", pos, c)); // DDL: its own end
                continue;
            }
            e.add(TestEvents.query("d", "BEGIN", pos, c));
            e.add(TestEvents.tableMap(gno, "d", "t", pos, c));
            e.add(TestEvents.writeRows(gno, 20, true, pos, c));
            e.add(gno % 2 == 0 ? TestEvents.xid(gno, pos, c) : TestEvents.query("d", "COMMIT", pos, c));
        }
        e.add(TestEvents.anonymousGtid(pos, c));
        e.add(TestEvents.query("d", "BEGIN", pos, c));
        e.add(TestEvents.xid(99, pos, c));
        e.add(TestEvents.gtid(B, 1, pos, c));
        e.add(TestEvents.query("d", "BEGIN", pos, c));
        e.add(TestEvents.xid(100, pos, c));
        e.add(TestEvents.gtid(B, 2, pos, c));
        e.add(TestEvents.query("d", "DROP TABLE x", pos, c));
        e.add(TestEvents.gtid(A, 7, pos, c)); // cut short: the file ends without its commit
        e.add(TestEvents.query("d", "BEGIN", pos, c));
        e.add(TestEvents.rotate("mysql-bin.000002", pos, c));
        e.add(TestEvents.fde("8.0.15", c, 4));
        e.add(TestEvents.previousGtids(GtidSet.parse(A + ":1-6," + B + ":1-2"), pos, c));
        for (int gno = 7; gno <= 12; gno++) {
            e.add(TestEvents.gtid(A, gno, pos, c));
            e.add(TestEvents.query("d", "BEGIN", pos, c));
            e.add(TestEvents.writeRows(gno, 10, true, pos, c));
            e.add(TestEvents.xid(gno, pos, c));
        }
        return e;
    }
}

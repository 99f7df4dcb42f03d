package io.kingbus.binlog;

import io.kingbus.binlog.TransactionTracker.Role;
import io.kingbus.binlog.TransactionTracker.Step;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionTrackerTest {
    private static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    private static final ChecksumType C = ChecksumType.CRC32;

    private final TransactionTracker t = new TransactionTracker(C);

    private void expect(BinlogEvent e, Role role) {
        Step s = t.accept(e);
        assertThat(s.role()).as("%s", e).isEqualTo(role);
        assertThat(s.abandonedPartial()).as("%s abandons", e).isFalse();
        if (role != Role.END) {
            assertThat(s.completedGtid()).isNull();
        }
    }

    private void expectEnd(BinlogEvent e, long gno) {
        Step s = t.accept(e);
        assertThat(s.role()).isEqualTo(Role.END);
        assertThat(s.atBoundary()).isTrue();
        assertThat(s.completedGtid()).isEqualTo(new Gtid(SID, gno));
        assertThat(t.inTransaction()).isFalse();
    }

    private void fileStart() {
        expect(TestEvents.fde("8.0.15", C, 124), Role.STANDALONE);
        expect(TestEvents.previousGtids(GtidSet.empty(), 155, C), Role.STANDALONE);
    }

    @Test
    void gtidBeginRowsXid() {
        fileStart();
        expect(TestEvents.gtid(SID, 1, 0, C), Role.START);
        assertThat(t.inTransaction()).isTrue();
        assertThat(t.currentGtid()).isEqualTo(new Gtid(SID, 1));
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        expect(TestEvents.tableMap(108, "shop", "t", 0, C), Role.MIDDLE);
        expect(TestEvents.writeRows(108, 10, false, 0, C), Role.MIDDLE);
        expect(TestEvents.writeRows(108, 10, true, 0, C), Role.MIDDLE);
        expectEnd(TestEvents.xid(9, 0, C), 1);
    }

    /** Events stored in parts are tracked by type: rows in the middle, a big statement as a DDL, a payload ends. */
    @Test
    void opaqueEventsTakeTheRoleOfTheirType() {
        fileStart();
        expect(TestEvents.gtid(SID, 1, 0, C), Role.START);
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        assertThat(t.acceptOpaque(EventType.WRITE_ROWS).role()).isEqualTo(Role.MIDDLE);
        assertThat(t.acceptOpaque(EventType.QUERY).role()).as("a big INSERT statement").isEqualTo(Role.MIDDLE);
        assertThat(t.acceptOpaque(EventType.XID).completedGtid()).isEqualTo(new Gtid(SID, 1));
        expect(TestEvents.gtid(SID, 2, 0, C), Role.START);
        Step ddl = t.acceptOpaque(EventType.QUERY);
        assertThat(ddl.role()).isEqualTo(Role.END);
        assertThat(ddl.completedGtid()).isEqualTo(new Gtid(SID, 2));
        expect(TestEvents.gtid(SID, 3, 0, C), Role.START);
        assertThat(t.acceptOpaque(EventType.TRANSACTION_PAYLOAD).completedGtid()).isEqualTo(new Gtid(SID, 3));
        assertThat(t.acceptOpaque(EventType.HEARTBEAT).role()).isEqualTo(Role.IGNORED);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.acceptOpaque(EventType.GTID))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(t.inTransaction()).isFalse();
    }

    @Test
    void gtidDdl() {
        fileStart();
        expect(TestEvents.gtid(SID, 1, 0, C), Role.START);
        expectEnd(TestEvents.query("shop", "CREATE TABLE t (id INT)", 5, 0, C), 1);
        expect(TestEvents.gtid(SID, 2, 0, C), Role.START);
        expectEnd(TestEvents.query("shop", "DROP TABLE t", 0, C), 2);
    }

    @Test
    void gtidBeginCommitQuery() {
        fileStart();
        expect(TestEvents.gtid(SID, 3, 0, C), Role.START);
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        expect(TestEvents.query("shop", "INSERT INTO m VALUES (1)", 0, C), Role.MIDDLE);
        expect(TestEvents.query("shop", "INSERT INTO m VALUES (2)", 0, C), Role.MIDDLE);
        expectEnd(TestEvents.query("", "COMMIT", 0, C), 3);
    }

    @Test
    void tornTransactionFollowedByANewGtid() {
        fileStart();
        expect(TestEvents.gtid(SID, 4, 0, C), Role.START);
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        expect(TestEvents.tableMap(108, "shop", "t", 0, C), Role.MIDDLE);
        Step s = t.accept(TestEvents.gtid(SID, 5, 0, C));
        assertThat(s.role()).isEqualTo(Role.START);
        assertThat(s.abandonedPartial()).isTrue();
        assertThat(s.completedGtid()).isNull();
        assertThat(t.currentGtid()).isEqualTo(new Gtid(SID, 5));
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        expectEnd(TestEvents.xid(10, 0, C), 5);
    }

    @Test
    void tornTransactionFollowedByANewFileOrRotate() {
        fileStart();
        expect(TestEvents.gtid(SID, 6, 0, C), Role.START);
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        Step s = t.accept(TestEvents.fde("8.0.15", C, 124));
        assertThat(s.role()).isEqualTo(Role.STANDALONE);
        assertThat(s.abandonedPartial()).isTrue();
        assertThat(t.inTransaction()).isFalse();
        expect(TestEvents.gtid(SID, 6, 0, C), Role.START);
        Step r = t.accept(TestEvents.rotate("binlog.000002", 0, C));
        assertThat(r.abandonedPartial()).isTrue();
        assertThat(r.atBoundary()).isTrue();
    }

    @Test
    void heartbeatsAreIgnoredEvenInsideATransaction() {
        fileStart();
        expect(TestEvents.gtid(SID, 7, 0, C), Role.START);
        expect(HeartbeatEvent.buildV1(1, "binlog.000001", 400, C), Role.IGNORED);
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        expect(HeartbeatEvent.buildV2(1, "binlog.000001", 500, C), Role.IGNORED);
        expectEnd(TestEvents.xid(11, 0, C), 7);
    }

    @Test
    void anonymousTransactionsCompleteWithoutAGtid() {
        expect(TestEvents.fde("5.7.22", C, 123), Role.STANDALONE);
        expect(TestEvents.anonymousGtid(0, C), Role.START);
        expect(TestEvents.query("", "BEGIN", 0, C), Role.MIDDLE);
        Step s = t.accept(TestEvents.xid(1, 0, C));
        assertThat(s.role()).isEqualTo(Role.END);
        assertThat(s.completedGtid()).isNull();
        // BEGIN without any GTID event (gtid_mode OFF on an old server)
        expect(TestEvents.query("", "BEGIN", 0, C), Role.START);
        expect(TestEvents.writeRows(1, 5, true, 0, C), Role.MIDDLE);
        assertThat(t.accept(TestEvents.xid(2, 0, C)).role()).isEqualTo(Role.END);
    }

    @Test
    void trackerFollowsTheChecksumOfTheFormatDescription() {
        TransactionTracker off = new TransactionTracker(ChecksumType.CRC32);
        off.accept(TestEvents.fde("8.0.15", ChecksumType.OFF, 124));
        assertThat(off.checksum()).isEqualTo(ChecksumType.OFF);
        assertThat(off.accept(TestEvents.gtid(SID, 1, 0, ChecksumType.OFF)).role()).isEqualTo(Role.START);
        assertThat(off.accept(TestEvents.query("d", "CREATE DATABASE d", 0, ChecksumType.OFF)).completedGtid())
                .isEqualTo(new Gtid(SID, 1));
    }
}

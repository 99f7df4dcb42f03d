package io.kingbus.binlog;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link QueryEvent#statementOf} (no strings built) says what the full decode's isBegin/isCommitOrRollback say. */
class QueryStatementTest {

    @Test
    void agreesWithTheFullDecode() {
        for (ChecksumType c : List.of(ChecksumType.CRC32, ChecksumType.OFF)) {
            for (String sql : List.of("BEGIN", "begin", "Begin", "BEGIN ", "XA START 'x'", "xa start 'y',1",
                    "COMMIT", "commit", "ROLLBACK", "Rollback", "COMMIT WORK", "CREATE TABLE t (a int)", "", "B",
                    "BEGİN", "ROLLBACK\u00e9", "BEGINX")) {
                for (String db : List.of("", "test", "d\u00e9")) {
                    BinlogEvent e = TestEvents.query(db, sql, 1000, c);
                    QueryEvent q = QueryEvent.decode(e, c, null);
                    QueryEvent.Statement expected = q.isBegin() ? QueryEvent.Statement.BEGIN
                            : q.isCommitOrRollback() ? QueryEvent.Statement.COMMIT_OR_ROLLBACK
                            : QueryEvent.Statement.OTHER;
                    assertThat(QueryEvent.statementOf(e, c, null)).as("'%s' in '%s', %s", sql, db, c)
                            .isEqualTo(expected);
                }
            }
        }
        assertThat(QueryEvent.statementOf(TestEvents.query("", "BEGIN", 1000, ChecksumType.OFF), ChecksumType.OFF,
                null)).isEqualTo(QueryEvent.Statement.BEGIN);
        assertThat(QueryEvent.statementOf(TestEvents.query("", "BEGİN", 1000, ChecksumType.OFF), ChecksumType.OFF,
                null)).as("Unicode case folding, as String.equalsIgnoreCase").isEqualTo(QueryEvent.Statement.BEGIN);
    }

    @Test
    void truncatedEventFailsAsTheFullDecodeDoes() {
        BinlogEvent e = TestEvents.query("a-long-database-name", "BEGIN", 1000, ChecksumType.OFF);
        byte[] b = e.bytes().clone();
        // claim a database name longer than the event: both must refuse it
        b[BinlogEvent.HEADER_LENGTH + 8] = (byte) 200;
        BinlogEvent bad = BinlogEvent.of(b);
        assertThatThrownBy(() -> QueryEvent.decode(bad, ChecksumType.OFF, null))
                .isInstanceOf(BinlogFormatException.class);
        assertThatThrownBy(() -> QueryEvent.statementOf(bad, ChecksumType.OFF, null))
                .isInstanceOf(BinlogFormatException.class);
    }
}

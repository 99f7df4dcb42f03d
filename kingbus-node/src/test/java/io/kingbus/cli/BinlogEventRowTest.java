package io.kingbus.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BinlogEventRowTest {

    @Test
    void escapingKeepsOneEventOnOneLineAndIsReversible() {
        String[] samples = {"", "plain", "a,\nb", "tab\there", "back\\slash", "cr\r\n", "nul\0", "\\n literally",
            "uuid1:1-5,\nuuid2:1-3"};
        for (String s : samples) {
            String e = BinlogEventRow.escape(s);
            assertThat(e).doesNotContain("\n", "\t", "\r", "\0");
            assertThat(BinlogEventRow.unescape(e)).isEqualTo(s);
        }
        assertThat(BinlogEventRow.escape("a,\nb")).isEqualTo("a,\\nb");
        assertThat(BinlogEventRow.escape("x\\y")).isEqualTo("x\\\\y");
        assertThat(BinlogEventRow.escape("plain")).isSameAs("plain");
    }

    @Test
    void tsvLineHasSixFields() {
        BinlogEventRow row = new BinlogEventRow("mysql-bin.000002", 126, "Previous_gtids", 1, 197,
                "u1:1-3,\nu2:1");
        assertThat(row.toTsv()).isEqualTo("mysql-bin.000002\t126\tPrevious_gtids\t1\t197\tu1:1-3,\\nu2:1");
        assertThat(row.toTsv().split("\t", -1)).hasSize(6);
        assertThat(BinlogEventRow.TSV_HEADER.split("\t")).containsExactly("Log_name", "Pos", "Event_type",
                "Server_id", "End_log_pos", "Info");
    }
}

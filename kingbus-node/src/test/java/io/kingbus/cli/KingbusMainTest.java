package io.kingbus.cli;

import io.kingbus.node.KingbusMain;
import io.kingbus.testkit.MySqlServer;
import io.kingbus.testkit.MySqlVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kingbus binlog inspect} run in-process on binlog files of a real MySQL 8.0 server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KingbusMainTest {
    private MySqlServer server;
    /** The first binlog file (closed by FLUSH LOGS), copied out of the server's data directory. */
    private Path binlog;
    private Path binlog2;
    /** SHOW BINLOG EVENTS of {@link #binlog}, as TSV lines. */
    private List<String> expected;

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
        /** Output lines; every line, the last included, ends with \n. */
        List<String> lines() {
            assertThat(out).satisfiesAnyOf(o -> assertThat(o).isEmpty(), o -> assertThat(o).endsWith("\n"));
            return out.isEmpty() ? List.of() : List.of(out.substring(0, out.length() - 1).split("\n", -1));
        }
    }

    static Run run(String... args) {
        CommandLine cmd = KingbusMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @BeforeAll
    void startServer(@TempDir Path dir) throws SQLException, IOException {
        server = MySqlServer.builder(MySqlVersion.V8_0).serverId(77).start();
        server.execute(
                "CREATE DATABASE cli",
                "CREATE TABLE cli.t (\n\tid INT PRIMARY KEY,\n\tv VARCHAR(20) DEFAULT 'back\\\\slash'\n)",
                "INSERT INTO cli.t VALUES (1, 'a'), (2, 'b')",
                "UPDATE cli.t SET v = 'c' WHERE id = 2",
                "SET GTID_NEXT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:1'",
                "BEGIN",
                "COMMIT",
                "SET GTID_NEXT = 'AUTOMATIC'",
                "FLUSH LOGS",
                "DELETE FROM cli.t WHERE id = 1",
                "FLUSH LOGS");
        List<Path> files = server.binlogFiles();
        binlog = Files.copy(files.get(0), dir.resolve(files.get(0).getFileName()));
        binlog2 = Files.copy(files.get(1), dir.resolve(files.get(1).getFileName()));
        expected = new ArrayList<>();
        try (Connection c = server.connect();
             ResultSet rs = c.createStatement().executeQuery("SHOW BINLOG EVENTS IN 'mysql-bin.000001'")) {
            while (rs.next()) {
                expected.add(new BinlogEventRow(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getLong(4),
                        rs.getLong(5), rs.getString(6)).toTsv());
            }
        }
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void inspectPrintsAHeaderAndOneLinePerEventLikeShowBinlogEvents() {
        Run r = run("binlog", "inspect", binlog.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        List<String> lines = r.lines();
        assertThat(lines.get(0)).isEqualTo("Log_name\tPos\tEvent_type\tServer_id\tEnd_log_pos\tInfo");
        assertThat(lines.subList(1, lines.size())).isEqualTo(expected);
        assertThat(lines.get(1)).startsWith("mysql-bin.000001\t4\tFormat_desc\t77\t");
        assertThat(lines).allSatisfy(l -> assertThat(l.split("\t", -1)).hasSize(6));
        assertThat(lines).anySatisfy(l -> assertThat(l)
                .contains("CREATE TABLE cli.t (\\n\\tid INT PRIMARY KEY,\\n\\tv VARCHAR(20) DEFAULT 'back\\\\\\\\slash'\\n)"));
        assertThat(lines.get(lines.size() - 1)).matches("mysql-bin\\.000001\\t\\d+\\tRotate\\t77\\t\\d+\\t"
                + "mysql-bin\\.000002;pos=4");
    }

    @Test
    void multiLineInfoIsEscapedAndCanBeRecovered() {
        Run r = run("binlog", "inspect", "--no-header", binlog2.toString());
        assertThat(r.exit()).isZero();
        String prev = r.lines().get(1);
        assertThat(prev).contains("\tPrevious_gtids\t");
        String info = BinlogEventRow.unescape(prev.split("\t", -1)[5]);
        // MySQL orders the UUIDs (the server's own UUID starts with a digit here, so it comes first)
        String own = server.serverUuid() + ":1-4";
        String foreign = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee:1";
        assertThat(info).isEqualTo(own.compareTo(foreign) < 0 ? own + ",\n" + foreign : foreign + ",\n" + own);
    }

    @Test
    void noHeaderAndSeveralFiles() {
        Run r = run("binlog", "inspect", "--no-header", binlog.toString(), binlog2.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.lines().subList(0, expected.size())).isEqualTo(expected);
        assertThat(r.lines().get(expected.size())).startsWith("mysql-bin.000002\t4\tFormat_desc\t");
    }

    @Test
    void verifyOnlyPrintsOneSummaryLinePerFile() throws IOException {
        Run r = run("binlog", "inspect", "--verify-only", binlog.toString(), binlog2.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEmpty();
        long size = Files.size(binlog);
        String lastPos = expected.get(expected.size() - 1).split("\t")[1];
        assertThat(r.lines()).hasSize(3);
        assertThat(r.lines().get(0)).isEqualTo("Log_name\tEvents\tBytes\tLast_pos\tEnd_pos");
        assertThat(r.lines().get(1)).isEqualTo("mysql-bin.000001\t" + expected.size() + "\t" + size + "\t" + lastPos
                + "\t" + size);
        assertThat(r.lines().get(2)).startsWith("mysql-bin.000002\t");
    }

    @Test
    void fileTruncatedMidEventPrintsTheEventsBeforeAndFailsNamingFileAndPosition() throws IOException {
        int victim = expected.size() / 2;
        long victimPos = Long.parseLong(expected.get(victim).split("\t")[1]);
        byte[] content = Files.readAllBytes(binlog);
        Path torn = tmp.resolve("mysql-bin.000001");
        Files.write(torn, Arrays.copyOf(content, (int) victimPos + 10));
        Run r = run("binlog", "inspect", torn.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.lines().subList(1, r.lines().size())).isEqualTo(expected.subList(0, victim));
        assertThat(r.err()).contains(torn.toString()).contains("at " + victimPos).contains("truncated");
        Run v = run("binlog", "inspect", "--verify-only", "--no-header", torn.toString());
        assertThat(v.exit()).isEqualTo(1);
        assertThat(v.lines()).containsExactly("mysql-bin.000001\t" + victim + "\t" + (victimPos + 10) + "\t"
                + expected.get(victim - 1).split("\t")[1] + "\t" + victimPos);
    }

    @Test
    void corruptedByteFailsWithAChecksumMismatch() throws IOException {
        int victim = expected.size() - 2;
        long victimPos = Long.parseLong(expected.get(victim).split("\t")[1]);
        byte[] content = Files.readAllBytes(binlog);
        content[(int) victimPos + 20] ^= 0x40;
        Path bad = Files.write(tmp.resolve("mysql-bin.000001"), content);
        Run r = run("binlog", "inspect", "--no-header", bad.toString(), binlog2.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.lines().subList(0, victim)).isEqualTo(expected.subList(0, victim));
        assertThat(r.lines().get(victim)).startsWith("mysql-bin.000002\t4\t"); // the next file is still read
        assertThat(r.err()).contains(bad + " at " + victimPos).contains("checksum mismatch");
    }

    @Test
    void notABinlogFileOrNoFile() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello\nworld\n", StandardCharsets.UTF_8);
        Run r = run("binlog", "inspect", text.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.lines()).containsExactly(BinlogEventRow.TSV_HEADER);
        assertThat(r.err()).contains(text.toString()).contains("not a binlog file");
        Run missing = run("binlog", "inspect", tmp.resolve("nope").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("nope").contains("no such file");
        Path empty = Files.write(tmp.resolve("empty"), new byte[0]);
        assertThat(run("binlog", "inspect", empty.toString()).exit()).isEqualTo(1);
        Path magicOnly = Files.write(tmp.resolve("magic"), new byte[] {(byte) 0xfe, 'b', 'i', 'n'});
        Run m = run("binlog", "inspect", magicOnly.toString());
        assertThat(m.exit()).isEqualTo(1);
        assertThat(m.err()).contains("no FORMAT_DESCRIPTION");
    }

    @Test
    void usageErrorsExitWith2() {
        assertThat(run().exit()).isEqualTo(2);
        assertThat(run("binlog").exit()).isEqualTo(2);
        assertThat(run("binlog", "inspect").exit()).isEqualTo(2);
        assertThat(run("binlog", "inspect", "--bogus", binlog.toString()).exit()).isEqualTo(2);
        assertThat(run("nosuch").exit()).isEqualTo(2);
    }

    @Test
    void nodeWithABadConfigSaysWhichKeyInOneLineAndExits2(@TempDir Path dir) throws IOException {
        Path yaml = dir.resolve("kingbus.yaml");
        Files.writeString(yaml, "name: n1\npeer-url: http://127.0.0.1:9696\ninitial-cluster: n1=http://127.0.0.1:9696\n"
                + "data-dir: " + dir + "\nelection-timeout: soon\n");
        Run node = run("node", "--config", yaml.toString());
        assertThat(node.exit()).isEqualTo(2);
        assertThat(node.err().strip()).contains("election-timeout").doesNotContain("\n");
    }

    @Test
    void helpDescribesTheColumnsAndTheEscaping() {
        Run r = run("binlog", "inspect", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--no-header").contains("--verify-only").contains("End_log_pos")
                .contains("\\n").contains("Exit codes");
        assertThat(run("--help").out()).contains("node").contains("binlog");
        assertThat(run("binlog", "inspect", "--version").out()).startsWith("kingbus ");
        assertThat(run("node", "--help").exit()).isZero();
    }
}

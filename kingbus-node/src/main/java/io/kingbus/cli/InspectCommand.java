package io.kingbus.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kingbus binlog inspect FILE...}: SHOW BINLOG EVENTS for files on disk. */
@Command(name = "inspect",
        sortOptions = false,
        description = {
            "List the events of binlog files as MySQL's SHOW BINLOG EVENTS IN 'file' does, verifying every "
                + "checksum on the way.",
            "",
            "Output is tab-separated, one line per event, with the columns Log_name, Pos, Event_type, Server_id, "
                + "End_log_pos, Info; a header line with those names comes first. Log_name is the file's base "
                + "name, Pos the offset at which the event starts, End_log_pos the log_pos of the event header "
                + "(what MySQL shows).",
            "",
            "Info is MySQL's text exactly, with the escaping of 'mysql --batch' so that each event stays on one "
                + "line: a newline inside a field is written as \\n (Previous_gtids with several server UUIDs, "
                + "multi-line statements), a tab as \\t, a carriage return as \\r, a NUL as \\0 and a backslash as "
                + "\\\\.",
            "",
            "A truncated or corrupt file: the events before the damage are listed, then a message on stderr "
                + "names the file and the position of the damaged event; the other files are still read."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every file is a complete, valid binlog file",
            "1:a file is missing, truncated, corrupt or not a binlog file",
            "2:bad usage"
        })
public final class InspectCommand implements Callable<Integer> {
    public static final String VERIFY_HEADER = "Log_name\tEvents\tBytes\tLast_pos\tEnd_pos";

    @Spec
    CommandSpec spec;

    @Option(names = "--no-header", description = "Do not print the header line.")
    boolean noHeader;

    @Option(names = "--verify-only",
            description = {
                "Print no events, only one summary line per file with the columns Log_name, Events (valid "
                    + "events), Bytes (file size), Last_pos (start of the last valid event, -1 if none) and "
                    + "End_pos (end of the last valid event: the length of the file's good prefix).",
                "Damage is still reported on stderr and in the exit code."
            })
    boolean verifyOnly;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Binlog files to read.")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int exit = 0;
        if (!noHeader) {
            out.print((verifyOnly ? VERIFY_HEADER : BinlogEventRow.TSV_HEADER) + "\n");
        }
        for (Path file : files) {
            BinlogInspector.Result result = BinlogInspector.inspect(file, row -> {
                if (!verifyOnly) {
                    out.print(row.toTsv() + "\n");
                }
            });
            if (verifyOnly) {
                out.print(BinlogEventRow.escape(result.file()) + '\t' + result.events() + '\t' + result.fileSize()
                        + '\t' + result.lastEventPos() + '\t' + result.endPos() + "\n");
            }
            out.flush();
            if (!result.ok()) {
                err.println("kingbus binlog inspect: " + result.damageMessage(file.toString()));
                err.flush();
                exit = 1;
            }
        }
        out.flush();
        return exit;
    }
}

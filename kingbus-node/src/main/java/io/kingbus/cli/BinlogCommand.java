package io.kingbus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kingbus binlog …}: tools that work on binlog files. */
@Command(name = "binlog",
        description = "Work with binlog files.",
        subcommands = {InspectCommand.class})
public final class BinlogCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}

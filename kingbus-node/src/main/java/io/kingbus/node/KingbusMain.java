package io.kingbus.node;

import io.kingbus.cli.BinlogCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** The {@code kingbus} command: {@code kingbus node …} runs a node, {@code kingbus binlog …} works on files. */
@Command(name = "kingbus",
        description = "A distributed MySQL binlog store.",
        mixinStandardHelpOptions = true,
        versionProvider = KingbusMain.Version.class,
        scope = CommandLine.ScopeType.INHERIT, // -h/-V and the version on every subcommand
        subcommands = {KingbusMain.NodeCommand.class, BinlogCommand.class})
public final class KingbusMain implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree, ready to execute (tests capture its output with setOut/setErr). */
    public static CommandLine commandLine() {
        return new CommandLine(new KingbusMain());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** {@code kingbus node}: the raft node is not there yet. */
    @Command(name = "node", description = "Run a kingbus node (not yet available).")
    static final class NodeCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getErr().println(
                    "kingbus node: not implemented yet; the raft node arrives with the node issue");
            return 2;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = KingbusMain.class.getPackage().getImplementationVersion();
            return new String[] {"kingbus " + (v != null ? v : "(development build)")};
        }
    }
}

package io.kingbus.node;

import io.kingbus.cli.BinlogCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
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
        widenCommonPoolOnSmallMachines();
        System.exit(commandLine().execute(args));
    }

    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /**
     * With 1–2 CPUs (the JVM counts a container's CPU limit) the common ForkJoinPool has parallelism 1, and then
     * CompletableFuture's async stages, which Ratis uses on its hot path, start a new thread per task; parallelism 2
     * keeps them on a pool (bench/run syncer: ~10% less CPU and time on 2 cores, ~1,300 → ~100 threads started per
     * catch-up). Set before anything touches the pool; an explicit -D of the property wins.
     */
    static void widenCommonPoolOnSmallMachines() {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(COMMON_POOL_PARALLELISM, "2");
        }
    }

    /** The command tree, ready to execute (tests capture its output with setOut/setErr). */
    public static CommandLine commandLine() {
        return new CommandLine(new KingbusMain());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** {@code kingbus node}: runs a node until it is stopped. */
    @Command(name = "node", description = {
            "Run a kingbus node: binlog store, raft member and admin API.",
            "Without --config and without KINGBUS_* environment variables, runs the embedded default: a",
            "single-node cluster on 127.0.0.1 (peer 9696, admin 9595) with its data under ./data."})
    static final class NodeCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Option(names = {"-c", "--config"}, paramLabel = "FILE",
                description = "YAML config; every key can also come from KINGBUS_<KEY> (env wins).")
        java.nio.file.Path config;

        @Override
        public Integer call() throws Exception {
            NodeConfig cfg;
            try {
                cfg = loadConfig();
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("kingbus node: " + e.getMessage());
                return 2;
            }
            NodeLogging.apply(cfg);
            KingbusNode node;
            try {
                node = KingbusNode.start(cfg);
            } catch (IOException | RuntimeException e) {
                // Port in use, unreadable data dir, damaged store: one line for the operator, no stack trace.
                spec.commandLine().getErr().println("kingbus node " + cfg.name() + ": cannot start: " + e.getMessage());
                return 1;
            }
            java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                node.close();
                stopped.countDown();
            }, "kingbus-shutdown"));
            stopped.await();
            return 0;
        }

        private NodeConfig loadConfig() {
            java.util.Map<String, String> env = System.getenv();
            if (config != null) {
                return NodeConfig.load(config, env);
            }
            boolean anyEnv = env.keySet().stream().anyMatch(k -> k.startsWith(NodeConfig.ENV_PREFIX)
                    && !k.equals("KINGBUS_LOG_LEVEL") && !k.equals("KINGBUS_JAVA_OPTS"));
            return anyEnv ? NodeConfig.fromEnv(env)
                    : NodeConfig.embeddedDefault(java.nio.file.Path.of("data").toAbsolutePath());
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

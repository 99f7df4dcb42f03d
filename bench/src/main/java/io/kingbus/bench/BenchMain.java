package io.kingbus.bench;

/** Entry point of bench/run: {@code bench/run store [transactions]}, {@code bench/run replication [transactions]},
 * {@code bench/run syncer [transactions [row bytes [rounds [cluster sizes]]]]},
 * {@code bench/run server [transactions [readers]]}, {@code bench/run bigevent [row MiB [node heap]]}. */
public final class BenchMain {
    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "store";
        String[] rest = args.length > 1 ? java.util.Arrays.copyOfRange(args, 1, args.length) : new String[0];
        switch (which) {
            case "store" -> StoreBench.main(rest);
            case "replication" -> ReplicationBench.main(rest);
            case "syncer" -> SyncerBench.main(rest);
            case "server" -> ServerBench.main(rest);
            case "bigevent" -> BigEventBench.main(rest);
            default -> {
                System.err.println("unknown benchmark '" + which + "'; available: store, replication, syncer, server, "
                        + "bigevent");
                System.exit(2);
            }
        }
    }

    private BenchMain() {
    }
}

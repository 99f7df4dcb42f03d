package io.kingbus.bench;

import java.util.ArrayList;
import java.util.List;

/** The node JVMs' options in the benches: those a node is started with by bin/kingbus, a heap, and extras. */
final class NodeJvmOptions {
    /**
     * What {@code bin/kingbus} and {@code docker/kingbus-node.sh} put before the user's options (see there why); a
     * later option, e.g. an A/B's {@code -XX:CompileThresholdScaling=1}, overrides it.
     */
    static final List<String> LAUNCHER_DEFAULTS = List.of("-XX:CompileThresholdScaling=0.25",
            "-XX:G1HeapRegionSize=4m");

    /** The heap the syncer, server and replication benches give each node. */
    static final List<String> HEAP_1G = List.of("-Xms512m", "-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

    private NodeJvmOptions() {
    }

    /**
     * The launcher's defaults, then {@code own} (heap and the like), then what env {@code extraEnv} lists (split at
     * whitespace; a later option wins).
     */
    static List<String> of(List<String> own, String extraEnv) {
        List<String> args = new ArrayList<>(LAUNCHER_DEFAULTS);
        args.addAll(own);
        if (Runtime.getRuntime().availableProcessors() <= 2) {
            // as KingbusMain sets for itself (explicit here, so an A/B can override it): with 1-2 CPUs the common
            // pool's parallelism would be 1, and CompletableFuture's async stages (Ratis) would then start a thread
            // per task
            args.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=2");
        }
        String extra = extraEnv == null ? "" : System.getenv().getOrDefault(extraEnv, "").strip();
        if (!extra.isEmpty()) {
            args.addAll(List.of(extra.split("\\s+")));
        }
        return args;
    }
}

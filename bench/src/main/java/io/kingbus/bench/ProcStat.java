package io.kingbus.bench;

import io.kingbus.testkit.ProcThreads;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time from Linux's /proc: what the benches charge to each process they measure, and to the kernel. */
final class ProcStat {
    private ProcStat() {
    }

    /** User + system CPU seconds a process has used so far ({@code /proc/PID/stat}). */
    static double cpuSeconds(long pid) throws IOException {
        return ProcThreads.process(pid).cpuSeconds();
    }

    /**
     * System + softirq CPU seconds of all CPUs so far ({@code /proc/stat}): kernel work such as loopback TCP, part of
     * which no process's or thread's own time (and so no niceness) covers.
     */
    static double machineKernelSeconds() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0); // "cpu  user nice system idle iowait irq softirq"
        String[] f = cpu.trim().split("\\s+");
        return (Long.parseLong(f[3]) + Long.parseLong(f[7])) / 100.0;
    }
}

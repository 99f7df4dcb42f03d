package io.kingbus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time from Linux's /proc: what the benches charge to each process (or thread) they measure. */
final class ProcStat {
    private ProcStat() {
    }

    /** User + system CPU seconds a process has used so far ({@code /proc/PID/stat}). */
    static double cpuSeconds(long pid) throws IOException {
        return cpuSecondsOf(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /** User + system CPU seconds in the text of a {@code stat} file (a process's, or a thread's under task/). */
    static double cpuSecondsOf(String stat) {
        // the command name, in parentheses, may hold spaces: fields are counted from after its closing one
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime (fields 14, 15) in USER_HZ
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

    /** The thread name in the text of a {@code stat} file. */
    static String commandOf(String stat) {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }
}

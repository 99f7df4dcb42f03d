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

    /** The thread name in the text of a {@code stat} file. */
    static String commandOf(String stat) {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }
}

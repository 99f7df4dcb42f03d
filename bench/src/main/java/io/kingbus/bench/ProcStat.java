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

    /**
     * Bytes queued in the kernel for sending on the established TCP sockets whose local port is {@code port}
     * ({@code /proc/net/tcp} and {@code tcp6}, the tx_queue column, what {@code ss} shows as Send-Q): socket memory a
     * server's clients hold outside its process, which no RSS or JVM figure shows.
     */
    static long sendQueueBytes(int port) throws IOException {
        long sum = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p)) {
                // "  sl  local_address rem_address   st tx_queue:rx_queue ..."; addresses as HEX_IP:HEX_PORT
                String[] f = line.trim().split("\\s+");
                if (f.length < 5 || !f[3].equals("01")) { // 01: established (the header line has "st")
                    continue;
                }
                String local = f[1];
                if (Integer.parseInt(local.substring(local.indexOf(':') + 1), 16) == port) {
                    sum += Long.parseLong(f[4].substring(0, f[4].indexOf(':')), 16);
                }
            }
        }
        return sum;
    }
}

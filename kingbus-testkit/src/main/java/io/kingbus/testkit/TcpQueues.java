package io.kingbus.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the Linux kernel holds queued on established TCP sockets, from {@code /proc/net/tcp} and {@code tcp6} (the
 * tx_queue column, which {@code ss} shows as Send-Q): socket memory a server's clients cost outside its process,
 * which no RSS or JVM figure shows.
 */
public final class TcpQueues {
    private static final String ESTABLISHED = "01";

    private TcpQueues() {
    }

    /** Bytes queued for sending on the established sockets whose local port is {@code localPort}. */
    public static long sendQueued(int localPort) {
        return sendQueued(localPort, -1);
    }

    /**
     * Bytes queued for sending on the established socket from {@code localPort} to {@code remotePort} (-1: any),
     * sent and not yet acknowledged or not yet sent.
     */
    public static long sendQueued(int localPort, int remotePort) {
        long sum = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(p)) {
                    // "sl local_address rem_address st tx_queue:rx_queue ...", addresses as HEXIP:HEXPORT
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 5 || !f[3].equals(ESTABLISHED) || port(f[1]) != localPort
                            || remotePort >= 0 && port(f[2]) != remotePort) {
                        continue;
                    }
                    sum += Long.parseLong(f[4].substring(0, f[4].indexOf(':')), 16);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return sum;
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.indexOf(':') + 1), 16);
    }
}

package io.kingbus.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Free TCP ports for test servers that bind later (a raft node, mysqld, an admin API).
 *
 * <p>Ports come from below the kernel's ephemeral range (32768-60999 on Linux), which port-0 binds and outgoing
 * connections draw from: a port picked by binding to port 0 and handed to a server a moment later can meanwhile be
 * taken by any connection on the machine, and Ratis ends the JVM when its gRPC server cannot bind. Within a JVM the
 * ports are handed out in turn (never twice in a row of 12,000), from a start that differs between processes; each is
 * checked free (including of TIME_WAIT connections) by binding it without SO_REUSEADDR.
 */
public final class FreePorts {
    private static final int LOW = 20_000;
    private static final int COUNT = 12_000;
    private static final AtomicInteger NEXT =
            new AtomicInteger((int) Math.floorMod(ProcessHandle.current().pid() * 7919L, (long) COUNT));

    private FreePorts() {
    }

    /** A port no server and no connection uses now. */
    public static int take() {
        for (int attempt = 0; attempt < COUNT; attempt++) {
            int port = LOW + Math.floorMod(NEXT.getAndIncrement(), COUNT);
            if (isFree(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free TCP port in " + LOW + "-" + (LOW + COUNT - 1));
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(port)); // the wildcard address: free on loopback and every interface
            return true;
        } catch (IOException busy) {
            return false;
        }
    }
}

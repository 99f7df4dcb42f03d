package io.kingbus.server;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs threads at a Linux niceness, so the binlog server's threads take the CPU the node's raft and apply threads
 * leave: with 100 replicas reading, the cluster's ingest, not the replicas, keeps the CPU it needs (docs/benchmarks.md,
 * "The binlog server's threads below raft and apply"). Idle CPU still goes to the replicas; niceness only orders
 * threads that compete.
 *
 * <p>On Linux, {@code setpriority(PRIO_PROCESS, tid, n)} sets one thread's niceness. Raising it needs no privilege.
 * Elsewhere the same call would renice the whole process, so there it is not made. When it cannot be made (no
 * Linux, no libc through JNA, a refusal), the threads keep the node's priority, and that is logged once.
 */
final class ThreadNiceness {
    private static final Logger log = LoggerFactory.getLogger(ThreadNiceness.class);
    private static final int PRIO_PROCESS = 0;
    private static final AtomicBoolean warned = new AtomicBoolean();

    /** The slice of libc used here. */
    private interface LibC extends Library {
        int setpriority(int which, int who, int prio) throws LastErrorException;
    }

    private static final class Holder {
        static final LibC LIBC = load();

        private static LibC load() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
                return null;
            }
            try {
                return Native.load("c", LibC.class);
            } catch (LinkageError | RuntimeException e) {
                warnOnce("libc not reachable through JNA: " + e.getMessage());
                return null;
            }
        }
    }

    private ThreadNiceness() {
    }

    /** Threads from {@code delegate} that set their own niceness to {@code nice} (0: unchanged) before they run. */
    static ThreadFactory of(ThreadFactory delegate, int nice) {
        if (nice == 0) {
            return delegate;
        }
        return r -> delegate.newThread(() -> {
            applyToCurrentThread(nice);
            r.run();
        });
    }

    /** Sets the calling thread's niceness; when it cannot, the thread keeps its own (logged once). */
    static void applyToCurrentThread(int nice) {
        LibC libc = Holder.LIBC;
        if (libc == null) {
            warnOnce("thread niceness is set on Linux only");
            return;
        }
        try {
            libc.setpriority(PRIO_PROCESS, currentThreadId(), nice);
        } catch (IOException | LastErrorException | NumberFormatException e) {
            warnOnce(e.getMessage());
        }
    }

    /** The kernel's id of the calling thread: the last part of {@code /proc/thread-self} ("pid/task/tid"). */
    static int currentThreadId() throws IOException {
        return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    }

    private static void warnOnce(String reason) {
        if (warned.compareAndSet(false, true)) {
            log.warn("binlog server threads keep the node's priority: {}", reason);
        }
    }
}

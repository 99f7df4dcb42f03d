package io.kingbus.server;

import io.kingbus.store.BinlogStore;
import io.kingbus.store.StoreOptions;
import io.kingbus.testkit.ProcThreads;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The binlog server's threads run at the configured Linux niceness; the node's other threads keep theirs. */
class ThreadNicenessTest {
    @TempDir
    Path dir;

    /** Above the JVM's own niceness (raising it needs no privilege), and unlike the default, to tell them apart. */
    private static int target() {
        int own = ProcThreads.current().nice();
        assertThat(own).as("this test needs a JVM below nice 17").isLessThan(17);
        return Math.max(17, own + 1);
    }

    @Test
    void aThreadFromTheFactorySetsItsOwnNicenessAndNoOtherThreads() throws Exception {
        int own = ProcThreads.current().nice();
        int nice = target();
        AtomicReference<ProcThreads.Task> seen = new AtomicReference<>();
        Thread t = ThreadNiceness.of(Thread::new, nice).newThread(() -> seen.set(ProcThreads.current()));
        t.start();
        t.join();
        assertThat(seen.get().nice()).isEqualTo(nice);
        assertThat(ProcThreads.current().nice()).as("the creating thread").isEqualTo(own);
    }

    @Test
    void zeroLeavesTheThreadsAsTheyAre() {
        ThreadFactory plain = Thread::new;
        assertThat(ThreadNiceness.of(plain, 0)).isSameAs(plain);
    }

    @Test
    void theServersAcceptIoAndDumpThreadsRunAtItsNiceness() throws Exception {
        int own = ProcThreads.current().nice();
        int nice = target();
        try (BinlogStore store = BinlogStore.open(dir.resolve("store"), StoreOptions.defaults().withFsync(false));
             BinlogServer server = new BinlogServer(store,
                     BinlogServerConfig.of("127.0.0.1", 0, "kb", "pw").withThreadNice(nice)).start();
             Socket client = new Socket("127.0.0.1", server.port())) {
            InputStream in = client.getInputStream();
            assertThat(in.read()).as("the handshake's first byte, written by an IO thread").isNotNegative();
            ProcThreads.Task dumpThread = server.dumpExecutor().submit(ProcThreads::current).get(10, TimeUnit.SECONDS);

            assertThat(dumpThread.nice()).isEqualTo(nice);
            // kernel names are cut to 15 bytes: "kingbus-binlog-" for accept, io and dump threads alike
            assertThat(ProcThreads.named("kingbus-binlog-")).filteredOn(task -> task.nice() == nice)
                    .as("the accept, IO and dump threads").hasSizeGreaterThanOrEqualTo(3);
            assertThat(ProcThreads.current().nice()).isEqualTo(own);
        }
    }
}

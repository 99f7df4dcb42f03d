package io.kingbus.testkit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcThreadsTest {
    @Test
    void aNameWithSpacesAndParenthesesDoesNotShiftTheFields() {
        String stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194624 10 0 0 0 1 2 0 0 39 19 1 0 100 0 0\n";
        assertThat(ProcThreads.parseStat(4242, stat)).isEqualTo(new ProcThreads.Task(4242, "a) b (c)", 19, 0.03));
    }

    @Test
    void theCallingThreadIsListedWithItsKernelName() throws Exception {
        Thread t = new Thread(() -> {
            ProcThreads.Task self = ProcThreads.current();
            assertThat(self.comm()).isEqualTo("proc-threads-te"); // the name cut to 15 bytes
            assertThat(ProcThreads.named("proc-threads-te")).extracting(ProcThreads.Task::tid)
                    .containsExactly(self.tid());
            assertThat(ProcThreads.of(ProcessHandle.current().pid())).extracting(ProcThreads.Task::tid)
                    .contains(self.tid());
        }, "proc-threads-test");
        Throwable[] error = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> error[0] = e);
        t.start();
        t.join();
        assertThat(error[0]).as("assertions in the named thread").isNull();
    }
}

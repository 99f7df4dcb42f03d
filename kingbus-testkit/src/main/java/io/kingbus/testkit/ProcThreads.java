package io.kingbus.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Threads as Linux sees them ({@code /proc/<pid>/task}): their names, niceness and CPU time. */
public final class ProcThreads {
    private ProcThreads() {
    }

    /**
     * One thread (or, from {@link #process}, a whole process).
     *
     * @param tid        the kernel's thread id (the pid for a process)
     * @param comm       the name the kernel keeps: the Java name cut to 15 bytes
     * @param nice       its niceness, -20..19
     * @param cpuSeconds user + system CPU time so far
     */
    public record Task(int tid, String comm, int nice, double cpuSeconds) {
    }

    /** Every thread of this process (those that end while being read are left out). */
    public static List<Task> all() {
        return threadsIn(Path.of("/proc/self/task"));
    }

    /** Every thread of process {@code pid} (none when it is gone). */
    public static List<Task> of(long pid) {
        return threadsIn(Path.of("/proc", Long.toString(pid), "task"));
    }

    /** Threads of this process whose kernel name starts with {@code prefix} (mind the 15-byte cut). */
    public static List<Task> named(String prefix) {
        return all().stream().filter(t -> t.comm().startsWith(prefix)).toList();
    }

    /** The calling thread. */
    public static Task current() {
        try {
            Path self = Path.of("/proc/thread-self");
            int tid = Integer.parseInt(Files.readSymbolicLink(self).getFileName().toString());
            return parseStat(tid, Files.readString(self.resolve("stat")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Process {@code pid} as a whole ({@code /proc/<pid>/stat}: its threads' CPU time summed by the kernel). */
    public static Task process(long pid) throws IOException {
        return parseStat((int) pid, Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    private static List<Task> threadsIn(Path taskDir) {
        List<Task> out = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(taskDir)) {
            for (Path task : tasks) {
                try {
                    out.add(parseStat(Integer.parseInt(task.getFileName().toString()),
                            Files.readString(task.resolve("stat"))));
                } catch (NoSuchFileException ended) {
                    // the thread ended after the directory was listed
                }
            }
        } catch (NoSuchFileException gone) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * A {@code stat} line: "tid (comm) state ppid ...", utime and stime (USER_HZ) in fields 14 and 15, niceness in
     * field 19; comm may hold spaces and ')'.
     */
    static Task parseStat(int tid, String stat) {
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String[] after = stat.substring(close + 2).strip().split(" "); // after[0] is field 3
        double cpu = (Long.parseLong(after[11]) + Long.parseLong(after[12])) / 100.0;
        return new Task(tid, stat.substring(open + 1, close), Integer.parseInt(after[16]), cpu);
    }
}

package io.kingbus.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** This JVM's threads as Linux sees them ({@code /proc/self/task}): their names and niceness. */
public final class ProcThreads {
    private ProcThreads() {
    }

    /**
     * One thread.
     *
     * @param tid  the kernel's thread id
     * @param comm the name the kernel keeps: the Java name cut to 15 bytes
     * @param nice its niceness, -20..19
     */
    public record Task(int tid, String comm, int nice) {
    }

    /** Every thread of this process (those that end while being read are left out). */
    public static List<Task> all() {
        List<Task> out = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    out.add(parseStat(Integer.parseInt(task.getFileName().toString()),
                            Files.readString(task.resolve("stat"))));
                } catch (NoSuchFileException ended) {
                    // the thread ended after the directory was listed
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Threads whose kernel name starts with {@code prefix} (mind the 15-byte cut). */
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

    /** A {@code stat} line: "tid (comm) state ppid ...", niceness in field 19; comm may hold spaces and ')'. */
    static Task parseStat(int tid, String stat) {
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String[] after = stat.substring(close + 2).strip().split(" ");
        return new Task(tid, stat.substring(open + 1, close), Integer.parseInt(after[16])); // after[0] is field 3
    }
}

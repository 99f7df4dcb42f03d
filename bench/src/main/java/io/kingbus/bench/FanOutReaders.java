package io.kingbus.bench;

import io.kingbus.binlog.EventType;
import io.kingbus.gtid.GtidSet;
import io.kingbus.syncer.BinlogDumpClient;
import io.kingbus.syncer.DumpConfig;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The binlog clients of the server bench's fan-out, in a process of their own: {@code count} GTID dumps from the
 * empty set (kingbus's own dump client, one shared 2-thread event loop), each counting bytes and GTID events.
 *
 * <p>Real clients of a binlog server run on other hosts. On the bench's single machine their CPU (several times the
 * serving node's) competes with the syncer they are supposed not to slow down; {@link Process} runs them under
 * {@code nice}, so they take what the nodes and the primary leave, as remote clients would, and their CPU is
 * measured apart from the bench's.
 *
 * <p>Driven over stdin/stdout, one line each: {@code expect N} (done when every client has seen N GTIDs; the answer
 * is {@code done BYTES} with the bytes read so far) and {@code quit}; a failure is reported as {@code failed TEXT}.
 * Once every client is reading (has seen its first transaction) it says {@code reading}.
 */
public final class FanOutReaders {
    private final NioEventLoopGroup group = new NioEventLoopGroup(2, new DefaultThreadFactory("bench-readers", true));
    private final List<BinlogDumpClient> clients = new ArrayList<>();
    private final LongAdder bytes = new LongAdder();
    private final long[] gtids;
    /** Events (any) each client has received: one (the dump's fake ROTATE) means its dump has begun. */
    private final long[] events;

    private FanOutReaders(String host, int port, String user, String password, int count, GtidSet from) {
        gtids = new long[count];
        events = new long[count];
        for (int i = 0; i < count; i++) {
            int index = i;
            DumpConfig config = DumpConfig.builder(host, port).user(user).password(password)
                    .serverId(100_000 + i).serverUuid(UUID.randomUUID()).gtids(from)
                    .queueWaterMarks(1 << 20, 256 << 10).eventLoopGroup(group).build();
            clients.add(new BinlogDumpClient(config, e -> {
                bytes.add(e.event().length());
                synchronized (gtids) {
                    events[index]++;
                    if (e.event().type() == EventType.GTID) {
                        gtids[index]++;
                    }
                }
            }));
        }
    }

    /** Args: host port user password-file count [GTID set the readers start from, default empty]. */
    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.kingbus.syncer"))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        // the password comes in a file, not on the command line where ps would show it
        String password = Files.readString(Path.of(args[3])).strip();
        FanOutReaders readers = new FanOutReaders(args[0], Integer.parseInt(args[1]), args[2], password,
                Integer.parseInt(args[4]), args.length > 5 ? GtidSet.parse(args[5]) : GtidSet.empty());
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        readers.clients.forEach(BinlogDumpClient::start);
        try {
            readers.awaitStarted();
            out.println("reading");
            for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
                if (line.startsWith("expect ")) {
                    readers.awaitAll(Long.parseLong(line.substring(7).strip()));
                    out.println("done " + readers.bytes.sum());
                } else if (line.equals("slowest")) {
                    out.println("slowest " + readers.slowest());
                }
            }
        } catch (RuntimeException e) {
            out.println("failed " + e.getMessage());
        } finally {
            readers.clients.forEach(BinlogDumpClient::close);
            readers.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Transactions the slowest reader has seen so far. */
    private long slowest() {
        synchronized (gtids) {
            return Arrays.stream(gtids).min().orElse(0);
        }
    }

    private void checkRunning() {
        for (BinlogDumpClient c : clients) {
            if (c.termination().isDone()) {
                c.termination().join(); // throws the failure
                throw new IllegalStateException("a reader ended early");
            }
        }
    }

    /** Until every client's dump has begun (it received an event: the server has its dump request). */
    private void awaitStarted() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (true) {
            synchronized (gtids) {
                if (Arrays.stream(events).min().orElse(1) >= 1) {
                    return;
                }
            }
            checkRunning();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not every reader's dump began within 5 minutes");
            }
            Thread.sleep(20);
        }
    }

    private void awaitAll(long transactions) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (true) {
            long min;
            synchronized (gtids) {
                min = Arrays.stream(gtids).min().orElse(transactions);
            }
            if (min >= transactions) {
                return;
            }
            checkRunning();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("readers not done: the slowest has " + min + " of " + transactions
                        + " transactions");
            }
            Thread.sleep(20);
        }
    }

    /** The bench's side: starts the readers' process and drives it. */
    static final class Process implements AutoCloseable {
        private final java.lang.Process process;
        private final PrintWriter commands;
        private final BufferedReader answers;
        private final Path passwordFile;
        private long bytes;
        /** Transactions of the set the readers start from: the counts below include them. */
        private final long fromCount;

        /**
         * {@code nice} 0 runs the readers at the bench's own priority; {@code cpus} (a taskset CPU list, or null)
         * confines them to those CPUs.
         */
        Process(String host, int port, String user, String password, int count, int nice, String cpus, GtidSet from)
                throws IOException {
            fromCount = from.count();
            passwordFile = Files.createTempFile("fanout", ".pw");
            Files.writeString(passwordFile, password);
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>();
            if (cpus != null) {
                cmd.addAll(List.of("taskset", "-c", cpus));
            }
            if (nice != 0) {
                cmd.addAll(List.of("nice", "-n", Integer.toString(nice)));
            }
            cmd.addAll(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                    FanOutReaders.class.getName(), host, Integer.toString(port), user, passwordFile.toString(),
                    Integer.toString(count), from.toString()));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            commands = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
            answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        /** Blocks until every reader's dump has begun (its JVM started, connected, the first event received). */
        void awaitReading() throws IOException {
            await("reading");
        }

        long pid() {
            return process.pid();
        }

        /** Blocks until every reader has {@code transactions} transactions (those it started from included). */
        void awaitDone(long transactions) throws IOException {
            commands.println("expect " + (transactions - fromCount));
            bytes = Long.parseLong(await("done ").substring(5).strip());
        }

        /** Transactions the slowest reader has so far (those it started from included). */
        long slowest() throws IOException {
            commands.println("slowest");
            return fromCount + Long.parseLong(await("slowest ").substring(8).strip());
        }

        private String await(String answer) throws IOException {
            for (String line; (line = answers.readLine()) != null; ) {
                if (line.startsWith(answer)) {
                    return line;
                }
                if (line.startsWith("failed ")) {
                    throw new IllegalStateException("binlog readers: " + line.substring(7));
                }
            }
            throw new IllegalStateException("the binlog readers' process ended (exit " + exitCode() + ")");
        }

        /** Bytes read by all the readers, as of the last {@link #awaitDone}. */
        long bytes() {
            return bytes;
        }

        private String exitCode() {
            try {
                return process.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "still running";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "?";
            }
        }

        @Override
        public void close() throws IOException {
            commands.println("quit");
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            } finally {
                Files.deleteIfExists(passwordFile);
            }
        }
    }
}

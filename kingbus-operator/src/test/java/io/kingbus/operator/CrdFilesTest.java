package io.kingbus.operator;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRDs committed in crds/ are the ones the build generates from the Java types (crd-generator-maven-plugin writes
 * target/classes/META-INF/fabric8). After changing the types: {@code cp kingbus-operator/target/classes/META-INF/
 * fabric8/*.yml crds/}.
 */
class CrdFilesTest {
    private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
    private static final Path COMMITTED = Path.of("../crds");

    @Test
    void committedCrdsEqualTheGeneratedOnes() throws IOException {
        List<String> generated = names(GENERATED);
        assertThat(generated).containsExactlyInAnyOrder("binlogsyncers.kingbus.io-v1.yml",
                "kingbusclusters.kingbus.io-v1.yml");
        assertThat(names(COMMITTED)).as("files in crds/").containsExactlyInAnyOrderElementsOf(generated);
        for (String name : generated) {
            assertThat(Files.readString(COMMITTED.resolve(name)))
                    .as("crds/%s is stale: copy target/classes/META-INF/fabric8/%s over it", name, name)
                    .isEqualTo(Files.readString(GENERATED.resolve(name)));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
        }
    }
}

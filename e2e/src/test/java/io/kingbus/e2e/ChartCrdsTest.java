package io.kingbus.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chart installs the CRDs from its own crds/ directory (helm applies them before the templates). They are
 * copies of the repository's crds/, which the operator module generates from its Java types; this test keeps
 * the two identical, so a regenerated CRD cannot ship with a stale chart.
 */
class ChartCrdsTest {

    private static final Path CHART_CRDS = KingbusRepo.chartDir().resolve("crds");

    @Test
    void chartCarriesBothCrds() {
        List<String> names = new ArrayList<>();
        for (Path file : KingbusRepo.yamlFiles(CHART_CRDS)) {
            for (Object item : loadAll(file)) {
                assertThat(item).as(file.toString()).isInstanceOf(CustomResourceDefinition.class);
                names.add(((HasMetadata) item).getMetadata().getName());
            }
        }
        assertThat(names).containsExactlyInAnyOrder("kingbusclusters.kingbus.io", "binlogsyncers.kingbus.io");
    }

    @Test
    void chartCrdsAreTheRepositoryCrds() {
        Path repoCrds = KingbusRepo.crdsDir();
        assertTrue(Files.isDirectory(repoCrds), "the repository has no crds/: the operator module generates them");
        assertThat(contents(CHART_CRDS))
                .as("charts/kingbus-operator/crds/ must equal %s; after regenerating the CRDs run:"
                        + " rm charts/kingbus-operator/crds/* && cp crds/* charts/kingbus-operator/crds/", repoCrds)
                .isEqualTo(contents(repoCrds));
    }

    private static Map<String, String> contents(Path dir) {
        Map<String, String> byName = new TreeMap<>();
        for (Path file : KingbusRepo.yamlFiles(dir)) {
            try {
                byName.put(file.getFileName().toString(), Files.readString(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return byName;
    }

    private static List<?> loadAll(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed = Serialization.unmarshal(in);
            return parsed instanceof List<?> list ? list : List.of(parsed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

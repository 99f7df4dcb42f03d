package io.kingbus.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Renders charts/kingbus-operator with helm (helm-java: helm itself, in-process, offline). */
final class HelmChart {

    static final String RELEASE = "kb";
    private static final YAMLMapper YAML = new YAMLMapper();

    private HelmChart() {
    }

    /** {@code helm template kb charts/kingbus-operator --namespace <namespace> --set k=v...}. */
    static Rendered template(String namespace, Map<String, Object> values) {
        return template(RELEASE, namespace, values);
    }

    /** {@code helm template <release> charts/kingbus-operator --namespace <namespace> --set k=v...}. */
    static Rendered template(String release, String namespace, Map<String, Object> values) {
        TemplateCommand command = new Helm(KingbusRepo.chartDir()).template().withName(release).withNamespace(namespace);
        values.forEach(command::set);
        return new Rendered(command.call());
    }

    /** The rendered manifest, as text and as parsed objects. */
    record Rendered(String yaml, List<JsonNode> objects) {

        Rendered(String yaml) {
            this(yaml, parse(yaml));
        }

        private static List<JsonNode> parse(String yaml) {
            List<JsonNode> objects = new ArrayList<>();
            try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(yaml)) {
                while (documents.hasNext()) {
                    JsonNode document = documents.next();
                    if (document != null && !document.isNull() && !document.isEmpty()) {
                        objects.add(document);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("helm rendered YAML that does not parse:\n" + yaml, e);
            }
            return objects;
        }

        List<String> kinds() {
            return objects.stream().map(o -> o.path("kind").asText()).toList();
        }

        List<JsonNode> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
        }

        Optional<JsonNode> find(String kind, String name) {
            return ofKind(kind).stream().filter(o -> name.equals(o.path("metadata").path("name").asText())).findFirst();
        }

        JsonNode get(String kind, String name) {
            return find(kind, name).orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in:\n" + yaml));
        }
    }
}

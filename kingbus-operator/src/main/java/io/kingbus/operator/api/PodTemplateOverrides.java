package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;

import java.util.List;
import java.util.Map;

/** What users may add to the nodes' pod template. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodTemplateOverrides {
    public Map<String, String> labels;
    public Map<String, String> annotations;
    public Affinity affinity;
    public List<Toleration> tolerations;
    public Map<String, String> nodeSelector;
}

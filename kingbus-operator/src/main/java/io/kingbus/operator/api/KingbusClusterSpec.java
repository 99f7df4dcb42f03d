package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class KingbusClusterSpec {
    /** A Go-style duration as the node reads it: 500ms, 2s, 1m30s. */
    public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$";

    @SpecReplicas
    @Min(1)
    @Default("3")
    @JsonPropertyDescription("Number of raft members; changed one member at a time through the admin API.")
    public Integer replicas = 3;

    @Default("kingbus/kingbus-node:0.1.0")
    @JsonPropertyDescription("Container image of the kingbus node.")
    public String image = "kingbus/kingbus-node:0.1.0";

    @Pattern("^(Always|IfNotPresent|Never)$")
    public String imagePullPolicy;

    public StorageSpec storage;

    public ResourceRequirements resources;

    public RaftSpec raft;

    @Pattern("^[0-9]+(\\.[0-9]+)?\\s*([kKmMgGtTpP]i?[bB]?|[bB])?$")
    @JsonPropertyDescription("Binlog data each node keeps, e.g. 10GB (a plain number is GB; 0 keeps everything).")
    public String reserveDataSize;

    public BinlogServerSpec binlogServer;

    public PodTemplateOverrides podTemplate;

    public int replicasOrDefault() {
        return replicas == null ? 3 : replicas;
    }
}

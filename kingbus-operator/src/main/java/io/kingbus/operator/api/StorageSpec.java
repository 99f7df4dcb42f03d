package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Default;
import io.fabric8.kubernetes.api.model.Quantity;

/** The data volume of each node (one PersistentVolumeClaim per pod). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StorageSpec {
    @Default("10Gi")
    public Quantity size = new Quantity("10Gi");

    public String storageClassName;
}

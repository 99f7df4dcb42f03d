package io.kingbus.operator.api;

import io.fabric8.generator.annotation.Required;

/** A KingbusCluster in the same namespace. */
public class ClusterRef {
    @Required
    public String name;

    public ClusterRef() {
    }

    public ClusterRef(String name) {
        this.name = name;
    }
}

package io.kingbus.operator.api;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;

import java.util.ArrayList;
import java.util.List;

/** Written whole by {@code StatusWriter}: a null field is left out. */
@com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
public class KingbusClusterStatus {
    public Long observedGeneration;

    /** Creating, Running, Scaling, Updating, Degraded, Paused. */
    public String phase;

    public String leader;

    /** Raft members (the scale subresource's current replicas). */
    @StatusReplicas
    public Integer replicas;

    public Integer readyReplicas;

    /** Label selector of the nodes' pods, for the scale subresource. */
    @LabelSelector
    public String selector;

    public List<MemberStatus> members = new ArrayList<>();

    /** The membership change in flight; a restarted operator resumes it. */
    public MembershipStep membershipStep;

    public List<Condition> conditions = new ArrayList<>();
}

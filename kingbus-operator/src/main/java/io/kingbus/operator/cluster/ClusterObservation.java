package io.kingbus.operator.cluster;

import io.kingbus.operator.api.MembershipStep;

import java.util.List;
import java.util.Set;

/**
 * What the operator saw of one cluster in one reconcile: the input of {@link MembershipPlanner}.
 *
 * @param clusterName          the KingbusCluster's name; members are {@code <clusterName>-<ordinal>}
 * @param desiredReplicas      spec.replicas
 * @param statefulSetReplicas  the StatefulSet's spec.replicas
 * @param raftMembers          member names from GET /cluster; null when no node answered
 * @param leader               the leader's name; null when there is none (or no node answered)
 * @param readyMembers         members whose /ready answered 200 (caught-up voting members)
 * @param runningPods          pods of the cluster that exist and whose containers run (phase Running)
 * @param existingPods         every pod of the cluster that exists, running or not
 * @param step                 the change in flight (status.membershipStep), or null
 */
public record ClusterObservation(String clusterName, int desiredReplicas, int statefulSetReplicas,
                                 List<String> raftMembers, String leader, Set<String> readyMembers,
                                 Set<String> runningPods, Set<String> existingPods, MembershipStep step) {

    public String memberName(int ordinal) {
        return clusterName + "-" + ordinal;
    }

    /** The ordinal of {@code <clusterName>-<n>}, or -1 for a name of another shape. */
    public int ordinalOf(String member) {
        String prefix = clusterName + "-";
        if (member == null || !member.startsWith(prefix)) {
            return -1;
        }
        try {
            return Integer.parseInt(member.substring(prefix.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

package io.kingbus.operator.cluster;

import io.kingbus.operator.api.MembershipStep;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides the next membership action from a {@link ClusterObservation}; pure, so the rules are unit-tested.
 *
 * <p>One member at a time. Scale up: raise the StatefulSet by one, wait for the pod to run, POST /members (the node
 * starts with {@code initial-cluster-state: existing} and waits to be added), wait until it is a ready voter. Scale
 * down: DELETE /members for the highest ordinal, wait until it left the raft configuration, then lower the StatefulSet
 * by one and wait for the pod to go. A scale-down that would leave fewer ready members than the new quorum, or that
 * has no leader to run it, is held. Lowering {@code replicas} below an unfinished add cancels it (the pod may never
 * start: a bad image, no node to schedule on).
 */
public final class MembershipPlanner {
    private MembershipPlanner() {
    }

    /** The next action. */
    public sealed interface Action {
    }

    /** Nothing to change. */
    public record Idle() implements Action {
    }

    /** A step is waiting for something outside the operator (a pod, the node's catch-up); check again later. */
    public record Wait(String reason) implements Action {
    }

    /** Begin adding {@code member}: record the step and raise the StatefulSet to {@code replicas}. */
    public record StartAdd(String member, int replicas) implements Action {
    }

    /** Make sure the StatefulSet has {@code replicas} (resuming a step after a restart). */
    public record ScaleStatefulSet(String member, int replicas) implements Action {
    }

    /** The pod of {@code member} runs: POST /members. */
    public record AddMember(String member) implements Action {
    }

    /**
     * {@code replicas} was lowered below an add that has not finished (its pod may never start): the add becomes a
     * remove, from DELETE /members when the member is already in the raft configuration, else from the shrink.
     */
    public record CancelAdd(String member, boolean inRaft) implements Action {
    }

    /** {@code member} is a ready voter: the add is done. */
    public record FinishAdd(String member) implements Action {
    }

    /** Begin (or resend) removing {@code member}: DELETE /members. */
    public record RemoveMember(String member, boolean resend) implements Action {
    }

    /** {@code member} left the raft configuration: lower the StatefulSet to {@code replicas}. */
    public record Shrink(String member, int replicas) implements Action {
    }

    /** The pod of the removed {@code member} is gone: the remove is done. */
    public record FinishRemove(String member) implements Action {
    }

    /** The scale-down is unsafe now; hold it with a Warning. */
    public record Hold(String reason, String message) implements Action {
    }

    public static Action plan(ClusterObservation o) {
        MembershipStep step = o.step();
        if (step != null) {
            return continueStep(o, step);
        }
        if (o.raftMembers() == null) {
            return new Wait("no node answers GET /cluster");
        }
        List<String> members = o.raftMembers();
        int count = members.size();
        // Members must be exactly <name>-0 .. <name>-(n-1), matching the StatefulSet: otherwise a step would skip one.
        List<String> unexpected = new ArrayList<>();
        for (String m : members) {
            int ordinal = o.ordinalOf(m);
            if (ordinal < 0 || ordinal >= count) {
                unexpected.add(m);
            }
        }
        if (o.desiredReplicas() == count) {
            return new Idle();
        }
        if (!unexpected.isEmpty() || o.statefulSetReplicas() != count) {
            String message = "raft members " + members + " do not match the StatefulSet's " + o.statefulSetReplicas()
                    + " pods " + o.clusterName() + "-0.." + (o.statefulSetReplicas() - 1)
                    + "; scaling from " + count + " to " + o.desiredReplicas() + " would skip a step";
            return new Hold("MembersMismatch", message);
        }
        if (o.desiredReplicas() > count) {
            if (o.leader() == null) {
                return new Wait("scale-up waits for a leader");
            }
            if (!o.readyMembers().containsAll(members)) {
                List<String> notReady = new ArrayList<>(members);
                notReady.removeAll(o.readyMembers());
                return new Wait("scale-up waits until every member is ready (not ready: " + notReady + ")");
            }
            return new StartAdd(o.memberName(count), count + 1);
        }
        // Scale down by one: the highest ordinal leaves first.
        String victim = o.memberName(count - 1);
        int newSize = count - 1;
        if (o.leader() == null) {
            return new Hold("NoLeader", "removing " + victim + " needs a leader to run the change; the cluster has "
                    + "none");
        }
        int quorum = Quorum.of(newSize);
        List<String> readyRemaining = new ArrayList<>();
        for (String m : members) {
            if (!m.equals(victim) && o.readyMembers().contains(m)) {
                readyRemaining.add(m);
            }
        }
        if (readyRemaining.size() < quorum) {
            return new Hold("QuorumAtRisk", "removing " + victim + " would leave " + newSize + " members of which "
                    + readyRemaining.size() + " are ready " + readyRemaining + "; a quorum of " + quorum
                    + " is needed");
        }
        return new RemoveMember(victim, false);
    }

    private static Action continueStep(ClusterObservation o, MembershipStep step) {
        String member = step.member;
        int ordinal = o.ordinalOf(member);
        if (ordinal < 0) {
            return new Hold("BadStep", "status.membershipStep names " + member + ", not a member of " + o.clusterName());
        }
        if (step.isAdd()) {
            if (o.statefulSetReplicas() < ordinal + 1 && o.desiredReplicas() > ordinal) {
                return new ScaleStatefulSet(member, ordinal + 1);
            }
            boolean inRaft = o.raftMembers() != null && o.raftMembers().contains(member);
            if (inRaft && o.readyMembers().contains(member)) {
                return new FinishAdd(member);
            }
            if (o.desiredReplicas() <= ordinal) {
                if (o.raftMembers() == null) {
                    return new Wait("cancelling the add of " + member + " waits until a node answers GET /cluster");
                }
                return new CancelAdd(member, inRaft);
            }
            if (!o.runningPods().contains(member)) {
                return new Wait("waiting for pod " + member + " to run");
            }
            if (MembershipStep.WAITING_FOR_POD.equals(step.state) || !inRaft) {
                // Resent while the member is not in the configuration: a new leader drops a change in flight.
                return new AddMember(member);
            }
            return new Wait("waiting for " + member + " to catch up and become a ready voter");
        }
        if (MembershipStep.REMOVING.equals(step.state)) {
            if (o.raftMembers() == null) {
                return new Wait("no node answers GET /cluster");
            }
            if (o.raftMembers().contains(member)) {
                return new RemoveMember(member, true);
            }
            return new Shrink(member, ordinal);
        }
        if (o.statefulSetReplicas() > ordinal) {
            return new Shrink(member, ordinal);
        }
        if (o.existingPods().contains(member)) {
            return new Wait("waiting for pod " + member + " to terminate");
        }
        return new FinishRemove(member);
    }
}

package io.kingbus.operator.cluster;

import io.kingbus.operator.api.MembershipStep;
import io.kingbus.operator.cluster.MembershipPlanner.Action;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The membership rules, driven through whole scalings: a small simulated cluster applies each action the way the
 * reconciler and the nodes would, and the test checks the order of changes.
 */
class MembershipPlannerTest {

    /** A cluster as the planner sees it; {@link #apply} plays the operator, the StatefulSet and the nodes. */
    private static final class Sim {
        final String name = "kb";
        int desired;
        int stsReplicas;
        List<String> members = new ArrayList<>();
        Set<String> ready = new LinkedHashSet<>();
        Set<String> pods = new LinkedHashSet<>();
        String leader;
        MembershipStep step;
        final List<String> log = new ArrayList<>();

        Sim(int size) {
            stsReplicas = size;
            desired = size;
            IntStream.range(0, size).forEach(i -> {
                members.add(name + "-" + i);
                ready.add(name + "-" + i);
                pods.add(name + "-" + i);
            });
            leader = name + "-0";
        }

        ClusterObservation observe() {
            return new ClusterObservation(name, desired, stsReplicas, List.copyOf(members), leader, Set.copyOf(ready),
                    Set.copyOf(pods), Set.copyOf(pods), step);
        }

        /**
         * The add of the next ordinal in flight: the StatefulSet raised, the step recorded in {@code state}; from
         * Joining on, its pod runs and it is in the raft configuration (not ready yet).
         */
        String addInFlight(String state) {
            String member = name + "-" + members.size();
            step = new MembershipStep(MembershipStep.ADD, member, "t", state);
            stsReplicas = members.size() + 1;
            if (MembershipStep.JOINING.equals(state)) {
                pods.add(member);
                members.add(member);
            }
            return member;
        }

        /** Applies one action; pods start and members catch up at once (the tests of waiting are separate). */
        void apply(Action a) {
            log.add(a.getClass().getSimpleName() + (a instanceof MembershipPlanner.Idle ? "" : " " + member(a)));
            if (a instanceof MembershipPlanner.StartAdd s) {
                step = new MembershipStep(MembershipStep.ADD, s.member(), Instant.now().toString(),
                        MembershipStep.WAITING_FOR_POD);
                stsReplicas = s.replicas();
                pods.add(s.member());
            } else if (a instanceof MembershipPlanner.AddMember s) {
                step.state = MembershipStep.JOINING;
                members.add(s.member());
                ready.add(s.member());
            } else if (a instanceof MembershipPlanner.FinishAdd) {
                step = null;
            } else if (a instanceof MembershipPlanner.CancelAdd c) {
                step = new MembershipStep(MembershipStep.REMOVE, c.member(), Instant.now().toString(),
                        c.inRaft() ? MembershipStep.REMOVING : MembershipStep.SHRINKING);
            } else if (a instanceof MembershipPlanner.RemoveMember r) {
                step = new MembershipStep(MembershipStep.REMOVE, r.member(), Instant.now().toString(),
                        MembershipStep.REMOVING);
                members.remove(r.member());
                ready.remove(r.member());
            } else if (a instanceof MembershipPlanner.Shrink s) {
                step.state = MembershipStep.SHRINKING;
                stsReplicas = s.replicas();
                pods.remove(s.member());
            } else if (a instanceof MembershipPlanner.FinishRemove) {
                step = null;
            }
        }

        /** Plans and applies until idle (or held); returns the log of actions. */
        List<String> run() {
            for (int i = 0; i < 50; i++) {
                Action a = MembershipPlanner.plan(observe());
                apply(a);
                if (a instanceof MembershipPlanner.Idle || a instanceof MembershipPlanner.Hold) {
                    return log;
                }
            }
            throw new AssertionError("no end: " + log);
        }
    }

    private static String member(Action a) {
        String s = a.toString();
        int i = s.indexOf("member=");
        return i < 0 ? "" : s.substring(i + 7).replaceAll("[,\\]].*", "");
    }

    @Test
    void scaleUpFrom3To5AddsOneMemberAtATimeEachAfterThePodRuns() {
        Sim sim = new Sim(3);
        sim.desired = 5;
        assertThat(sim.run()).containsExactly(
                "StartAdd kb-3", "AddMember kb-3", "FinishAdd kb-3",
                "StartAdd kb-4", "AddMember kb-4", "FinishAdd kb-4",
                "Idle");
        assertThat(sim.members).containsExactly("kb-0", "kb-1", "kb-2", "kb-3", "kb-4");
        assertThat(sim.stsReplicas).isEqualTo(5);
    }

    @Test
    void scaleUpFrom1To3() {
        Sim sim = new Sim(1);
        sim.desired = 3;
        assertThat(sim.run()).containsExactly(
                "StartAdd kb-1", "AddMember kb-1", "FinishAdd kb-1",
                "StartAdd kb-2", "AddMember kb-2", "FinishAdd kb-2",
                "Idle");
    }

    @Test
    void scaleDownFrom5To3RemovesTheHighestOrdinalBeforeShrinking() {
        Sim sim = new Sim(5);
        sim.desired = 3;
        assertThat(sim.run()).containsExactly(
                "RemoveMember kb-4", "Shrink kb-4", "FinishRemove kb-4",
                "RemoveMember kb-3", "Shrink kb-3", "FinishRemove kb-3",
                "Idle");
        assertThat(sim.stsReplicas).isEqualTo(3);
        assertThat(sim.members).containsExactly("kb-0", "kb-1", "kb-2");
    }

    @Test
    void addWaitsForThePodThenForTheMemberToBeReady() {
        Sim sim = new Sim(3);
        sim.desired = 4;
        sim.addInFlight(MembershipStep.WAITING_FOR_POD);
        assertThat(MembershipPlanner.plan(sim.observe())).isInstanceOf(MembershipPlanner.Wait.class);
        sim.pods.add("kb-3");
        assertThat(MembershipPlanner.plan(sim.observe())).isEqualTo(new MembershipPlanner.AddMember("kb-3"));
        sim.step.state = MembershipStep.JOINING;
        sim.members.add("kb-3");
        assertThat(MembershipPlanner.plan(sim.observe())).isInstanceOf(MembershipPlanner.Wait.class);
        sim.ready.add("kb-3");
        assertThat(MembershipPlanner.plan(sim.observe())).isEqualTo(new MembershipPlanner.FinishAdd("kb-3"));
    }

    @Test
    void loweringReplicasCancelsAnAddWhosePodNeverRuns() {
        Sim sim = new Sim(3);
        sim.desired = 4;
        sim.addInFlight(MembershipStep.WAITING_FOR_POD);
        assertThat(MembershipPlanner.plan(sim.observe())).isInstanceOf(MembershipPlanner.Wait.class);
        sim.desired = 3;
        assertThat(sim.run()).containsExactly("CancelAdd kb-3", "Shrink kb-3", "FinishRemove kb-3", "Idle");
        assertThat(sim.stsReplicas).isEqualTo(3);
        assertThat(sim.members).containsExactly("kb-0", "kb-1", "kb-2");
    }

    @Test
    void loweringReplicasCancelsAnAddThatJoinedButNeverCaughtUpByRemovingItFirst() {
        Sim sim = new Sim(3);
        sim.desired = 3;
        sim.addInFlight(MembershipStep.JOINING);
        ClusterObservation unknown = sim.observe();
        unknown = new ClusterObservation(unknown.clusterName(), unknown.desiredReplicas(),
                unknown.statefulSetReplicas(), null, null, unknown.readyMembers(), unknown.runningPods(),
                unknown.existingPods(), unknown.step());
        assertThat(MembershipPlanner.plan(unknown)).as("not knowing whether it joined, it does not shrink yet")
                .isInstanceOf(MembershipPlanner.Wait.class);
        Action cancel = MembershipPlanner.plan(sim.observe());
        assertThat(cancel).isEqualTo(new MembershipPlanner.CancelAdd("kb-3", true));
        sim.apply(cancel);
        assertThat(MembershipPlanner.plan(sim.observe())).isEqualTo(new MembershipPlanner.RemoveMember("kb-3", true));
        assertThat(sim.run()).endsWith("RemoveMember kb-3", "Shrink kb-3", "FinishRemove kb-3", "Idle");
        assertThat(sim.members).containsExactly("kb-0", "kb-1", "kb-2");
        assertThat(sim.stsReplicas).isEqualTo(3);
    }

    @Test
    void anAddThatBecameAReadyVoterIsFinishedNotCancelled() {
        Sim sim = new Sim(3);
        sim.desired = 3;
        sim.addInFlight(MembershipStep.JOINING);
        sim.ready.add("kb-3");
        assertThat(sim.run()).containsExactly("FinishAdd kb-3", "RemoveMember kb-3", "Shrink kb-3",
                "FinishRemove kb-3", "Idle");
    }

    @Test
    void aRecordedStepIsResumedAfterARestart() {
        Sim sim = new Sim(3);
        sim.desired = 4;
        // Recorded, but the StatefulSet was not raised before the operator stopped.
        sim.step = new MembershipStep(MembershipStep.ADD, "kb-3", "t", MembershipStep.WAITING_FOR_POD);
        assertThat(MembershipPlanner.plan(sim.observe())).isEqualTo(new MembershipPlanner.ScaleStatefulSet("kb-3", 4));
        // A remove whose DELETE may not have been sent: resent while the member is still in the group.
        Sim down = new Sim(4);
        down.desired = 3;
        down.step = new MembershipStep(MembershipStep.REMOVE, "kb-3", "t", MembershipStep.REMOVING);
        assertThat(MembershipPlanner.plan(down.observe())).isEqualTo(new MembershipPlanner.RemoveMember("kb-3", true));
    }

    @Test
    void anUnrecordedStepIsImpliedFromTheExtraPod() {
        List<String> three = List.of("kb-0", "kb-1", "kb-2");
        MembershipStep add = KingbusClusterReconciler.impliedStep("kb", 5, 4, three, Instant.now());
        assertThat(add.action).isEqualTo(MembershipStep.ADD);
        assertThat(add.member).isEqualTo("kb-3");
        MembershipStep remove = KingbusClusterReconciler.impliedStep("kb", 3, 4, three, Instant.now());
        assertThat(remove.action).isEqualTo(MembershipStep.REMOVE);
        assertThat(remove.state).isEqualTo(MembershipStep.SHRINKING);
        assertThat(KingbusClusterReconciler.impliedStep("kb", 3, 3, three, Instant.now())).isNull();
    }

    @Test
    void scaleDownIsHeldWhenTooFewMembersAreReadyForTheNewQuorum() {
        Sim sim = new Sim(5);
        sim.desired = 4;
        // Removing kb-4 leaves 4 members, quorum 3; only kb-0 and kb-1 of them are ready.
        sim.ready.remove("kb-2");
        sim.ready.remove("kb-3");
        Action a = MembershipPlanner.plan(sim.observe());
        assertThat(a).isInstanceOf(MembershipPlanner.Hold.class);
        assertThat(((MembershipPlanner.Hold) a).reason()).isEqualTo("QuorumAtRisk");
        assertThat(((MembershipPlanner.Hold) a).message()).contains("kb-4").contains("quorum of 3");
        // One more ready member makes it safe.
        sim.ready.add("kb-2");
        assertThat(MembershipPlanner.plan(sim.observe())).isEqualTo(new MembershipPlanner.RemoveMember("kb-4", false));
    }

    @Test
    void scaleDownIsHeldWithoutALeader() {
        Sim sim = new Sim(3);
        sim.desired = 2;
        sim.leader = null;
        Action a = MembershipPlanner.plan(sim.observe());
        assertThat(a).isInstanceOf(MembershipPlanner.Hold.class);
        assertThat(((MembershipPlanner.Hold) a).reason()).isEqualTo("NoLeader");
    }

    @Test
    void scalingIsHeldWhenMembersDoNotMatchTheStatefulSet() {
        Sim sim = new Sim(3);
        sim.members.set(1, "stranger");
        sim.desired = 2;
        Action a = MembershipPlanner.plan(sim.observe());
        assertThat(a).isInstanceOf(MembershipPlanner.Hold.class);
        assertThat(((MembershipPlanner.Hold) a).reason()).isEqualTo("MembersMismatch");
    }

    @Test
    void scaleUpWaitsUntilEveryMemberIsReady() {
        Sim sim = new Sim(3);
        sim.desired = 4;
        sim.ready.remove("kb-1");
        assertThat(MembershipPlanner.plan(sim.observe())).isInstanceOf(MembershipPlanner.Wait.class);
    }

    @Test
    void quorumArithmetic() {
        assertThat(IntStream.rangeClosed(1, 7).map(Quorum::of).toArray()).containsExactly(1, 2, 2, 3, 3, 4, 4);
        assertThat(IntStream.rangeClosed(1, 7).map(Quorum::tolerableFailures).toArray())
                .containsExactly(0, 0, 1, 1, 2, 2, 3);
    }
}

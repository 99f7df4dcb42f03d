package io.kingbus.operator.cluster;

/** Raft majority arithmetic. */
public final class Quorum {
    private Quorum() {
    }

    /** Votes a configuration of {@code members} voters needs: a strict majority. */
    public static int of(int members) {
        if (members < 1) {
            throw new IllegalArgumentException("a raft group has at least one member, not " + members);
        }
        return members / 2 + 1;
    }

    /** Members that may be down at once without losing the quorum (the PodDisruptionBudget's maxUnavailable). */
    public static int tolerableFailures(int members) {
        return members - of(members);
    }
}

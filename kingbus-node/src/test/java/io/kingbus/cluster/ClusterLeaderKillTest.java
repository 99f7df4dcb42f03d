package io.kingbus.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of the leader, repeatedly, while a proposer streams transactions: the proposer re-finds the leader and
 * resumes from where that leader's store ends (as a syncer resumes from the executed set). Every node ends with
 * the primary's files byte for byte; nothing acknowledged is lost, nothing is stored twice.
 */
class ClusterLeaderKillTest extends ClusterTestBase {
    private static final int KILLS = 3;

    /** Streams the pre-generated events to whoever leads, resuming from the leader's store after any failure. */
    private final class Proposer implements Runnable {
        final List<Primary.Event> events;
        final Map<String, Integer> afterEnd = new HashMap<>();
        final Random random = new Random(7);
        final AtomicInteger acks = new AtomicInteger();
        final AtomicInteger resumes = new AtomicInteger();
        final List<String> problems = new CopyOnWriteArrayList<>();
        final GtidSet acked = GtidSet.empty();
        volatile int next;
        volatile String lastFailure = "";
        volatile String waiting = "";
        volatile boolean stop;
        volatile Throwable crashed;
        int ackedUpTo;

        Proposer(List<Primary.Event> events) {
            this.events = events;
            for (int i = 0; i < events.size(); i++) {
                Primary.Event e = events.get(i);
                if (e.position() >= 4) {
                    afterEnd.put(e.file() + ":" + e.end(), i + 1);
                }
                if (e.position() == 4) {
                    // a store that applied a ROTATE holds the next file, still empty (its visible end is 4)
                    afterEnd.put(e.file() + ":4", i);
                }
            }
        }

        @Override
        public void run() {
            try {
                boolean resync = false;
                NodeProcess proposingTo = null;
                while (next < events.size() && !stop) {
                    NodeProcess leader = cluster.currentLeader();
                    if (leader == null) {
                        Thread.sleep(50);
                        continue;
                    }
                    // A kill between two proposals fails none of them: like a syncer on a new leader, carry on
                    // from wherever the new leader's store ends, never from the proposer's own count.
                    if (proposingTo != null && leader != proposingTo) {
                        resync = true;
                    }
                    proposingTo = leader;
                    if (resync) {
                        if (!resume(leader)) {
                            Thread.sleep(50);
                            continue;
                        }
                        resync = false;
                    }
                    int n = Math.min(1 + random.nextInt(12), events.size() - next);
                    List<byte[]> batch = new ArrayList<>(n);
                    for (Primary.Event e : events.subList(next, next + n)) {
                        batch.add(e.bytes());
                    }
                    Http.Reply r = ClusterHarness.proposeTo(leader, events.get(next).file(), batch, null,
                            Duration.ofSeconds(30));
                    if (r.ok()) {
                        next += n;
                        acknowledge(next);
                        acks.incrementAndGet();
                    } else {
                        if (r.status() != 421 && r.status() != 503 && r.status() != 504 && r.status() != -1) {
                            problems.add("proposal at event " + next + " to " + leader + ": " + r);
                        }
                        lastFailure = r.status() + " " + r.message();
                        resync = true;
                    }
                }
            } catch (Throwable t) {
                crashed = t;
            }
        }

        /** Everything in events[0, upTo) is acknowledged: the transactions it completes must never be lost. */
        private void acknowledge(int upTo) {
            for (int i = ackedUpTo; i < upTo; i++) {
                Primary.Event e = events.get(i);
                if (e.gtid() != null && e.completes()) {
                    synchronized (acked) {
                        acked.add(e.gtid());
                    }
                }
            }
            ackedUpTo = Math.max(ackedUpTo, upTo);
        }

        /**
         * Once the leader applied all it has committed: checks it holds every acknowledged transaction and sets
         * {@code next} to the event after its store's end. False when the leader is not there yet.
         */
        private boolean resume(NodeProcess leader) {
            // Until the new leader has committed an entry of its term, its commit index may not cover entries
            // that a majority had already accepted (committed) under the previous leader.
            if (!ClusterHarness.leaderReady(leader)) {
                waiting = leader + " is not a ready leader";
                return false;
            }
            JsonNode s = leader.storeOrNull();
            if (s == null || !"LEADER".equals(s.path("role").asText())
                    || s.path("appliedIndex").asLong() < s.path("commitIndex").asLong()) {
                waiting = leader + " has not applied all it committed: " + s;
                return false;
            }
            GtidSet executed = GtidSet.parse(s.path("executed").asText());
            synchronized (acked) {
                GtidSet missing = acked.subtract(executed);
                if (!missing.isEmpty()) {
                    problems.add("new leader " + leader + " lacks acknowledged transactions " + missing);
                }
            }
            String file = s.path("lastFile").isNull() ? null : s.path("lastFile").asText();
            int resumeAt = file == null ? 0 : afterEnd.getOrDefault(file + ":" + s.path("lastEnd").asLong(), -1);
            if (resumeAt < 0) {
                waiting = "a stream position for " + file + ":" + s.path("lastEnd").asLong();
                problems.add(leader + "'s store ends at " + file + ":" + s.path("lastEnd").asLong()
                        + ", which is no event boundary of the stream");
                return false;
            }
            System.out.printf("proposer: resuming on %s at event %d of %d (%s:%d); had acknowledged up to %d; "
                    + "after: %s%n", leader, resumeAt, events.size(), file, s.path("lastEnd").asLong(), ackedUpTo,
                    lastFailure);
            next = resumeAt;
            resumes.incrementAndGet();
            return true;
        }
    }

    @Test
    void killingTheLeaderRepeatedlyWhileProposingLosesNothingAcknowledged() throws Exception {
        start(3);
        cluster.awaitLeader(LEADER);
        Primary p = new Primary(UUID.fromString("5a7c0d6e-0b1f-11ee-8c4b-0242ac120002"));
        Random gen = new Random(2024);
        p.start();
        for (int i = 0; i < 1500; i++) {
            p.randomStep(gen);
        }
        Proposer proposer = new Proposer(p.events());
        Thread t = new Thread(proposer, "proposer");
        long t0 = System.nanoTime();
        t.start();
        try {
            for (int round = 1; round <= KILLS; round++) {
                int acksBefore = proposer.acks.get();
                int r = round;
                cluster.await(() -> "the proposer makes progress (round " + r + "; it waits for: "
                                + proposer.waiting + "; problems " + proposer.problems + ")", Duration.ofSeconds(60),
                        () -> proposer.acks.get() >= acksBefore + 40 || proposer.crashed != null);
                assertThat(proposer.crashed).isNull();
                assertThat(proposer.next).as("the stream is long enough for %d kills", KILLS)
                        .isLessThan(proposer.events.size());
                NodeProcess leader = cluster.currentLeader();
                assertThat(leader).isNotNull();
                long killedAt = System.nanoTime();
                leader.kill();
                List<NodeProcess> others = cluster.nodes().stream().filter(n -> n != leader).toList();
                NodeProcess next = cluster.awaitLeader(LEADER, cluster.nodes());
                assertThat(next).isNotEqualTo(leader).isIn(others);
                System.out.printf("round %d: killed leader %s at event %d (%d acks); %s leads %s later%n", round,
                        leader, proposer.next, proposer.acks.get(), next, ms(killedAt));
                leader.start();
            }
            cluster.await("the proposer finishes the stream", Duration.ofSeconds(120),
                    () -> !t.isAlive());
        } finally {
            proposer.stop = true;
            t.join(30_000);
        }
        assertThat(proposer.crashed).isNull();
        assertThat(proposer.problems).isEmpty();
        assertThat(proposer.resumes.get()).as("resumptions from a new leader's store").isGreaterThanOrEqualTo(KILLS);
        System.out.printf("streamed %d events (%d transactions, %d files) with %d acknowledged proposals and %d "
                        + "resumptions in %s%n", proposer.events.size(), p.executed().count(), p.fileNames().size(),
                proposer.acks.get(), proposer.resumes.get(), ms(t0));

        long t1 = System.nanoTime();
        cluster.awaitStoresEqual(p, cluster.nodes(), CONVERGE);
        System.out.printf("all stores byte-identical %s after the last proposal%n", ms(t1));
        for (NodeProcess n : cluster.nodes()) {
            GtidSet executed = GtidSet.parse(n.storeOrNull().path("executed").asText());
            assertThat(executed.containsAll(proposer.acked)).as("%s holds every acknowledged transaction", n)
                    .isTrue();
            long count = 0;
            for (String f : p.fileNames()) {
                List<Gtid> g = ClusterHarness.gtidsIn(n.binlogDir().resolve(f));
                count += g.size();
            }
            assertThat(count).as("%s stores each GTID once", n).isEqualTo(p.executed().count());
        }
        assertThat(proposer.acked.count()).isGreaterThan(0);
    }
}

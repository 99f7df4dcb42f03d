package io.kingbus.syncer;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.RotateEvent;
import io.kingbus.binlog.TestEvents;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import io.kingbus.protocol.SemiSync;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Semi-sync through the cluster: the syncer acknowledges a transaction only once it is committed by a raft majority
 * (and applied on the leader); without a majority no ACK goes out. Against the scripted primary, because no MySQL
 * build on this machine ships the semi-sync plugin.
 */
class SyncerSemiSyncTest {
    private static final UUID SID = UUID.fromString(ScriptedPrimary.UUID_TEXT);
    private static final ChecksumType CRC = ChecksumType.CRC32;

    @Test
    void ackOnlyAfterTheRaftCommit(@TempDir Path tmp) throws Exception {
        try (ScriptedPrimary primary = new ScriptedPrimary();
             SyncerCluster cluster = new SyncerCluster(tmp, 3).startAll()) {
            primary.semiSyncPlugin = true;
            AtomicBoolean once = new AtomicBoolean();
            AtomicReference<SemiSync.Ack> firstAck = new AtomicReference<>();
            AtomicReference<SemiSync.Ack> secondAck = new AtomicReference<>();
            AtomicReference<GtidSet> storedAtFirstAck = new AtomicReference<>();
            long[] ends = new long[2];
            CountDownLatch firstDone = new CountDownLatch(1);
            CountDownLatch majorityGone = new CountDownLatch(1);
            CountDownLatch secondDone = new CountDownLatch(1);
            SyncerCluster.Node[] leader = new SyncerCluster.Node[1];
            primary.script = s -> {
                if (!once.compareAndSet(false, true)) {
                    Thread.sleep(60_000); // a reconnect: nothing more to send
                    return;
                }
                assertThat(s.semiSync()).isTrue();
                long pos = fileStart(s);
                ends[0] = transaction(s, pos, 1, true);
                firstAck.set(s.awaitAck(20));
                storedAtFirstAck.set(leader[0].node.store().executedGtids());
                firstDone.countDown();
                majorityGone.await(30, TimeUnit.SECONDS);
                ends[1] = transaction(s, ends[0], 2, true);
                secondAck.set(s.awaitAck(5));
                secondDone.countDown();
                Thread.sleep(60_000);
            };
            leader[0] = cluster.awaitLeader(Duration.ofSeconds(30));
            SyncerCluster.Reply r = SyncerCluster.startSyncer(cluster.follower(), SyncerCluster.startBody(4242,
                    UUID.randomUUID().toString(), "127.0.0.1:" + primary.port(), "root", "", true));
            assertThat(r.status()).as("%s", r.body()).isEqualTo(200);
            assertThat(firstDone.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(firstAck.get()).isEqualTo(new SemiSync.Ack("mysql-bin.000001", ends[0]));
            assertThat(storedAtFirstAck.get().contains(new Gtid(SID, 1))).as("stored when acked").isTrue();
            assertThat(SyncerCluster.status(leader[0]).path("primary_semi_sync").asBoolean()).isTrue();

            // no majority: the next transaction is not acknowledged
            for (SyncerCluster.Node n : new ArrayList<>(cluster.running())) {
                if (n != leader[0]) {
                    n.stop();
                }
            }
            majorityGone.countDown();
            assertThat(secondDone.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(secondAck.get()).as("ACK without a majority").isNull();
            assertThat(leader[0].node.store().executedGtids().contains(new Gtid(SID, 2))).isFalse();
            assertThat(primary.scriptErrors).isEmpty();
        }
    }

    private static long fileStart(ScriptedPrimary.Session s) throws InterruptedException {
        s.event(RotateEvent.fake(ScriptedPrimary.SERVER_ID, "mysql-bin.000001", 4, CRC).bytes());
        BinlogEvent fde = TestEvents.fde("8.0.15-scripted", CRC, 0);
        long pos = 4 + fde.length();
        s.event(TestEvents.fde("8.0.15-scripted", CRC, pos).bytes());
        BinlogEvent prev = TestEvents.previousGtids(GtidSet.empty(), 0, CRC);
        pos += prev.length();
        s.event(TestEvents.previousGtids(GtidSet.empty(), pos, CRC).bytes());
        return pos;
    }

    private static long transaction(ScriptedPrimary.Session s, long pos, long gno, boolean ack)
            throws InterruptedException {
        List<BinlogEvent> events = new ArrayList<>();
        long p = pos;
        p += TestEvents.gtid(SID, gno, 0, CRC).length();
        events.add(TestEvents.gtid(SID, gno, p, CRC));
        p += TestEvents.query("shop", "BEGIN", 0, CRC).length();
        events.add(TestEvents.query("shop", "BEGIN", p, CRC));
        p += TestEvents.tableMap(108, "shop", "t", 0, CRC).length();
        events.add(TestEvents.tableMap(108, "shop", "t", p, CRC));
        p += TestEvents.writeRows(108, 100, true, 0, CRC).length();
        events.add(TestEvents.writeRows(108, 100, true, p, CRC));
        p += TestEvents.xid(gno, 0, CRC).length();
        events.add(TestEvents.xid(gno, p, CRC));
        for (int i = 0; i < events.size(); i++) {
            s.event(events.get(i).bytes(), ack && i == events.size() - 1);
        }
        return p;
    }
}

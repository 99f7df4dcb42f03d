package io.kingbus.syncer;

import io.kingbus.binlog.EventType;
import io.kingbus.binlog.GtidEvent;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A listener that keeps every event, for tests. */
class Collector implements BinlogListener {
    private final List<ReceivedEvent> events = new ArrayList<>();
    volatile PrimaryInfo primary;
    volatile long delayPerEventMillis;

    @Override
    public void onConnected(PrimaryInfo primary) {
        this.primary = primary;
    }

    @Override
    public void onEvent(ReceivedEvent event) throws Exception {
        synchronized (this) {
            events.add(event);
            notifyAll();
        }
        if (delayPerEventMillis > 0) {
            Thread.sleep(delayPerEventMillis);
        }
    }

    synchronized List<ReceivedEvent> events() {
        return new ArrayList<>(events);
    }

    /** The GTIDs of the GTID events received, in order (duplicates kept). */
    synchronized List<Gtid> gtids() {
        List<Gtid> out = new ArrayList<>();
        for (ReceivedEvent e : events) {
            if (e.event().type() == EventType.GTID) {
                out.add(GtidEvent.decode(e.event(), e.checksum()).gtid());
            }
        }
        return out;
    }

    GtidSet gtidSet() {
        GtidSet s = GtidSet.empty();
        gtids().forEach(s::add);
        return s;
    }

    synchronized void await(Predicate<List<ReceivedEvent>> condition, Duration timeout) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (!condition.test(events)) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("condition not met within " + timeout + "; " + events.size() + " events");
            }
            wait(left);
        }
    }

    void awaitGtids(GtidSet target, Duration timeout) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (!gtidSet().containsAll(target)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("GTIDs " + target + " not received within " + timeout + "; have " + gtidSet());
            }
            synchronized (this) {
                wait(100);
            }
        }
    }
}

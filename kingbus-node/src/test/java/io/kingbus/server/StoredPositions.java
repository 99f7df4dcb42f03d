package io.kingbus.server;

import io.kingbus.binlog.EventType;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.store.BinlogReader;
import io.kingbus.store.BinlogStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** Event positions of one stored file. */
record StoredPositions(List<Long> eventStarts, List<Long> transactionStarts, long end) {
    static StoredPositions of(BinlogStore store, String file) {
        List<Long> events = new ArrayList<>();
        List<Long> trx = new ArrayList<>();
        long end = 4;
        try (BinlogReader r = store.openReader(file, 4)) {
            for (PositionedEvent e; (e = r.poll()) != null && e.file().equals(file); ) {
                events.add(e.position());
                if (EventType.isGtid(e.event().type())) {
                    trx.add(e.position());
                }
                end = e.endPosition();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new StoredPositions(events, trx, end);
    }
}

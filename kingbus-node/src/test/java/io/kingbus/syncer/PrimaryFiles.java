package io.kingbus.syncer;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.PositionedEvent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A primary's binlog files read from its data directory, to compare a dump stream with, event for event. */
final class PrimaryFiles {
    /** file name → its events in order. */
    final Map<String, List<PositionedEvent>> files = new LinkedHashMap<>();

    PrimaryFiles(List<Path> paths) throws IOException {
        for (Path p : paths) {
            List<PositionedEvent> events = new ArrayList<>();
            try (BinlogFileReader r = BinlogFileReader.open(p)) {
                for (PositionedEvent e; (e = r.next()) != null; ) {
                    events.add(e);
                }
            }
            files.put(p.getFileName().toString(), events);
        }
    }

    List<PositionedEvent> all() {
        List<PositionedEvent> out = new ArrayList<>();
        files.values().forEach(out::addAll);
        return out;
    }

    /** The stream's real events: no heartbeats, no fake ROTATE, no log_pos-0 events. */
    static List<ReceivedEvent> real(List<ReceivedEvent> stream) {
        return stream.stream().filter(e -> !e.isHeartbeat() && !e.isArtificial()).toList();
    }

    /**
     * Every real event of the stream is the event of the primary's file that ends at the same position, byte for
     * byte (a FORMAT_DESCRIPTION may differ in the in-use flag only). Returns how many events were compared.
     */
    int assertEachEventMatches(List<ReceivedEvent> stream) {
        int compared = 0;
        for (ReceivedEvent r : real(stream)) {
            List<PositionedEvent> events = files.get(r.file());
            assertThat(events).as("events of file '%s'", r.file()).isNotNull();
            PositionedEvent match = events.stream().filter(e -> e.endPosition() == r.endPosition()).findFirst()
                    .orElseThrow(() -> new AssertionError("no event of " + r.file() + " ends at " + r.endPosition()));
            assertSameEvent(r.event(), match.event());
            compared++;
        }
        return compared;
    }

    /** The stream's real events are all the files' events, in order. */
    void assertStreamIsWholeBinlog(List<ReceivedEvent> stream) {
        List<ReceivedEvent> real = real(stream);
        List<PositionedEvent> all = all();
        assertThat(real).as("real events of the stream").hasSize(all.size());
        for (int i = 0; i < all.size(); i++) {
            assertThat(real.get(i).file()).isEqualTo(all.get(i).file());
            assertThat(real.get(i).endPosition()).isEqualTo(all.get(i).endPosition());
            assertSameEvent(real.get(i).event(), all.get(i).event());
        }
    }

    static void assertSameEvent(BinlogEvent received, BinlogEvent stored) {
        byte[] a = received.bytes();
        byte[] b = stored.bytes();
        if (received.type() == EventType.FORMAT_DESCRIPTION && a.length == b.length) {
            a = a.clone();
            b = b.clone();
            a[BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
            b[BinlogEvent.FLAGS_OFFSET] &= (byte) ~BinlogEvent.FLAG_BINLOG_IN_USE;
        }
        if (!Arrays.equals(a, b)) {
            throw new AssertionError("received " + received + " differs from the file's " + stored);
        }
    }
}

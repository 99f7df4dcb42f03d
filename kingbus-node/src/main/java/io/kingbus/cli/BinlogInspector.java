package io.kingbus.cli;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.BinlogFileReader;
import io.kingbus.binlog.BinlogFormatException;
import io.kingbus.binlog.EventInfo;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.PositionedEvent;
import io.kingbus.binlog.TruncatedBinlogException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Lists the events of a binlog file as MySQL's {@code SHOW BINLOG EVENTS IN 'file'} does, verifying every
 * checksum and decoding every Info text. Stops at the first damage (torn tail, bad checksum, impossible
 * length, undecodable event) and says where it is; the events before it have been handed out by then.
 */
public final class BinlogInspector {
    private BinlogInspector() {
    }

    /**
     * What a file held.
     *
     * @param file          the file's base name
     * @param events        complete, valid events (the FORMAT_DESCRIPTION included)
     * @param fileSize      the file's size in bytes (-1 if it could not be read)
     * @param lastEventPos  start offset of the last valid event, -1 if there was none
     * @param endPos        offset right after the last valid event: the length of the file's good prefix
     * @param damage        null for a clean file, else what is wrong at {@code damagePos}
     * @param damagePos     the offset of the damaged event (or of the magic number), -1 for a clean file
     */
    public record Result(String file, long events, long fileSize, long lastEventPos, long endPos, String damage,
                         long damagePos) {
        public boolean ok() {
            return damage == null;
        }

        /** "FILE at POS: what", naming the file as the caller wants it named. */
        public String damageMessage(String fileLabel) {
            return fileLabel + " at " + damagePos + ": " + damage;
        }
    }

    /** Reads the whole file, handing each event's row to {@code sink} in file order. */
    public static Result inspect(Path path, Consumer<BinlogEventRow> sink) {
        String name = path.getFileName().toString();
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            return new Result(name, 0, -1, -1, 0, "no such file", 0);
        } catch (IOException e) {
            return new Result(name, 0, -1, -1, 0, "cannot read: " + e, 0);
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return inspect(channel, name, size, sink);
        } catch (IOException e) {
            return new Result(name, 0, size, -1, 0, "cannot read: " + e, 0);
        }
    }

    /** Reads {@code limit} bytes of a binlog file through a channel the caller owns. */
    public static Result inspect(FileChannel channel, String name, long limit, Consumer<BinlogEventRow> sink)
            throws IOException {
        long events = 0;
        long lastPos = -1;
        long endPos = 0;
        BinlogFileReader reader;
        try {
            reader = BinlogFileReader.over(channel, name, limit, BinlogFileReader.MAGIC_LENGTH);
        } catch (BinlogFormatException e) {
            long at = e instanceof TruncatedBinlogException t ? t.position() : 0;
            return new Result(name, 0, limit, -1, 0, detail(e, name, at), at);
        }
        try (reader) {
            endPos = BinlogFileReader.MAGIC_LENGTH;
            while (true) {
                long at = reader.position();
                PositionedEvent pe;
                try {
                    pe = reader.next();
                } catch (BinlogFormatException e) {
                    return new Result(name, events, limit, lastPos, endPos, detail(e, name, at), at);
                }
                if (pe == null) {
                    String damage = events == 0 ? "no FORMAT_DESCRIPTION event" : null;
                    return new Result(name, events, limit, lastPos, endPos, damage, damage == null ? -1 : at);
                }
                if (events == 0 && pe.event().type() != EventType.FORMAT_DESCRIPTION) {
                    return new Result(name, 0, limit, -1, endPos, "not a binlog file: first event is "
                            + pe.event().typeName() + ", not FORMAT_DESCRIPTION", at);
                }
                BinlogEvent event = pe.event();
                String info;
                try {
                    info = EventInfo.of(event, reader.checksum(), reader.formatDescription());
                } catch (RuntimeException e) {
                    String why = e instanceof BinlogFormatException ? e.getMessage() : e.toString();
                    return new Result(name, events, limit, lastPos, endPos,
                            "cannot decode " + event.typeName() + " event: " + why, at);
                }
                sink.accept(new BinlogEventRow(name, pe.position(), event.typeName(), event.serverId(),
                        event.logPos(), info));
                events++;
                lastPos = pe.position();
                endPos = pe.endPosition();
            }
        }
    }

    /** The reader's message without the "name at pos: " / "name: " prefix it already carries. */
    private static String detail(BinlogFormatException e, String name, long at) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof TruncatedBinlogException t) {
            String prefix = t.file() + " at " + t.position() + ": ";
            return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
        }
        for (String prefix : new String[] {name + " at " + at + ": ", name + ": "}) {
            if (m.startsWith(prefix)) {
                return m.substring(prefix.length());
            }
        }
        return m;
    }
}

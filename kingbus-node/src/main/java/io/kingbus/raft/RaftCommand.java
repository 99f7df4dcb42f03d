package io.kingbus.raft;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.binlog.ChecksumType;
import io.kingbus.binlog.EventType;
import io.kingbus.binlog.RotateEvent;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A command replicated through the raft log.
 *
 * <p>Binary layout (big-endian): the magic {@code 'k' 'b'}, a format version byte (1), a kind byte, then the
 * kind's body. Strings are an int32 byte length (-1 for null) and UTF-8 bytes; lists are an int32 count and
 * their elements. {@link #decode} checks every length against what is left and rejects trailing bytes, so
 * hostile or truncated input yields a {@link RaftCommandFormatException} and nothing else.
 *
 * <p>Kinds: 1 EVENTS, 2 PUBLISH_MEMBER, 3 SYNCER_START, 4 SYNCER_STOP, 5 EVENT_PART. The syncer's arguments are cluster state:
 * SYNCER_START carries the primary's password (like etcd keeps it in its log); {@link SyncerStart#toString()} never
 * shows it.
 */
public sealed interface RaftCommand permits RaftCommand.Events, RaftCommand.PublishMember, RaftCommand.SyncerStart,
        RaftCommand.SyncerStop, RaftCommand.EventPart {

    byte MAGIC_0 = 'k';
    byte MAGIC_1 = 'b';
    int VERSION = 1;
    int HEADER_LENGTH = 4;
    /** The longest string (file name, peer id, URL) a command may carry, in UTF-8 bytes. */
    int MAX_STRING_BYTES = 4096;
    /** Default bound for the events of one entry; an event bigger than this goes alone. */
    int DEFAULT_MAX_ENTRY_BYTES = 1 << 20;

    /** The kinds of command, with their wire codes. */
    enum Kind {
        EVENTS(1),
        PUBLISH_MEMBER(2),
        SYNCER_START(3),
        SYNCER_STOP(4),
        EVENT_PART(5);

        public final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return null;
        }
    }

    Kind kind();

    /** The wire form. */
    byte[] encode();

    /**
     * A batch of whole binlog events.
     *
     * @param file   the binlog file the first event belongs to (null: the first event is a fake ROTATE naming it,
     *               or the store's current file)
     * @param events whole events, each exactly as the primary sent it
     */
    record Events(String file, List<byte[]> events) implements RaftCommand {
        public Events {
            Objects.requireNonNull(events, "events");
            events = Collections.unmodifiableList(new ArrayList<>(events));
        }

        @Override
        public Kind kind() {
            return Kind.EVENTS;
        }

        /** Bytes of event data carried. */
        public long eventBytes() {
            long n = 0;
            for (byte[] e : events) {
                n += e.length;
            }
            return n;
        }

        @Override
        public byte[] encode() {
            byte[] name = utf8(file);
            int size = HEADER_LENGTH + 4 + (name == null ? 0 : name.length) + 4;
            for (byte[] e : events) {
                size = Math.addExact(size, 4 + e.length);
            }
            ByteBuffer b = header(size, Kind.EVENTS);
            putString(b, name);
            b.putInt(events.size());
            for (byte[] e : events) {
                b.putInt(e.length);
                b.put(e);
            }
            return b.array();
        }

        @Override
        public String toString() {
            return "EVENTS(" + file + ", " + events.size() + " events, " + eventBytes() + " bytes)";
        }
    }

    /**
     * One part of a binlog event too big for one raft entry (up to MySQL's 1 GiB max_allowed_packet). The parts of
     * an event go in order, each in its own entry; the store writes each to the binlog file as it is applied and
     * makes the event (and its transaction) visible with the last one.
     *
     * @param file   the binlog file the event belongs to (null: the store's current file)
     * @param header the event's 19-byte header (its length and end position name the event, so a replayed or
     *               stale part is recognised by position)
     * @param offset where {@code data} starts within the event (the part at 0 starts with the header)
     * @param data   the part's bytes (a view: the proposer's parts share the event's array, so splitting copies
     *               nothing; {@link #data()} returns a fresh view each time)
     */
    record EventPart(String file, byte[] header, long offset, ByteBuffer data) implements RaftCommand {
        public EventPart {
            Objects.requireNonNull(header, "header");
            data = Objects.requireNonNull(data, "data").slice().asReadOnlyBuffer();
            if (header.length != BinlogEvent.HEADER_LENGTH) {
                throw new IllegalArgumentException("an event header has " + BinlogEvent.HEADER_LENGTH + " bytes, not "
                        + header.length);
            }
        }

        @Override
        public Kind kind() {
            return Kind.EVENT_PART;
        }

        /** The whole event's length, from its header. */
        public long eventLength() {
            return io.kingbus.binlog.Bytes.u32(header, BinlogEvent.LENGTH_OFFSET);
        }

        @Override
        public ByteBuffer data() {
            return data.duplicate();
        }

        public int dataLength() {
            return data.remaining();
        }

        public boolean last() {
            return offset + data.remaining() == eventLength();
        }

        @Override
        public byte[] encode() {
            byte[] name = utf8(file);
            int size = Math.addExact(HEADER_LENGTH + 4 + (name == null ? 0 : name.length) + BinlogEvent.HEADER_LENGTH
                    + 8 + 4, data.remaining());
            ByteBuffer b = RaftCommand.header(size, Kind.EVENT_PART);
            putString(b, name);
            b.put(header);
            b.putLong(offset);
            b.putInt(data.remaining());
            b.put(data.duplicate());
            return b.array();
        }

        @Override
        public String toString() {
            return "EVENT_PART(" + file + ", " + data.remaining() + " bytes at " + offset + " of " + eventLength() + ")";
        }
    }

    /** A member announces the admin URL it serves (GET /cluster shows it on every node). */
    record PublishMember(String peerId, String adminUrl) implements RaftCommand {
        public PublishMember {
            Objects.requireNonNull(peerId, "peerId");
            Objects.requireNonNull(adminUrl, "adminUrl");
        }

        @Override
        public Kind kind() {
            return Kind.PUBLISH_MEMBER;
        }

        @Override
        public byte[] encode() {
            byte[] id = utf8(peerId);
            byte[] url = utf8(adminUrl);
            ByteBuffer b = header(HEADER_LENGTH + 8 + id.length + url.length, Kind.PUBLISH_MEMBER);
            putString(b, id);
            putString(b, url);
            return b.array();
        }
    }

    /**
     * Start (or keep running) the cluster's syncer with these arguments (admin-api.md §2, PUT /binlog/syncer/start).
     *
     * @param syncerId      the server_id presented to the primary (1..2^32-1)
     * @param syncerUuid    the server_uuid presented to the primary
     * @param mysqlAddr     host:port of the primary
     * @param mysqlPassword kept in the log and in snapshot markers; never in toString, logs or responses
     */
    record SyncerStart(long syncerId, String syncerUuid, String mysqlAddr, String mysqlUser, String mysqlPassword,
                       boolean semiSync) implements RaftCommand {
        public SyncerStart {
            Objects.requireNonNull(syncerUuid, "syncerUuid");
            Objects.requireNonNull(mysqlAddr, "mysqlAddr");
            Objects.requireNonNull(mysqlUser, "mysqlUser");
            mysqlPassword = mysqlPassword == null ? "" : mysqlPassword;
        }

        @Override
        public Kind kind() {
            return Kind.SYNCER_START;
        }

        @Override
        public byte[] encode() {
            byte[] uuid = utf8(syncerUuid);
            byte[] addr = utf8(mysqlAddr);
            byte[] user = utf8(mysqlUser);
            byte[] password = utf8(mysqlPassword);
            ByteBuffer b = header(HEADER_LENGTH + 8 + 16 + uuid.length + addr.length + user.length + password.length
                    + 1, Kind.SYNCER_START);
            b.putLong(syncerId);
            putString(b, uuid);
            putString(b, addr);
            putString(b, user);
            putString(b, password);
            b.put((byte) (semiSync ? 1 : 0));
            return b.array();
        }

        /** The same arguments, password included (records compare every component). */
        public boolean sameArguments(SyncerStart other) {
            return equals(other);
        }

        @Override
        public String toString() {
            return "SYNCER_START(syncer_id=" + syncerId + ", syncer_uuid=" + syncerUuid + ", mysql_addr=" + mysqlAddr
                    + ", mysql_user=" + mysqlUser + ", mysql_password=******, semi_sync=" + semiSync + ")";
        }
    }

    /** Stop the cluster's syncer (PUT /binlog/syncer/stop); it stays stopped across leader changes. */
    record SyncerStop() implements RaftCommand {
        @Override
        public Kind kind() {
            return Kind.SYNCER_STOP;
        }

        @Override
        public byte[] encode() {
            return header(HEADER_LENGTH, Kind.SYNCER_STOP).array();
        }

        @Override
        public String toString() {
            return "SYNCER_STOP";
        }
    }

    // ------------------------------------------------------------------ decoding

    static RaftCommand decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** Decodes one command from the remaining bytes of the buffer (its position is advanced). */
    static RaftCommand decode(ByteBuffer in) {
        ByteBuffer b = in.slice().order(ByteOrder.BIG_ENDIAN);
        try {
            if (b.remaining() < HEADER_LENGTH) {
                throw new RaftCommandFormatException("command of " + b.remaining() + " bytes is shorter than its "
                        + HEADER_LENGTH + "-byte header");
            }
            if (b.get() != MAGIC_0 || b.get() != MAGIC_1) {
                throw new RaftCommandFormatException("not a kingbus command (bad magic)");
            }
            int version = b.get() & 0xff;
            if (version != VERSION) {
                throw new RaftCommandFormatException("command format version " + version
                        + " is not supported (this node understands " + VERSION + ")");
            }
            int code = b.get() & 0xff;
            Kind kind = Kind.of(code);
            if (kind == null) {
                throw new RaftCommandFormatException("unknown command kind " + code);
            }
            RaftCommand c = switch (kind) {
                case EVENTS -> decodeEvents(b);
                case PUBLISH_MEMBER -> new PublishMember(requireString(b, "peer id"), requireString(b, "admin URL"));
                case SYNCER_START -> decodeSyncerStart(b);
                case SYNCER_STOP -> new SyncerStop();
                case EVENT_PART -> decodeEventPart(b);
            };
            if (b.hasRemaining()) {
                throw new RaftCommandFormatException(b.remaining() + " trailing bytes after a " + kind + " command");
            }
            in.position(in.position() + b.position());
            return c;
        } catch (BufferUnderflowException e) {
            throw new RaftCommandFormatException("truncated command");
        }
    }

    private static Events decodeEvents(ByteBuffer b) {
        String file = getString(b, "file name");
        int count = b.getInt();
        if (count < 0 || (long) count * 4 > b.remaining()) {
            throw new RaftCommandFormatException("event count " + count + " does not fit the " + b.remaining()
                    + " bytes left");
        }
        List<byte[]> events = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int length = b.getInt();
            if (length < 0 || length > b.remaining()) {
                throw new RaftCommandFormatException("event " + i + " of " + length + " bytes does not fit the "
                        + b.remaining() + " bytes left");
            }
            byte[] e = new byte[length];
            b.get(e);
            events.add(e);
        }
        return new Events(file, events);
    }

    private static EventPart decodeEventPart(ByteBuffer b) {
        String file = getString(b, "file name");
        byte[] header = new byte[BinlogEvent.HEADER_LENGTH];
        b.get(header);
        long offset = b.getLong();
        int length = b.getInt();
        if (length < 0 || length > b.remaining()) {
            throw new RaftCommandFormatException("event part of " + length + " bytes does not fit the " + b.remaining()
                    + " bytes left");
        }
        long eventLength = io.kingbus.binlog.Bytes.u32(header, BinlogEvent.LENGTH_OFFSET);
        if (offset < 0 || offset + length > eventLength) {
            throw new RaftCommandFormatException("event part of " + length + " bytes at " + offset
                    + " lies outside its event of " + eventLength + " bytes");
        }
        ByteBuffer data = b.slice();
        data.limit(length);
        b.position(b.position() + length);
        return new EventPart(file, header, offset, data); // a view of the entry: no copy of the part
    }

    private static SyncerStart decodeSyncerStart(ByteBuffer b) {
        long id = b.getLong();
        String uuid = requireString(b, "syncer uuid");
        String addr = requireString(b, "mysql addr");
        String user = requireString(b, "mysql user");
        String password = requireString(b, "mysql password");
        int semi = b.get() & 0xff;
        if (semi > 1) {
            throw new RaftCommandFormatException("semi_sync flag " + semi + " is not 0 or 1");
        }
        return new SyncerStart(id, uuid, addr, user, password, semi == 1);
    }

    private static String requireString(ByteBuffer b, String what) {
        String s = getString(b, what);
        if (s == null) {
            throw new RaftCommandFormatException("missing " + what);
        }
        return s;
    }

    private static String getString(ByteBuffer b, String what) {
        int length = b.getInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > MAX_STRING_BYTES || length > b.remaining()) {
            throw new RaftCommandFormatException(what + " length " + length + " is invalid (" + b.remaining()
                    + " bytes left, at most " + MAX_STRING_BYTES + ")");
        }
        ByteBuffer slice = b.slice();
        slice.limit(length);
        b.position(b.position() + length);
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new RaftCommandFormatException(what + " is not valid UTF-8");
        }
    }

    // ------------------------------------------------------------------ splitting

    /**
     * Splits a batch of events into EVENTS commands of at most {@code maxEntryBytes} of event data each, at event
     * boundaries and in order; an event bigger than the bound goes alone. Each command names the file its first
     * event belongs to, following ROTATE events, so that every entry replays idempotently on its own.
     */
    static List<Events> split(String file, List<byte[]> events, int maxEntryBytes) {
        if (maxEntryBytes <= 0) {
            throw new IllegalArgumentException("maxEntryBytes must be positive");
        }
        List<Events> out = new ArrayList<>();
        List<byte[]> current = new ArrayList<>();
        long currentBytes = 0;
        String chunkFile = file;
        String tracker = file;
        for (byte[] e : events) {
            if (!current.isEmpty() && currentBytes + e.length + 4 > maxEntryBytes) {
                out.add(new Events(chunkFile, current));
                current = new ArrayList<>();
                currentBytes = 0;
            }
            if (current.isEmpty()) {
                chunkFile = tracker;
            }
            current.add(e);
            currentBytes += e.length + 4;
            tracker = fileAfter(e, tracker);
        }
        if (!current.isEmpty()) {
            out.add(new Events(chunkFile, current));
        }
        return out;
    }

    /**
     * Like {@link #split}, but an event bigger than {@code maxPartBytes} becomes {@link EventPart}s of at most that
     * many bytes each, every part in its own entry, between the entries of the events around it.
     */
    static List<RaftCommand> commands(String file, List<byte[]> events, int maxEntryBytes, int maxPartBytes) {
        if (maxPartBytes < BinlogEvent.HEADER_LENGTH) {
            throw new IllegalArgumentException("maxPartBytes must hold an event header");
        }
        List<RaftCommand> out = new ArrayList<>();
        List<byte[]> run = new ArrayList<>();
        String runFile = file;
        String tracker = file;
        for (byte[] e : events) {
            if (e.length <= maxPartBytes) {
                if (run.isEmpty()) {
                    runFile = tracker;
                }
                run.add(e);
                tracker = fileAfter(e, tracker);
                continue;
            }
            if (!run.isEmpty()) {
                out.addAll(split(runFile, run, maxEntryBytes));
                run = new ArrayList<>();
            }
            byte[] header = java.util.Arrays.copyOf(e, BinlogEvent.HEADER_LENGTH);
            for (int at = 0; at < e.length; at += maxPartBytes) {
                out.add(new EventPart(tracker, header, at,
                        ByteBuffer.wrap(e, at, Math.min(e.length - at, maxPartBytes))));
            }
        }
        if (!run.isEmpty()) {
            out.addAll(split(runFile, run, maxEntryBytes));
        }
        return out;
    }

    /** The file the events after {@code raw} belong to: a ROTATE (real or fake) names it. */
    private static String fileAfter(byte[] raw, String current) {
        if (raw.length <= BinlogEvent.TYPE_OFFSET || (raw[BinlogEvent.TYPE_OFFSET] & 0xff) != EventType.ROTATE) {
            return current;
        }
        try {
            BinlogEvent event = BinlogEvent.of(raw);
            ChecksumType cs = event.checksumMatches(ChecksumType.CRC32) ? ChecksumType.CRC32 : ChecksumType.OFF;
            String next = RotateEvent.decode(event, cs).nextFile();
            return next == null || next.isEmpty() ? current : next;
        } catch (RuntimeException malformed) {
            return current; // the store refuses it deterministically; the file name does not matter then
        }
    }

    // ------------------------------------------------------------------ helpers

    private static ByteBuffer header(int size, Kind kind) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.BIG_ENDIAN);
        b.put(MAGIC_0).put(MAGIC_1).put((byte) VERSION).put((byte) kind.code);
        return b;
    }

    private static byte[] utf8(String s) {
        if (s == null) {
            return null;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException("string of " + b.length + " bytes is longer than "
                    + MAX_STRING_BYTES + ": " + s.substring(0, 40) + "...");
        }
        return b;
    }

    private static void putString(ByteBuffer b, byte[] s) {
        if (s == null) {
            b.putInt(-1);
        } else {
            b.putInt(s.length);
            b.put(s);
        }
    }
}

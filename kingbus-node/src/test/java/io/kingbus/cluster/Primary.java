package io.kingbus.cluster;

import io.kingbus.binlog.ChecksumType;
import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The simulated primary of the store tests ({@code io.kingbus.store.PrimaryStream}), seen from this package.
 * PrimaryStream and its members are package-private and are not ours to change, so this adapter calls them
 * reflectively (the test classpath is the unnamed module: {@code setAccessible} is allowed) and copies its
 * {@code StreamEvent} records into {@link Event}s.
 */
public final class Primary {
    private static final Class<?> STREAM;
    private static final Constructor<?> NEW;
    private static final Constructor<?> NEW_AFTER;
    private static final Map<String, Method> METHODS = new HashMap<>();

    static {
        try {
            STREAM = Class.forName("io.kingbus.store.PrimaryStream");
            NEW = STREAM.getDeclaredConstructor(UUID.class, ChecksumType.class);
            NEW.setAccessible(true);
            NEW_AFTER = STREAM.getDeclaredConstructor(UUID.class, ChecksumType.class, String.class, int.class,
                    GtidSet.class);
            NEW_AFTER.setAccessible(true);
            for (Method m : STREAM.getDeclaredMethods()) {
                m.setAccessible(true);
                METHODS.put(m.getName() + "/" + m.getParameterCount(), m);
            }
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One event of the stream: its file, where it starts there (-1: artificial), and its transaction, if any. */
    public record Event(String file, long position, byte[] bytes, Gtid gtid, boolean completes) {
        public long end() {
            return position + bytes.length;
        }
    }

    private final Object stream;

    /** A primary with server uuid {@code uuid}, files mysql-bin.000001..., CRC32 checksums. */
    public Primary(UUID uuid) {
        this.stream = construct(NEW, uuid, ChecksumType.CRC32);
    }

    /** A primary whose stream starts at {@code mysql-bin.<firstNumber>}, having executed {@code before}. */
    public Primary(UUID uuid, int firstNumber, GtidSet before) {
        this.stream = construct(NEW_AFTER, uuid, ChecksumType.CRC32, "mysql-bin", firstNumber, before);
    }

    private static Object construct(Constructor<?> c, Object... args) {
        try {
            return c.newInstance(args);
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T call(String name, Object... args) {
        Method m = METHODS.get(name + "/" + args.length);
        if (m == null) {
            throw new IllegalStateException("PrimaryStream has no method " + name + " with " + args.length
                    + " parameters");
        }
        try {
            return (T) m.invoke(stream, args);
        } catch (InvocationTargetException e) {
            throw rethrow(e);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static RuntimeException rethrow(InvocationTargetException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException r) {
            throw r;
        }
        if (c instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(c);
    }

    // ------------------------------------------------------------------ steps (each returns its events)

    /** The fake rotate, FORMAT_DESCRIPTION and PREVIOUS_GTIDS of the first file. */
    public List<byte[]> start() {
        return call("start");
    }

    /** GTID, BEGIN, TABLE_MAP, WRITE_ROWS × rows (rowBytes each), XID. */
    public List<byte[]> transaction(int rows, int rowBytes) {
        return call("transaction", rows, rowBytes);
    }

    public List<byte[]> ddl(String sql) {
        return call("ddl", sql);
    }

    /** ROTATE, then the next file's FORMAT_DESCRIPTION and PREVIOUS_GTIDS. */
    public List<byte[]> rotate() {
        return call("rotate");
    }

    /** Mostly small transactions, some DDL, a few rotations (deterministic for the Random). */
    public List<byte[]> randomStep(Random r) {
        return call("randomStep", r);
    }

    // ------------------------------------------------------------------ expectations

    public String currentFile() {
        return call("currentFile");
    }

    public long position() {
        return call("position");
    }

    public List<String> fileNames() {
        return call("fileNames");
    }

    public byte[] expectedFile(String name) {
        return call("expectedFile", name);
    }

    public GtidSet executed() {
        return call("executed");
    }

    public int eventCount() {
        return call("eventCount");
    }

    /** The whole stream so far, the initial fake rotate included. */
    public List<Event> events() {
        return copy(call("events"));
    }

    /** The events from index {@code mark} of {@link #events()} on. */
    public List<Event> eventsFrom(int mark) {
        return copy(call("eventsFrom", mark));
    }

    private static List<Event> copy(List<?> raw) {
        List<Event> out = new ArrayList<>(raw.size());
        try {
            Method file = null;
            Method position = null;
            Method bytes = null;
            Method gtid = null;
            Method completes = null;
            for (Object o : raw) {
                if (file == null) {
                    Class<?> c = o.getClass();
                    file = accessor(c, "file");
                    position = accessor(c, "position");
                    bytes = accessor(c, "bytes");
                    gtid = accessor(c, "gtid");
                    completes = accessor(c, "completes");
                }
                out.add(new Event((String) file.invoke(o), (long) position.invoke(o), (byte[]) bytes.invoke(o),
                        (Gtid) gtid.invoke(o), (boolean) completes.invoke(o)));
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static Method accessor(Class<?> c, String name) throws NoSuchMethodException {
        Method m = c.getDeclaredMethod(name);
        m.setAccessible(true);
        return m;
    }

    /** Map of file name → expected length, in stream order. */
    public Map<String, Long> expectedEnds() {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (String f : fileNames()) {
            out.put(f, (long) call("fileLength", f));
        }
        return out;
    }
}

package io.kingbus.server;

import com.github.shyiko.mysql.binlog.BinaryLogClient;
import com.github.shyiko.mysql.binlog.event.ByteArrayEventData;
import com.github.shyiko.mysql.binlog.event.Event;
import com.github.shyiko.mysql.binlog.event.EventData;
import com.github.shyiko.mysql.binlog.event.EventType;
import com.github.shyiko.mysql.binlog.event.TableMapEventData;
import com.github.shyiko.mysql.binlog.event.deserialization.ByteArrayEventDataDeserializer;
import com.github.shyiko.mysql.binlog.event.deserialization.EventDeserializer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/** Reads a binlog with mysql-binlog-connector-java (the library under Debezium) and describes every event. */
final class BinlogEvents {
    private BinlogEvents() {
    }

    /**
     * Every event a non-blocking dump sends (until the server's EOF), each as "header | data": the header's
     * timestamp, type, server id, length, next position and flags, and the data decoded (row events as raw bytes).
     *
     * @param gtidSet null for a file:pos dump from {@code file}/{@code position}
     */
    static List<String> read(String host, int port, String user, String password, String file, long position,
                             String gtidSet, Consumer<BinaryLogClient> tweak) throws Exception {
        BinaryLogClient client = new BinaryLogClient(host, port, user, password);
        client.setServerId(4242);
        client.setBlocking(false);
        if (gtidSet != null) {
            client.setGtidSet(gtidSet);
        } else {
            client.setBinlogFilename(file);
            client.setBinlogPosition(position);
        }
        EventDeserializer d = new EventDeserializer();
        for (EventType t : EventType.values()) {
            if (EventType.isRowMutation(t) || t == EventType.TRANSACTION_PAYLOAD) {
                d.setEventDataDeserializer(t, new ByteArrayEventDataDeserializer());
            }
        }
        client.setEventDeserializer(d);
        List<String> events = new ArrayList<>();
        client.registerEventListener(e -> events.add(describeEvent(e)));
        if (tweak != null) {
            tweak.accept(client);
        }
        client.connect(); // returns after the server's EOF
        return events;
    }

    static String describeEvent(Event e) {
        return e.getHeader() + " | " + describe(e.getData());
    }

    static String describe(EventData data) {
        if (data == null) {
            return "null";
        }
        if (data instanceof ByteArrayEventData b) {
            return "bytes " + HexFormat.of().formatHex(b.getData());
        }
        if (data instanceof TableMapEventData t) {
            return "TableMap " + t.getTableId() + " " + t.getDatabase() + "." + t.getTable() + " "
                    + Arrays.toString(t.getColumnTypes()) + " " + Arrays.toString(t.getColumnMetadata()) + " "
                    + t.getColumnNullability();
        }
        return data.toString();
    }
}

package io.kingbus.raft;

import io.kingbus.raft.TestStream.Batch;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class RaftCommandTest {

    private static RaftCommand.Events events(String file, byte[]... events) {
        return new RaftCommand.Events(file, List.of(events));
    }

    private static void assertSameEvents(RaftCommand.Events a, RaftCommand.Events b) {
        assertThat(b.file()).isEqualTo(a.file());
        assertThat(b.events()).hasSameSizeAs(a.events());
        for (int i = 0; i < a.events().size(); i++) {
            assertThat(b.events().get(i)).isEqualTo(a.events().get(i));
        }
    }

    @Test
    void eventsRoundTrip() {
        RaftCommand.Events e = events("mysql-bin.000001", new byte[] {1, 2, 3}, new byte[0], new byte[1000]);
        RaftCommand decoded = RaftCommand.decode(e.encode());
        assertThat(decoded.kind()).isEqualTo(RaftCommand.Kind.EVENTS);
        assertSameEvents(e, (RaftCommand.Events) decoded);

        RaftCommand.Events nullFile = events(null, new byte[] {9});
        assertSameEvents(nullFile, (RaftCommand.Events) RaftCommand.decode(nullFile.encode()));
        RaftCommand.Events none = events("f", new byte[0][]);
        assertSameEvents(none, (RaftCommand.Events) RaftCommand.decode(none.encode()));
        RaftCommand.Events unicode = events("bin-日志.000001", new byte[] {7});
        assertSameEvents(unicode, (RaftCommand.Events) RaftCommand.decode(ByteBuffer.wrap(unicode.encode())));
    }

    @Test
    void publishMemberRoundTrip() {
        RaftCommand.PublishMember p = new RaftCommand.PublishMember("n1@127.0.0.1_9696", "http://127.0.0.1:9595");
        assertThat(RaftCommand.decode(p.encode())).isEqualTo(p);
    }

    @Test
    void wireFormatIsVersioned() {
        byte[] b = new RaftCommand.PublishMember("a", "b").encode();
        assertThat(Arrays.copyOf(b, 4)).containsExactly('k', 'b', 1, 2);
    }

    @Test
    void hostileBytesOnlyEverYieldTheFormatException() {
        byte[] valid = events("mysql-bin.000001", new byte[] {1, 2, 3}, new byte[40]).encode();
        // every truncation
        for (int n = 0; n < valid.length; n++) {
            byte[] prefix = Arrays.copyOf(valid, n);
            assertThatThrownBy(() -> RaftCommand.decode(prefix)).isInstanceOf(RaftCommandFormatException.class);
        }
        // trailing garbage
        byte[] longer = Arrays.copyOf(valid, valid.length + 1);
        assertThatThrownBy(() -> RaftCommand.decode(longer)).isInstanceOf(RaftCommandFormatException.class)
                .hasMessageContaining("trailing");
        // bad magic, version, kind (1-4 are known kinds)
        assertRejected(patch(valid, 0, 'x'), "magic");
        assertRejected(patch(valid, 2, 9), "version 9");
        assertRejected(patch(valid, 3, 9), "unknown command kind 9");
        // absurd lengths and counts must not allocate or loop
        ByteBuffer huge = ByteBuffer.allocate(16);
        huge.put((byte) 'k').put((byte) 'b').put((byte) 1).put((byte) 1).putInt(-1).putInt(Integer.MAX_VALUE);
        assertRejected(huge.array(), "event count");
        ByteBuffer badString = ByteBuffer.allocate(12);
        badString.put((byte) 'k').put((byte) 'b').put((byte) 1).put((byte) 2).putInt(-7).putInt(0);
        assertRejected(badString.array(), "length -7");
        ByteBuffer badEvent = ByteBuffer.allocate(20);
        badEvent.put((byte) 'k').put((byte) 'b').put((byte) 1).put((byte) 1).putInt(-1).putInt(1)
                .putInt(Integer.MAX_VALUE);
        assertRejected(badEvent.array(), "does not fit");
        // invalid UTF-8 in a string
        ByteBuffer utf = ByteBuffer.allocate(4 + 4 + 2 + 4 + 1);
        utf.put((byte) 'k').put((byte) 'b').put((byte) 1).put((byte) 2).putInt(2).put((byte) 0xc3).put((byte) 0x28)
                .putInt(1).put((byte) 'x');
        assertRejected(utf.array(), "UTF-8");
        // missing mandatory string
        ByteBuffer missing = ByteBuffer.allocate(12);
        missing.put((byte) 'k').put((byte) 'b').put((byte) 1).put((byte) 2).putInt(-1).putInt(-1);
        assertRejected(missing.array(), "missing peer id");
        // random garbage, and random mutations of a valid command
        Random r = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk;
            if (i % 2 == 0) {
                junk = new byte[r.nextInt(64)];
                r.nextBytes(junk);
                if (junk.length >= 4 && r.nextBoolean()) {
                    junk[0] = 'k';
                    junk[1] = 'b';
                    junk[2] = 1;
                    junk[3] = (byte) (1 + r.nextInt(2));
                }
            } else {
                junk = valid.clone();
                for (int k = 0; k < 1 + r.nextInt(4); k++) {
                    junk[r.nextInt(junk.length)] = (byte) r.nextInt(256);
                }
            }
            try {
                RaftCommand.decode(junk);
            } catch (RaftCommandFormatException expected) {
                // fine
            } catch (RuntimeException e) {
                fail("decode threw " + e + " for " + Arrays.toString(junk));
            }
        }
    }

    private static byte[] patch(byte[] b, int at, int value) {
        byte[] c = b.clone();
        c[at] = (byte) value;
        return c;
    }

    private static void assertRejected(byte[] b, String reason) {
        assertThatThrownBy(() -> RaftCommand.decode(b)).isInstanceOf(RaftCommandFormatException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void splitKeepsOrderBoundsEntriesAndFollowsRotations() {
        TestStream s = new TestStream(UUID.randomUUID());
        List<Batch> steps = new ArrayList<>();
        steps.add(s.start());
        for (int i = 0; i < 30; i++) {
            steps.add(s.transaction(3, 20_000));
        }
        steps.add(s.rotate());
        steps.add(s.transaction(1, 3_000_000)); // one event bigger than an entry
        steps.add(s.transaction(2, 10));
        Batch all = TestStream.concat(steps);
        List<RaftCommand.Events> chunks = RaftCommand.split(all.file(), all.events(), 1 << 20);

        List<byte[]> flat = new ArrayList<>();
        for (RaftCommand.Events c : chunks) {
            long payload = c.events().stream().mapToLong(e -> e.length + 4).sum();
            assertThat(payload <= 1 << 20 || c.events().size() == 1).as("chunk bounded or a lone big event").isTrue();
            flat.addAll(c.events());
        }
        assertThat(flat).hasSameSizeAs(all.events());
        for (int i = 0; i < flat.size(); i++) {
            assertThat(flat.get(i)).isSameAs(all.events().get(i));
        }
        assertThat(chunks.get(0).file()).isEqualTo("mysql-bin.000001");
        // every chunk names the file of its first event: those after the ROTATE name the next file
        assertThat(chunks.get(chunks.size() - 1).file()).isEqualTo("mysql-bin.000002");
        assertThat(chunks.stream().filter(c -> c.events().size() == 1 && c.events().get(0).length > 3_000_000))
                .hasSize(1);

        assertThat(RaftCommand.split("f", List.of(), 100)).isEmpty();
        assertThatThrownBy(() -> RaftCommand.split("f", List.of(new byte[1]), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void peerIdsAndMemberIds() {
        assertThat(PeerIds.normalizeUrl("HTTP://Host.Example:9696/")).isEqualTo("http://host.example:9696");
        assertThat(PeerIds.address("http://10.0.0.1:9696")).isEqualTo("10.0.0.1:9696");
        assertThat(PeerIds.peerId("kingbus_150", "http://10.0.0.1:9696").toString())
                .isEqualTo("kingbus_150@10.0.0.1_9696");
        assertThat(PeerIds.nameOf(PeerIds.peerId("a@b", "http://h:1"))).isEqualTo("a@b");
        long id = PeerIds.memberId("kingbus_150", "http://10.0.0.1:9696", "tok");
        assertThat(id).isEqualTo(PeerIds.memberId("kingbus_150", "http://10.0.0.1:9696/", "tok"));
        assertThat(id).isNotEqualTo(PeerIds.memberId("kingbus_150", "http://10.0.0.1:9697", "tok"));
        assertThat(id).isNotEqualTo(PeerIds.memberId("kingbus_150", "http://10.0.0.1:9696", "other"));
        assertThat(new Member(id, "x", "u", null, false).hexId()).isEqualTo(Long.toHexString(id));
        assertThat(PeerIds.groupId("tok")).isEqualTo(PeerIds.groupId("tok"));
        for (String bad : List.of("", "10.0.0.1:9696", "http://host", "ftp://h:1", "http://h:1/path", "http://h:99999")) {
            assertThatThrownBy(() -> PeerIds.normalizeUrl(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}

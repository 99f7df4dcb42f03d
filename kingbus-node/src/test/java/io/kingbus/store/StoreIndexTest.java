package io.kingbus.store;

import io.kingbus.gtid.Gtid;
import io.kingbus.gtid.GtidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The index batch is encoded in Java in RocksDB's WriteBatch wire form: it must be what RocksDB itself builds. */
class StoreIndexTest {
    private static final UUID SID = UUID.fromString("3e11fa47-71ca-11e1-9e33-c80aa9429562");

    @TempDir
    Path dir;

    @Test
    void batchBytesEqualRocksDbsOwnWriteBatch() throws Exception {
        try (StoreIndex index = new StoreIndex(dir.resolve("i"))) {
            StoreIndex.Batch b = index.batch();
            try (WriteBatch expected = new WriteBatch()) {
                b.putTransaction(7, 4, 300, new Gtid(SID, 1));
                expected.put(key('T', 7, 4), ByteBuffer.allocate(33).putLong(300).put((byte) 1)
                        .putLong(SID.getMostSignificantBits()).putLong(SID.getLeastSignificantBits()).putLong(1)
                        .array());
                expected.put(ByteBuffer.allocate(25).put((byte) 'G').putLong(SID.getMostSignificantBits())
                                .putLong(SID.getLeastSignificantBits()).putLong(1).array(),
                        ByteBuffer.allocate(20).putInt(7).putLong(4).putLong(300).array());
                b.putTransaction(7, 300, 4000, null); // anonymous: no G record
                expected.put(key('T', 7, 300), ByteBuffer.allocate(9).putLong(4000).put((byte) 0).array());
                b.deleteTransactionsFrom(3, 4, List.of(new Gtid(SID, 9)));
                expected.deleteRange(key('T', 3, 4), key('T', 4, 0));
                expected.delete(ByteBuffer.allocate(25).put((byte) 'G').putLong(SID.getMostSignificantBits())
                        .putLong(SID.getLeastSignificantBits()).putLong(9).array());
                GtidSet big = GtidSet.empty(); // a value longer than 127 bytes: a two-byte varint length
                for (int i = 0; i < 20; i++) {
                    big.add(new UUID(i, i), 5);
                }
                b.putExecuted(big);
                expected.put("Mexecuted".getBytes(java.nio.charset.StandardCharsets.US_ASCII), big.encode());
                assertThat(big.encode().length).isGreaterThan(127);
                assertThat(b.data()).isEqualTo(expected.data());
            }
        }
    }

    @Test
    void writtenBatchIsReadBackAndClearStartsAfresh() {
        try (StoreIndex index = new StoreIndex(dir.resolve("i"))) {
            StoreIndex.Batch b = index.batch();
            for (int i = 0; i < 2000; i++) { // grows the buffer past its first size
                b.putTransaction(1, 4 + 100L * i, 104 + 100L * i, new Gtid(SID, i + 1));
            }
            index.write(b, false);
            b.clear();
            assertThat(b.empty()).isTrue();
            b.putTag(42);
            index.write(b, false);
            assertThat(index.tag()).isEqualTo(42);
            assertThat(index.locate(new Gtid(SID, 1500))).isEqualTo(new StoreIndex.Location(1, 4 + 100L * 1499,
                    104 + 100L * 1499));
            assertThat(index.transactionsFrom(1, 0)).hasSize(2000);
            b.clear();
            b.deleteTransactionsFrom(1, 4 + 100L * 1000, List.of());
            index.write(b, false);
            assertThat(index.transactionsFrom(1, 0)).hasSize(1000);
        }
    }

    private static byte[] key(char type, int sequence, long position) {
        return ByteBuffer.allocate(13).put((byte) type).putInt(sequence).putLong(position).array();
    }
}

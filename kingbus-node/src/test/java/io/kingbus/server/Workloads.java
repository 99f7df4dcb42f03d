package io.kingbus.server;

import io.kingbus.testkit.MySqlServer;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Workloads for a real primary, and what to compare on its replicas. */
final class Workloads {
    static final String DB = "shop";

    private Workloads() {
    }

    /**
     * DDL, multi-row DML, JSON, BLOBs, a multi-statement transaction, a FLUSH LOGS, and (when {@code bigRow}) a
     * 20 MiB row (one rows event larger than a 16 MiB packet).
     */
    static void mixed(MySqlServer p, int round, boolean bigRow) {
        List<String> sql = new ArrayList<>(List.of(
                "CREATE DATABASE IF NOT EXISTS " + DB,
                "CREATE TABLE IF NOT EXISTS " + DB + ".items (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(100),"
                        + " doc JSON, data LONGBLOB, price DECIMAL(10,2), created DATETIME(6), flag TINYINT,"
                        + " KEY (name))",
                "CREATE TABLE IF NOT EXISTS " + DB + ".blobs (id INT PRIMARY KEY, b LONGBLOB, t MEDIUMTEXT)",
                "INSERT INTO " + DB + ".items (name, doc, data, price, created, flag) VALUES"
                        + " ('a" + round + "', JSON_OBJECT('k', 1, 'arr', JSON_ARRAY(1, 2, 3), 's', 'x\u00e9'),"
                        + " REPEAT('x', 1000), 1.50, NOW(6), 1),"
                        + " ('b" + round + "', JSON_ARRAY('a', NULL, 1.5, TRUE), NULL, 2.25, '2020-01-02 03:04:05.123456', 0),"
                        + " ('c" + round + "', NULL, UNHEX(REPEAT('00FF7F80', 5000)), NULL, NULL, NULL),"
                        + " ('d" + round + "', '{\"nested\": {\"deep\": [1, {\"x\": \"y\"}]}}', REPEAT('y', 70000), 9.99, NOW(), 1)",
                "UPDATE " + DB + ".items SET doc = JSON_SET(COALESCE(doc, JSON_OBJECT()), '$.k', " + round + "),"
                        + " price = COALESCE(price, 0) * 2 WHERE id % 2 = 0",
                "DELETE FROM " + DB + ".items WHERE id % 7 = 0",
                "INSERT INTO " + DB + ".blobs VALUES (" + (round * 10 + 1) + ", REPEAT('q', 300000), REPEAT('t', 1000))",
                "CREATE TABLE IF NOT EXISTS " + DB + ".r" + round + " (k INT PRIMARY KEY, v VARCHAR(20))",
                "INSERT INTO " + DB + ".r" + round + " VALUES (1, 'one'), (2, 'two'), (3, 'three')",
                "ALTER TABLE " + DB + ".r" + round + " ADD COLUMN extra INT DEFAULT 7",
                "FLUSH LOGS",
                "UPDATE " + DB + ".r" + round + " SET v = CONCAT(v, '!'), extra = extra + k"));
        p.execute(sql.toArray(String[]::new));
        try (Connection c = p.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false); // one transaction of several statements
            st.execute("INSERT INTO " + DB + ".items (name, flag) VALUES ('t1-" + round + "', 1), ('t2-" + round + "', 2)");
            st.execute("UPDATE " + DB + ".items SET flag = flag + 10 WHERE name LIKE 't%'");
            st.execute("DELETE FROM " + DB + ".r" + round + " WHERE k = 2");
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        if (bigRow) {
            p.execute("INSERT INTO " + DB + ".blobs VALUES (" + (round * 10 + 2) + ", REPEAT('B', 20 * 1024 * 1024), 'big')");
        }
    }

    /** Small transactions, for tailing. */
    static void small(MySqlServer p, int round, int count) {
        List<String> sql = new ArrayList<>();
        sql.add("CREATE DATABASE IF NOT EXISTS " + DB);
        sql.add("CREATE TABLE IF NOT EXISTS " + DB + ".tail (id INT PRIMARY KEY, v VARCHAR(50))");
        for (int i = 0; i < count; i++) {
            sql.add("INSERT INTO " + DB + ".tail VALUES (" + (round * 100_000 + i) + ", 'v" + i + "')");
        }
        p.execute(sql.toArray(String[]::new));
    }

    /**
     * The replica's {@link #checksums} as soon as they equal {@code want}, or as they are after {@code timeout}: MySQL
     * can show a transaction's GTID in gtid_executed a moment before its rows are visible to other sessions (seen with
     * 8.0.15 in MySqlServerTest), so a comparison right after awaitGtidExecuted may read the data a commit early.
     */
    static Map<String, String> checksumsMatching(MySqlServer replica, Map<String, String> want,
                                                 java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> have = checksums(replica);
        while (!have.equals(want) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            have = checksums(replica);
        }
        return have;
    }

    /**
     * What a replica must match: {@code CHECKSUM TABLE} of every table of the workload database, and a digest of
     * every row (JSON as text). On 5.7, CHECKSUM TABLE hashes the stored JSON binary, which a JSON_SET update lays
     * out differently on the primary than the replica stores it (seen with 5.7.22 replicating straight from the
     * primary), so tables with JSON columns are compared there by the row digest only.
     */
    static Map<String, String> checksums(MySqlServer s) {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection c = s.connect(); Statement st = c.createStatement()) {
            Map<String, List<String[]>> tables = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT table_name, column_name, data_type FROM information_schema.columns"
                    + " WHERE table_schema = '" + DB + "' ORDER BY table_name, ordinal_position")) {
                while (rs.next()) {
                    tables.computeIfAbsent(rs.getString(1), k -> new ArrayList<>())
                            .add(new String[] {rs.getString(2), rs.getString(3)});
                }
            }
            for (Map.Entry<String, List<String[]>> t : tables.entrySet()) {
                boolean json = t.getValue().stream().anyMatch(col -> col[1].equalsIgnoreCase("json"));
                if (!json || s.version() != io.kingbus.testkit.MySqlVersion.V5_7) {
                    try (ResultSet rs = st.executeQuery("CHECKSUM TABLE " + DB + "." + t.getKey())) {
                        rs.next();
                        out.put(t.getKey() + " checksum", Long.toString(rs.getLong(2)));
                    }
                }
                StringBuilder select = new StringBuilder("SELECT ");
                for (int i = 0; i < t.getValue().size(); i++) {
                    String[] col = t.getValue().get(i);
                    select.append(i == 0 ? "" : ", ").append(col[1].equalsIgnoreCase("json")
                            ? "CAST(`" + col[0] + "` AS CHAR)" : "`" + col[0] + "`");
                }
                select.append(" FROM ").append(DB).append('.').append(t.getKey()).append(" ORDER BY 1");
                java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                long rows = 0;
                try (ResultSet rs = st.executeQuery(select.toString())) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        rows++;
                        for (int i = 1; i <= n; i++) {
                            byte[] v = rs.getBytes(i);
                            md.update(v == null ? new byte[] {(byte) 0xff} : v);
                            md.update((byte) 0);
                        }
                    }
                }
                out.put(t.getKey() + " rows", rows + " " + java.util.HexFormat.of().formatHex(md.digest()));
            }
        } catch (SQLException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }
}

package io.kingbus.bench;

import java.util.ArrayList;
import java.util.List;

/** Prints rows as an aligned text table (and Markdown-friendly with pipes). */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    void row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            r[i] = String.valueOf(cells[i]);
        }
        rows.add(r);
    }

    void print() {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (int n = 0; n < rows.size(); n++) {
            StringBuilder sb = new StringBuilder("|");
            for (int i = 0; i < width.length; i++) {
                sb.append(' ').append(String.format("%-" + width[i] + "s", rows.get(n)[i])).append(" |");
            }
            System.out.println(sb);
            if (n == 0) {
                StringBuilder sep = new StringBuilder("|");
                for (int w : width) {
                    sep.append('-').append("-".repeat(w)).append("-|");
                }
                System.out.println(sep);
            }
        }
    }

    static String f1(double v) {
        return String.format("%.1f", v);
    }

    static String f0(double v) {
        return String.format("%,.0f", v);
    }
}

package io.kingbus.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits the SQL that replicas and CDC clients send into tokens: words (keywords and identifiers, backticks
 * removed), {@code @user} and {@code @@[scope.]system} variables, numbers, strings (quotes and escapes resolved) and
 * symbols. Comments are skipped; MySQL's executable comments ({@code /*!40101 ... *}{@code /}) are read as SQL.
 * Every token keeps its offsets, so a select item can be named by its text as typed (as MySQL names columns).
 */
final class SqlLexer {
    /** Statements longer than this are refused before tokenizing. */
    static final int MAX_SQL = 1 << 20;

    enum Kind { WORD, USER_VAR, SYS_VAR, NUMBER, STRING, SYMBOL, END }

    /**
     * One token.
     *
     * @param text  the word, variable name, number, string value or symbol
     * @param scope for SYS_VAR: "global", "session", "local", "persist" or "" (none given)
     */
    record Token(Kind kind, String text, String scope, int start, int end) {
        boolean is(String word) {
            return kind == Kind.WORD && text.equalsIgnoreCase(word);
        }

        boolean isSymbol(String s) {
            return kind == Kind.SYMBOL && text.equals(s);
        }

        String upper() {
            return text.toUpperCase(Locale.ROOT);
        }
    }

    /** The SQL has a token MySQL would not accept (an unterminated string or comment...). */
    static final class SqlSyntaxException extends RuntimeException {
        final int at;

        SqlSyntaxException(String message, int at) {
            super(message);
            this.at = at;
        }
    }

    private final String sql;
    private int pos;
    private int executableCommentDepth;

    private SqlLexer(String sql) {
        this.sql = sql;
    }

    static List<Token> tokenize(String sql) {
        if (sql.length() > MAX_SQL) {
            throw new SqlSyntaxException("statement longer than " + MAX_SQL + " characters", 0);
        }
        SqlLexer l = new SqlLexer(sql);
        List<Token> out = new ArrayList<>();
        Token t;
        do {
            t = l.next();
            out.add(t);
        } while (t.kind() != Kind.END);
        return out;
    }

    private Token next() {
        skipSpaceAndComments();
        int start = pos;
        if (pos >= sql.length()) {
            return new Token(Kind.END, "", "", start, start);
        }
        char c = sql.charAt(pos);
        if (c == '@') {
            if (pos + 1 < sql.length() && sql.charAt(pos + 1) == '@') {
                pos += 2;
                String first = identifier();
                String scope = "";
                String name = first;
                String lower = first.toLowerCase(Locale.ROOT);
                if (pos < sql.length() && sql.charAt(pos) == '.'
                        && (lower.equals("global") || lower.equals("session") || lower.equals("local")
                        || lower.equals("persist") || lower.equals("persist_only"))) {
                    pos++;
                    scope = lower;
                    name = identifier();
                }
                if (name.isEmpty()) {
                    throw new SqlSyntaxException("empty system variable name", start);
                }
                return new Token(Kind.SYS_VAR, name, scope, start, pos);
            }
            pos++;
            String name;
            if (pos < sql.length() && (sql.charAt(pos) == '\'' || sql.charAt(pos) == '"' || sql.charAt(pos) == '`')) {
                name = quoted(sql.charAt(pos));
            } else {
                name = identifier();
            }
            if (name.isEmpty()) {
                throw new SqlSyntaxException("empty user variable name", start);
            }
            return new Token(Kind.USER_VAR, name, "", start, pos);
        }
        if (c == '\'' || c == '"') {
            String s = quoted(c);
            return new Token(Kind.STRING, s, "", start, pos);
        }
        if (c == '`') {
            String s = quoted('`');
            return new Token(Kind.WORD, s, "", start, pos);
        }
        if (isDigit(c) || (c == '.' && pos + 1 < sql.length() && isDigit(sql.charAt(pos + 1)))) {
            while (pos < sql.length() && (isDigit(sql.charAt(pos)) || sql.charAt(pos) == '.')) {
                pos++;
            }
            if (pos < sql.length() && (sql.charAt(pos) == 'e' || sql.charAt(pos) == 'E')) {
                int save = pos;
                pos++;
                if (pos < sql.length() && (sql.charAt(pos) == '+' || sql.charAt(pos) == '-')) {
                    pos++;
                }
                if (pos < sql.length() && isDigit(sql.charAt(pos))) {
                    while (pos < sql.length() && isDigit(sql.charAt(pos))) {
                        pos++;
                    }
                } else {
                    pos = save;
                }
            }
            if (pos < sql.length() && isIdentifierChar(sql.charAt(pos))) { // 1abc is an identifier in MySQL
                while (pos < sql.length() && isIdentifierChar(sql.charAt(pos))) {
                    pos++;
                }
                return new Token(Kind.WORD, sql.substring(start, pos), "", start, pos);
            }
            return new Token(Kind.NUMBER, sql.substring(start, pos), "", start, pos);
        }
        if (isIdentifierChar(c)) {
            String w = identifier();
            return new Token(Kind.WORD, w, "", start, pos);
        }
        if (c == ':' && pos + 1 < sql.length() && sql.charAt(pos + 1) == '=') {
            pos += 2;
            return new Token(Kind.SYMBOL, ":=", "", start, pos);
        }
        for (String two : new String[] {"<=", ">=", "<>", "!=", "||", "&&"}) {
            if (sql.startsWith(two, pos)) {
                pos += 2;
                return new Token(Kind.SYMBOL, two, "", start, pos);
            }
        }
        pos++;
        return new Token(Kind.SYMBOL, String.valueOf(c), "", start, pos);
    }

    private void skipSpaceAndComments() {
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (c == '#') {
                skipLine();
            } else if (c == '-' && sql.startsWith("--", pos)
                    && (pos + 2 >= sql.length() || Character.isWhitespace(sql.charAt(pos + 2)))) {
                skipLine();
            } else if (sql.startsWith("/*!", pos) || sql.startsWith("/*M!", pos)) {
                pos += sql.startsWith("/*M!", pos) ? 4 : 3;
                int digits = 0;
                while (pos < sql.length() && isDigit(sql.charAt(pos)) && digits < 6) {
                    pos++;
                    digits++;
                }
                executableCommentDepth++;
            } else if (sql.startsWith("/*", pos)) {
                int end = sql.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw new SqlSyntaxException("unterminated comment", pos);
                }
                pos = end + 2;
            } else if (executableCommentDepth > 0 && sql.startsWith("*/", pos)) {
                executableCommentDepth--;
                pos += 2;
            } else {
                return;
            }
        }
    }

    private void skipLine() {
        while (pos < sql.length() && sql.charAt(pos) != '\n') {
            pos++;
        }
    }

    private String identifier() {
        int start = pos;
        while (pos < sql.length() && isIdentifierChar(sql.charAt(pos))) {
            pos++;
        }
        return sql.substring(start, pos);
    }

    private String quoted(char quote) {
        int start = pos;
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (pos < sql.length()) {
            char c = sql.charAt(pos);
            if (c == quote) {
                if (pos + 1 < sql.length() && sql.charAt(pos + 1) == quote) {
                    sb.append(quote);
                    pos += 2;
                    continue;
                }
                pos++;
                return sb.toString();
            }
            if (c == '\\' && quote != '`' && pos + 1 < sql.length()) {
                char e = sql.charAt(pos + 1);
                sb.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    case '0' -> '\0';
                    case 'b' -> '\b';
                    case 'Z' -> (char) 26;
                    case '%', '_' -> { sb.append('\\'); yield e; } // kept for LIKE patterns, as MySQL does
                    default -> e;
                });
                pos += 2;
                continue;
            }
            sb.append(c);
            pos++;
        }
        throw new SqlSyntaxException("unterminated " + (quote == '`' ? "quoted identifier" : "string"), start);
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isIdentifierChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '_' || c == '$' || c > 0x7f;
    }
}

package io.kingbus.server;

import io.kingbus.protocol.ColumnDefinition;
import io.kingbus.protocol.ErrorCodes;
import io.kingbus.protocol.ResultSet;
import io.kingbus.server.ServerVariables.Value;
import io.kingbus.server.SqlLexer.Kind;
import io.kingbus.server.SqlLexer.Token;
import io.kingbus.store.BinlogFileInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Answers COM_QUERY the way a MySQL primary does for the statements replicas, mysqlbinlog and CDC clients send
 * before dumping (design.md §5): {@code SELECT} of system and user variables and a few functions, {@code SET} of
 * user, session and character-set variables (remembered per connection), {@code SHOW MASTER STATUS} / {@code SHOW
 * BINARY LOG STATUS}, {@code SHOW BINARY LOGS} / {@code SHOW MASTER LOGS}, {@code SHOW [GLOBAL|SESSION] VARIABLES
 * [LIKE|WHERE]}, {@code SHOW SLAVE HOSTS} / {@code SHOW REPLICAS}, {@code SHOW WARNINGS}, {@code USE}. Result-set
 * columns are named as MySQL names them (an item's text as typed, or its alias). Anything else gets a MySQL error;
 * the connection stays usable.
 */
final class QueryResponder {

    /** What a statement returns. */
    sealed interface Response permits Ok, Err, Rows {
    }

    record Ok(String info) implements Response {
    }

    record Err(int code, String sqlState, String message) implements Response {
    }

    record Rows(ResultSet resultSet) implements Response {
    }

    /** A replica registered with COM_REGISTER_SLAVE, as SHOW SLAVE HOSTS lists it. */
    record RegisteredReplica(long serverId, String host, int port, String uuid) {
    }

    /** Everything statements read besides the session's own variables. */
    interface Context extends ServerVariables.Source {
        List<BinlogFileInfo> binlogFiles();

        MySqlFlavor flavor();

        List<RegisteredReplica> registeredReplicas();

        long connectionId();

        String user();

        String clientHost();

        String database();

        void useDatabase(String db);
    }

    private static final int MAX_SELECT_ITEMS = 1000;

    private final Context ctx;
    private final ServerVariables.Session session;

    QueryResponder(Context ctx, ServerVariables.Session session) {
        this.ctx = ctx;
        this.session = session;
    }

    Response respond(String sql) {
        List<Token> tokens;
        try {
            tokens = SqlLexer.tokenize(sql);
        } catch (SqlLexer.SqlSyntaxException e) {
            return syntaxError(sql, e.at);
        }
        Parser p = new Parser(sql, tokens);
        try {
            Response r = statement(p);
            if (r instanceof Err) {
                return r;
            }
            while (p.peek().isSymbol(";")) {
                p.next();
            }
            if (p.peek().kind() != Kind.END) {
                return syntaxError(sql, p.peek().start()); // trailing text, or a second statement
            }
            return r;
        } catch (ParseError e) {
            return e.response != null ? e.response : syntaxError(sql, e.at);
        } catch (IllegalStateException e) {
            return new Err(ErrorCodes.ER_NOT_SUPPORTED_YET, ErrorCodes.STATE_SYNTAX, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ statements

    private Response statement(Parser p) {
        Token first = p.peek();
        if (first.kind() == Kind.END) {
            return new Err(ErrorCodes.ER_EMPTY_QUERY, ErrorCodes.STATE_SYNTAX, "Query was empty");
        }
        if (first.isSymbol("(")) {
            return unsupported(p.sql);
        }
        if (first.kind() != Kind.WORD) {
            throw p.error();
        }
        switch (first.upper()) {
            case "SELECT":
                p.next();
                return select(p);
            case "SET":
                p.next();
                return set(p);
            case "SHOW":
                p.next();
                return show(p);
            case "USE":
                p.next();
                Token db = p.next();
                if (db.kind() != Kind.WORD && db.kind() != Kind.STRING) {
                    throw p.error(db);
                }
                ctx.useDatabase(db.text());
                return new Ok("");
            case "BEGIN":
            case "COMMIT":
            case "ROLLBACK":
            case "START":
            case "DO":
                p.skipToEnd();
                return new Ok("");
            default:
                return unsupported(p.sql);
        }
    }

    // SELECT item [, item...] [FROM DUAL] [LIMIT n [, m] | LIMIT n OFFSET m]
    private Response select(Parser p) {
        List<ColumnDefinition> columns = new ArrayList<>();
        List<String> row = new ArrayList<>();
        do {
            if (columns.size() >= MAX_SELECT_ITEMS) {
                return unsupported(p.sql);
            }
            int start = p.peek().start();
            if (p.peek().isSymbol("*")) {
                return unsupported(p.sql); // SELECT * FROM a table: kingbus has no tables
            }
            Value v = expression(p, false);
            int end = p.previous().end();
            String name = p.sql.substring(start, end);
            Token firstTok = p.tokenAt(start);
            if (firstTok != null && firstTok.kind() == Kind.STRING && firstTok.end() == end) {
                name = firstTok.text();
            }
            if (p.peek().is("AS")) {
                p.next();
                Token alias = p.next();
                if (alias.kind() != Kind.WORD && alias.kind() != Kind.STRING) {
                    throw p.error(alias);
                }
                name = alias.text();
            } else if ((p.peek().kind() == Kind.WORD && !isClauseKeyword(p.peek())) || p.peek().kind() == Kind.STRING) {
                name = p.next().text();
            }
            columns.add(v.numeric() ? ColumnDefinition.longLong(name) : ColumnDefinition.varString(name));
            row.add(v.text());
        } while (p.accept(","));
        if (p.peek().is("FROM")) {
            p.next();
            if (!p.next().is("DUAL")) {
                return unsupported(p.sql);
            }
        }
        if (p.peek().is("WHERE")) {
            return unsupported(p.sql);
        }
        long limit = Long.MAX_VALUE;
        if (p.peek().is("LIMIT")) {
            p.next();
            long a = p.number();
            if (p.accept(",")) {
                long b = p.number();
                limit = a > 0 ? 0 : b; // offset a: the one row survives only offset 0
            } else if (p.peek().is("OFFSET")) {
                p.next();
                long off = p.number();
                limit = off > 0 ? 0 : a;
            } else {
                limit = a;
            }
        }
        if (p.peek().is("FOR") || p.peek().is("INTO")) {
            return unsupported(p.sql);
        }
        List<List<String>> rows = limit > 0 ? List.of(row) : List.of();
        return new Rows(new ResultSet(columns, rows));
    }

    private static boolean isClauseKeyword(Token t) {
        return switch (t.upper()) {
            case "FROM", "LIMIT", "WHERE", "FOR", "INTO", "UNION", "ORDER", "GROUP", "HAVING" -> true;
            default -> false;
        };
    }

    /**
     * A value: a system or user variable, a literal, NULL/TRUE/FALSE, or a function without arguments.
     * {@code bareWordsAreStrings}: in SET, {@code utf8mb4} or {@code ON} are values, not columns.
     */
    private Value expression(Parser p, boolean bareWordsAreStrings) {
        Token t = p.next();
        switch (t.kind()) {
            case SYS_VAR -> {
                Value v = ServerVariables.get(ctx, session, t.text(), t.scope());
                if (v == null) {
                    throw new ParseError(new Err(ErrorCodes.ER_UNKNOWN_SYSTEM_VARIABLE, ErrorCodes.STATE_GENERAL,
                            "Unknown system variable '" + t.text() + "'"));
                }
                return v.selected();
            }
            case USER_VAR -> {
                return session.userVariable(t.text());
            }
            case NUMBER -> {
                return numberValue(t.text(), false);
            }
            case STRING -> {
                // adjacent strings concatenate: 'a' 'b'
                StringBuilder sb = new StringBuilder(t.text());
                while (p.peek().kind() == Kind.STRING) {
                    sb.append(p.next().text());
                }
                return Value.str(sb.toString());
            }
            case SYMBOL -> {
                if (t.text().equals("-") && p.peek().kind() == Kind.NUMBER) {
                    return numberValue(p.next().text(), true);
                }
                if (t.text().equals("+") && p.peek().kind() == Kind.NUMBER) {
                    return numberValue(p.next().text(), false);
                }
                if (t.text().equals("(")) {
                    Value v = expression(p, bareWordsAreStrings);
                    p.expect(")");
                    return v;
                }
                throw p.error(t);
            }
            case WORD -> {
                String w = t.upper();
                if (p.peek().isSymbol("(")) {
                    p.next();
                    Value v = function(w, p);
                    p.expect(")");
                    return v;
                }
                switch (w) {
                    case "NULL":
                        return Value.NULL;
                    case "TRUE":
                        return Value.num(1);
                    case "FALSE":
                        return Value.num(0);
                    case "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP":
                        return Value.str(now());
                    case "CURRENT_USER":
                        return Value.str(ctx.user() + "@%");
                    case "DEFAULT":
                        if (bareWordsAreStrings) {
                            return Value.str("DEFAULT");
                        }
                        break;
                    default:
                        if (bareWordsAreStrings) {
                            return Value.str(t.text());
                        }
                }
                throw new ParseError(new Err(ErrorCodes.ER_BAD_FIELD_ERROR, ErrorCodes.STATE_BAD_FIELD, "Unknown column '" + t.text() + "' in 'field list'"));
            }
            default -> throw p.error(t);
        }
    }

    private Value function(String name, Parser p) {
        if (!p.peek().isSymbol(")")) {
            throw new ParseError(unsupported(p.sql)); // functions with arguments are not evaluated here
        }
        return switch (name) {
            case "UNIX_TIMESTAMP" -> Value.num(System.currentTimeMillis() / 1000);
            case "VERSION" -> Value.str(ctx.config().serverVersion());
            case "DATABASE", "SCHEMA" -> Value.str(ctx.database());
            case "USER", "SESSION_USER", "SYSTEM_USER" -> Value.str(ctx.user() + "@" + ctx.clientHost());
            case "CURRENT_USER" -> Value.str(ctx.user() + "@%");
            case "CONNECTION_ID" -> Value.num(ctx.connectionId());
            case "NOW", "SYSDATE", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP" -> Value.str(now());
            case "UUID" -> Value.str(UUID.randomUUID().toString());
            case "LAST_INSERT_ID", "ROW_COUNT", "FOUND_ROWS" -> Value.num(0);
            default -> throw new ParseError(new Err(ErrorCodes.ER_SP_DOES_NOT_EXIST, ErrorCodes.STATE_SYNTAX, "FUNCTION " + name.toLowerCase(Locale.ROOT)
                    + " does not exist"));
        };
    }

    private static String now() {
        return java.time.LocalDateTime.now(java.time.ZoneOffset.UTC).withNano(0).toString().replace('T', ' ');
    }

    private static Value numberValue(String text, boolean negative) {
        String s = negative ? "-" + text : text;
        if (text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0 && text.length() <= 18) {
            return new Value(Long.toString(Long.parseLong(s)), true);
        }
        return Value.str(s);
    }

    // SET item [, item...]
    private Response set(Parser p) {
        String defaultScope = "";
        Token first = p.peek();
        if (first.is("GLOBAL") || first.is("SESSION") || first.is("LOCAL") || first.is("PERSIST")
                || first.is("PERSIST_ONLY")) {
            defaultScope = p.next().text().toLowerCase(Locale.ROOT);
        }
        if (p.peek().is("TRANSACTION")) {
            p.skipToEnd();
            return new Ok("");
        }
        do {
            Token t = p.next();
            switch (t.kind()) {
                case USER_VAR -> {
                    if (!p.accept("=") && !p.accept(":=")) {
                        throw p.error();
                    }
                    Value v = expression(p, false);
                    session.setUserVariable(t.text(), v);
                }
                case SYS_VAR -> {
                    if (!p.accept("=") && !p.accept(":=")) {
                        throw p.error();
                    }
                    Value v = expression(p, true);
                    setSystem(t.text(), t.scope().isEmpty() ? defaultScope : t.scope(), v);
                }
                case WORD -> {
                    String w = t.upper();
                    if (w.equals("NAMES")) {
                        Value charset = expression(p, true);
                        String collation = null;
                        if (p.peek().is("COLLATE")) {
                            p.next();
                            collation = expression(p, true).text();
                        }
                        setNames(charset.text(), collation);
                    } else if ((w.equals("CHARACTER") && p.peek().is("SET")) || w.equals("CHARSET")) {
                        if (w.equals("CHARACTER")) {
                            p.next();
                        }
                        Value charset = expression(p, true);
                        String cs = charset.text() == null || "DEFAULT".equalsIgnoreCase(charset.text())
                                ? "utf8mb4" : charset.text();
                        session.setSession("character_set_client", Value.str(cs));
                        session.setSession("character_set_results", Value.str(cs));
                    } else if (w.equals("GLOBAL") || w.equals("SESSION") || w.equals("LOCAL") || w.equals("PERSIST")) {
                        Token name = p.next();
                        if (name.kind() != Kind.WORD) {
                            throw p.error(name);
                        }
                        if (!p.accept("=") && !p.accept(":=")) {
                            throw p.error();
                        }
                        setSystem(name.text(), w.toLowerCase(Locale.ROOT), expression(p, true));
                    } else {
                        if (!p.accept("=") && !p.accept(":=")) {
                            throw p.error();
                        }
                        setSystem(t.text(), defaultScope, expression(p, true));
                    }
                }
                default -> throw p.error(t);
            }
        } while (p.accept(","));
        return new Ok("");
    }

    private void setSystem(String name, String scope, Value v) {
        if (!ServerVariables.known(name)) {
            throw new ParseError(new Err(ErrorCodes.ER_UNKNOWN_SYSTEM_VARIABLE, ErrorCodes.STATE_GENERAL,
                    "Unknown system variable '" + name + "'"));
        }
        if (scope.equals("global") || scope.startsWith("persist")) {
            return; // accepted and ignored: the binlog server's settings come from its configuration
        }
        Value current = ServerVariables.get(ctx, null, name, "global");
        if (current != null && current.bool()) {
            session.setSession(name, Value.boolOf(v));
            return;
        }
        boolean numeric = current != null && current.numeric() && v.numeric();
        session.setSession(name, new Value(v.text(), numeric));
    }

    private void setNames(String charset, String collation) {
        String cs = charset == null || "DEFAULT".equalsIgnoreCase(charset) ? "utf8mb4" : charset;
        String coll = collation != null ? collation : defaultCollation(cs);
        session.setSession("character_set_client", Value.str(cs));
        session.setSession("character_set_connection", Value.str(cs));
        session.setSession("character_set_results", Value.str(cs));
        session.setSession("collation_connection", Value.str(coll));
    }

    private static String defaultCollation(String charset) {
        return switch (charset.toLowerCase(Locale.ROOT)) {
            case "utf8", "utf8mb3" -> "utf8_general_ci";
            case "latin1" -> "latin1_swedish_ci";
            case "binary" -> "binary";
            case "ascii" -> "ascii_general_ci";
            default -> charset.toLowerCase(Locale.ROOT) + "_general_ci";
        };
    }

    // SHOW ...
    private Response show(Parser p) {
        Token t = p.next();
        String w = t.kind() == Kind.WORD ? t.upper() : "";
        switch (w) {
            case "MASTER":
                if (p.peek().is("STATUS")) {
                    p.next();
                    return masterStatus();
                }
                if (p.peek().is("LOGS")) {
                    p.next();
                    return binaryLogs();
                }
                break;
            case "BINARY":
                if (p.peek().is("LOGS")) {
                    p.next();
                    return binaryLogs();
                }
                if (p.peek().is("LOG")) {
                    p.next();
                    if (p.next().is("STATUS")) {
                        return masterStatus();
                    }
                }
                break;
            case "SLAVE":
                if (p.peek().is("HOSTS")) {
                    p.next();
                    return replicas(false);
                }
                break;
            case "REPLICAS":
                return replicas(true);
            case "GLOBAL":
            case "SESSION":
            case "LOCAL":
                if (p.peek().is("VARIABLES")) {
                    p.next();
                    return variables(p, w.equals("GLOBAL"));
                }
                if (p.peek().is("STATUS")) {
                    p.next();
                    return emptyStatus(p);
                }
                break;
            case "VARIABLES":
                return variables(p, false);
            case "STATUS":
                return emptyStatus(p);
            case "WARNINGS":
            case "ERRORS":
                p.skipToEnd();
                return new Rows(new ResultSet(List.of(ColumnDefinition.varString("Level"),
                        ColumnDefinition.longLong("Code"), ColumnDefinition.varString("Message")), List.of()));
            default:
                break;
        }
        return unsupported(p.sql);
    }

    private Response masterStatus() {
        List<ColumnDefinition> cols = List.of(ColumnDefinition.varString("File"), ColumnDefinition.longLong("Position"),
                ColumnDefinition.varString("Binlog_Do_DB"), ColumnDefinition.varString("Binlog_Ignore_DB"),
                ColumnDefinition.varString("Executed_Gtid_Set"));
        List<BinlogFileInfo> files = ctx.binlogFiles();
        if (files.isEmpty()) {
            return new Rows(new ResultSet(cols, List.of()));
        }
        BinlogFileInfo last = files.get(files.size() - 1);
        return new Rows(new ResultSet(cols, List.of(Arrays.asList(last.name(), Long.toString(last.endPosition()),
                "", "", ctx.gtidExecuted()))));
    }

    private Response binaryLogs() {
        boolean encrypted = ctx.flavor().binaryLogsHaveEncryptedColumn();
        List<ColumnDefinition> cols = new ArrayList<>(List.of(ColumnDefinition.varString("Log_name"),
                ColumnDefinition.longLong("File_size")));
        if (encrypted) {
            cols.add(ColumnDefinition.varString("Encrypted"));
        }
        List<List<String>> rows = new ArrayList<>();
        for (BinlogFileInfo f : ctx.binlogFiles()) {
            List<String> row = new ArrayList<>(List.of(f.name(), Long.toString(f.endPosition())));
            if (encrypted) {
                row.add("No");
            }
            rows.add(row);
        }
        return new Rows(new ResultSet(cols, rows));
    }

    private Response replicas(boolean newNames) {
        List<ColumnDefinition> cols = List.of(ColumnDefinition.longLong(newNames ? "Server_Id" : "Server_id"),
                ColumnDefinition.varString("Host"), ColumnDefinition.longLong("Port"),
                ColumnDefinition.longLong(newNames ? "Source_Id" : "Master_id"),
                ColumnDefinition.varString(newNames ? "Replica_UUID" : "Slave_UUID"));
        List<List<String>> rows = new ArrayList<>();
        for (RegisteredReplica r : ctx.registeredReplicas()) {
            rows.add(Arrays.asList(Long.toString(r.serverId()), r.host(), Integer.toString(r.port()),
                    Long.toString(ctx.config().serverId()), r.uuid() == null ? "" : r.uuid()));
        }
        return new Rows(new ResultSet(cols, rows));
    }

    private Response emptyStatus(Parser p) {
        p.skipToEnd();
        return new Rows(new ResultSet(List.of(ColumnDefinition.varString("Variable_name"),
                ColumnDefinition.varString("Value")), List.of()));
    }

    // SHOW [GLOBAL|SESSION] VARIABLES [LIKE 'pattern' | WHERE Variable_name (=|LIKE|REGEXP|IN) ... [OR ...]]
    private Response variables(Parser p, boolean global) {
        List<java.util.function.Predicate<String>> filters = new ArrayList<>();
        if (p.peek().is("LIKE")) {
            p.next();
            filters.add(likeFilter(p.string()));
        } else if (p.peek().is("WHERE")) {
            p.next();
            do {
                Token col = p.next();
                if (!col.is("Variable_name")) {
                    return unsupported(p.sql);
                }
                Token op = p.next();
                if (op.isSymbol("=")) {
                    String v = p.string();
                    filters.add(n -> n.equalsIgnoreCase(v));
                } else if (op.is("LIKE")) {
                    filters.add(likeFilter(p.string()));
                } else if (op.is("REGEXP") || op.is("RLIKE")) {
                    String re = p.string();
                    try {
                        Pattern pattern = Pattern.compile(re, Pattern.CASE_INSENSITIVE);
                        filters.add(n -> pattern.matcher(n).find());
                    } catch (PatternSyntaxException e) {
                        return new Err(ErrorCodes.ER_REGEXP_ERROR, ErrorCodes.STATE_SYNTAX, "Got error 'invalid regular expression' from regexp");
                    }
                } else if (op.is("IN")) {
                    p.expect("(");
                    List<String> names = new ArrayList<>();
                    do {
                        names.add(p.string());
                    } while (p.accept(","));
                    p.expect(")");
                    filters.add(n -> names.stream().anyMatch(n::equalsIgnoreCase));
                } else {
                    return unsupported(p.sql);
                }
            } while (p.accept("OR"));
        }
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, Value> e : ServerVariables.all(ctx, session, global).entrySet()) {
            if (filters.isEmpty() || filters.stream().anyMatch(f -> f.test(e.getKey()))) {
                String v = e.getValue().text();
                rows.add(Arrays.asList(e.getKey(), v == null ? "" : v));
            }
        }
        return new Rows(ResultSet.ofStrings(List.of("Variable_name", "Value"), rows));
    }

    /** MySQL's LIKE: % any run, _ one character, backslash escapes, case-insensitive. */
    static java.util.function.Predicate<String> likeFilter(String pattern) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (c == '%') {
                re.append(".*");
            } else if (c == '_') {
                re.append('.');
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        Pattern p = Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
        return n -> p.matcher(n).matches();
    }

    // ------------------------------------------------------------------ errors

    private static Err unsupported(String sql) {
        String s = sql.strip().replaceAll("\\s+", " ");
        if (s.length() > 80) {
            s = s.substring(0, 80) + "...";
        }
        return new Err(ErrorCodes.ER_NOT_SUPPORTED_YET, ErrorCodes.STATE_SYNTAX,
                "This version of MySQL doesn't yet support '" + s + "' (kingbus serves the binary log only)");
    }

    private static Err syntaxError(String sql, int at) {
        String near = at >= 0 && at < sql.length() ? sql.substring(at) : "";
        if (near.length() > 80) {
            near = near.substring(0, 80);
        }
        int line = 1;
        for (int i = 0; i < Math.min(at, sql.length()); i++) {
            if (sql.charAt(i) == '\n') {
                line++;
            }
        }
        return new Err(ErrorCodes.ER_PARSE_ERROR, ErrorCodes.STATE_SYNTAX,
                "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version"
                        + " for the right syntax to use near '" + near + "' at line " + line);
    }

    /** Thrown by the parser: a ready response (e.g. unknown variable) or a syntax error at an offset. */
    private static final class ParseError extends RuntimeException {
        final Response response;
        final int at;

        ParseError(Response response) {
            super(null, null, false, false);
            this.response = response;
            this.at = -1;
        }

        ParseError(int at) {
            super(null, null, false, false);
            this.response = null;
            this.at = at;
        }
    }

    /** A cursor over the tokens. */
    private static final class Parser {
        final String sql;
        final List<Token> tokens;
        int i;

        Parser(String sql, List<Token> tokens) {
            this.sql = sql;
            this.tokens = tokens;
        }

        Token peek() {
            return tokens.get(i);
        }

        Token next() {
            Token t = tokens.get(i);
            if (t.kind() != Kind.END) {
                i++;
            }
            return t;
        }

        Token previous() {
            return tokens.get(Math.max(0, i - 1));
        }

        Token tokenAt(int start) {
            for (Token t : tokens) {
                if (t.start() == start) {
                    return t;
                }
            }
            return null;
        }

        boolean accept(String symbolOrWord) {
            Token t = peek();
            if (t.isSymbol(symbolOrWord) || t.is(symbolOrWord)) {
                i++;
                return true;
            }
            return false;
        }

        void expect(String symbol) {
            if (!accept(symbol)) {
                throw error();
            }
        }

        String string() {
            Token t = next();
            if (t.kind() != Kind.STRING) {
                throw error(t);
            }
            return t.text();
        }

        long number() {
            Token t = next();
            if (t.kind() != Kind.NUMBER || t.text().indexOf('.') >= 0 || t.text().length() > 18) {
                throw error(t);
            }
            return Long.parseLong(t.text());
        }

        void skipToEnd() {
            while (peek().kind() != Kind.END && !peek().isSymbol(";")) {
                i++;
            }
        }

        ParseError error() {
            return new ParseError(peek().start());
        }

        ParseError error(Token t) {
            return new ParseError(t.start());
        }
    }
}

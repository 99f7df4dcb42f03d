package io.kingbus.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kingbus.raft.Member;

import java.math.BigInteger;
import java.util.List;

/** Member lists in the shapes of admin-api.md §1 (field names and order as in the Go original). */
public final class MemberJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private MemberJson() {
    }

    /** GET /cluster: {@code Id} as a hex string, plus {@code isLeader}. */
    public static ArrayNode cluster(List<Member> members) {
        ArrayNode out = F.arrayNode();
        for (Member m : members) {
            ObjectNode o = common(F.textNode(m.hexId()), m);
            o.put("isLeader", m.leader());
            out.add(o);
        }
        return out;
    }

    /** GET/POST/PUT/DELETE /members: {@code Id} as an unsigned 64-bit JSON number, no leader flag. */
    public static ArrayNode members(List<Member> members) {
        ArrayNode out = F.arrayNode();
        for (Member m : members) {
            out.add(common(F.numberNode(unsigned(m.id())), m));
        }
        return out;
    }

    /** The unsigned decimal value of a 64-bit id (never negative). */
    public static BigInteger unsigned(long id) {
        return new BigInteger(Long.toUnsignedString(id));
    }

    private static ObjectNode common(com.fasterxml.jackson.databind.JsonNode id, Member m) {
        ObjectNode o = F.objectNode();
        o.set("Id", id);
        ArrayNode peers = o.putArray("peerURLs");
        if (m.peerUrl() != null && !m.peerUrl().isBlank()) {
            peers.add(m.peerUrl());
        }
        o.put("name", m.name());
        if (m.adminUrl() != null && !m.adminUrl().isBlank()) {
            o.putArray("adminURLs").add(m.adminUrl());
        }
        return o;
    }
}

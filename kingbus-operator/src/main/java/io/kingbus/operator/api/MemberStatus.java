package io.kingbus.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class MemberStatus {
    public String name;
    /** The raft member id as GET /cluster shows it (hex). */
    public String id;
    /** leader, follower, candidate, joining... (lower case, from the node's /ready). */
    public String role;
    public Long appliedIndex;
    /** Caught-up voting member (the node's /ready answered 200). */
    public Boolean ready;

    public MemberStatus() {
    }

    public MemberStatus(String name, String id, String role, Long appliedIndex, Boolean ready) {
        this.name = name;
        this.id = id;
        this.role = role;
        this.appliedIndex = appliedIndex;
        this.ready = ready;
    }
}

package io.kingbus.admin;

import io.kingbus.raft.ClusterControl;
import io.kingbus.raft.Member;
import io.kingbus.raft.MembershipException;
import io.kingbus.raft.RaftNodeStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/** An in-memory {@link ClusterControl} for unit tests of the HTTP layer. */
final class FakeClusterControl implements ClusterControl {
    final List<Member> members = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final AtomicLong nextId = new AtomicLong(0x1000);
    volatile boolean leaderHere = true;
    volatile Member leader;
    volatile RaftNodeStatus status = new RaftNodeStatus("kingbus-1", "LEADER", 3, 10, 10, "kingbus-1", true,
            4096, 100, 20_000);
    /** Thrown by every change (and by status() if it is a RuntimeException source). */
    volatile MembershipException failWith;
    volatile RuntimeException crashWith;
    volatile RuntimeException statusCrash;
    volatile String unhealthy;

    FakeClusterControl member(long id, String name, String peerUrl, String adminUrl, boolean isLeader) {
        Member m = new Member(id, name, peerUrl, adminUrl, isLeader);
        members.add(m);
        if (isLeader) {
            leader = m;
        }
        return this;
    }

    @Override
    public String unhealthy() {
        return unhealthy;
    }

    @Override
    public List<Member> members() {
        if (crashWith != null) {
            throw crashWith;
        }
        return new ArrayList<>(members);
    }

    @Override
    public Member leader() {
        return leader;
    }

    @Override
    public boolean isLeader() {
        return leaderHere;
    }

    @Override
    public RaftNodeStatus status() {
        if (statusCrash != null) {
            throw statusCrash;
        }
        return status;
    }

    private void check(String call) throws MembershipException {
        calls.add(call);
        if (crashWith != null) {
            throw crashWith;
        }
        if (failWith != null) {
            throw failWith;
        }
        if (!leaderHere) {
            throw new MembershipException(MembershipException.Kind.NOT_LEADER, "not the leader");
        }
    }

    @Override
    public List<Member> addMember(String name, String peerUrl, String adminUrl) throws MembershipException {
        check("add " + name + " " + peerUrl + " " + adminUrl);
        if (members.stream().anyMatch(m -> m.name().equals(name))) {
            throw new MembershipException(MembershipException.Kind.CONFLICT, "member " + name + " already exists");
        }
        members.add(new Member(nextId.getAndIncrement(), name, peerUrl, adminUrl, false));
        return members();
    }

    @Override
    public List<Member> removeMember(String name, String peerUrl) throws MembershipException {
        check("remove " + name + " " + peerUrl);
        Member m = members.stream().filter(x -> x.name().equals(name) && x.peerUrl().equals(peerUrl)).findFirst()
                .orElseThrow(() -> new MembershipException(MembershipException.Kind.NOT_FOUND,
                        "no such member: " + name));
        members.remove(m);
        return members();
    }

    @Override
    public List<Member> updateMember(String name, String newPeerUrl) throws MembershipException {
        check("update " + name + " " + newPeerUrl);
        for (int i = 0; i < members.size(); i++) {
            Member m = members.get(i);
            if (m.name().equals(name)) {
                members.set(i, new Member(m.id(), m.name(), newPeerUrl, m.adminUrl(), m.leader()));
                return members();
            }
        }
        throw new MembershipException(MembershipException.Kind.NOT_FOUND, "no such member: " + name);
    }
}

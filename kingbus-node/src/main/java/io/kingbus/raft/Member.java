package io.kingbus.raft;

/**
 * One member of the raft group, as the admin API shows it.
 *
 * @param id       unsigned 64-bit member id (derived from name, peer URL and cluster token, as etcd does)
 * @param name     the node's name (config key {@code name})
 * @param peerUrl  {@code http://host:port} of its raft endpoint
 * @param adminUrl {@code http://host:port} of its admin API, or null until the node has published it
 * @param leader   whether it is the current leader
 */
public record Member(long id, String name, String peerUrl, String adminUrl, boolean leader) {

    /** The id as GET /cluster prints it: lower-case hex of the unsigned value. */
    public String hexId() {
        return Long.toHexString(id);
    }
}

package io.kingbus.operator.admin;

import java.net.URI;

/**
 * Where a cluster member is reached: the raft peer URL and admin URL it publishes (sent with POST /members and
 * DELETE /members), which are also the URLs the operator calls. Production uses {@link DnsMemberAddresses} (the pod's
 * stable DNS name under the headless Service); tests plug in a map to kingbus nodes or fakes on loopback.
 *
 * <p>Implementations must be thread-safe and must return the same URLs the node was started with: the node refuses a
 * peer URL that differs from its own {@code peer-url}.
 */
public interface MemberAddresses {

    /** {@code http://host:port} of the member's raft endpoint. */
    URI peerUrl(String namespace, String clusterName, String memberName);

    /** {@code http://host:port} of the member's admin API. */
    URI adminUrl(String namespace, String clusterName, String memberName);
}

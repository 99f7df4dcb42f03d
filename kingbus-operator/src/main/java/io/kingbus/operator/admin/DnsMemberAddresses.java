package io.kingbus.operator.admin;

import java.net.URI;

/**
 * A member's URLs from its pod's stable DNS name: {@code http://<pod>.<cluster>-peers.<namespace>.svc:<port>}
 * (the StatefulSet's headless Service publishes not-ready addresses, so a joining pod resolves before it is ready).
 */
public final class DnsMemberAddresses implements MemberAddresses {
    public static final int PEER_PORT = 9696;
    public static final int ADMIN_PORT = 9595;

    /** The host name of a member's pod. */
    public static String host(String namespace, String clusterName, String memberName) {
        return memberName + "." + peersServiceName(clusterName) + "." + namespace + ".svc";
    }

    public static String peersServiceName(String clusterName) {
        return clusterName + "-peers";
    }

    @Override
    public URI peerUrl(String namespace, String clusterName, String memberName) {
        return URI.create("http://" + host(namespace, clusterName, memberName) + ":" + PEER_PORT);
    }

    @Override
    public URI adminUrl(String namespace, String clusterName, String memberName) {
        return URI.create("http://" + host(namespace, clusterName, memberName) + ":" + ADMIN_PORT);
    }
}

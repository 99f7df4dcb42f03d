package io.kingbus.raft;

import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.UUID;

/**
 * How kingbus names map to Ratis identities.
 *
 * <ul>
 *   <li>peer URL {@code http://host:port} ↔ Ratis address {@code host:port};</li>
 *   <li>RaftPeerId = {@code name@host_port} (no ':' so that Ratis can register it with JMX): a new peer URL
 *       is a new peer (Ratis cannot change an address in place), and the name reads back from the id;</li>
 *   <li>member id = the first 8 bytes of SHA-1(name, peer URL, cluster token), an unsigned 64-bit number as
 *       etcd derives it;</li>
 *   <li>RaftGroupId = the name-based UUID of the cluster token.</li>
 * </ul>
 */
public final class PeerIds {
    private PeerIds() {
    }

    /** Parses and normalizes a peer or admin URL: {@code http://host:port}, lower-case, no path. */
    public static String normalizeUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("URL is empty");
        }
        URI u;
        try {
            u = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getReason());
        }
        String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IllegalArgumentException("'" + url + "' is not an http://host:port URL");
        }
        if (u.getHost() == null || u.getPort() <= 0 || u.getPort() > 65535) {
            throw new IllegalArgumentException("'" + url + "' needs a host and a port (http://host:port)");
        }
        String path = u.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || u.getRawQuery() != null) {
            throw new IllegalArgumentException("'" + url + "' must not have a path or query");
        }
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + u.getPort();
    }

    /** {@code http://host:port} → {@code host:port}. */
    public static String address(String peerUrl) {
        String n = normalizeUrl(peerUrl);
        return n.substring(n.indexOf("://") + 3);
    }

    /** The port of a peer URL. */
    public static int port(String peerUrl) {
        return URI.create(normalizeUrl(peerUrl)).getPort();
    }

    public static RaftPeerId peerId(String name, String peerUrl) {
        checkName(name);
        URI u = URI.create(normalizeUrl(peerUrl));
        String host = u.getHost().replace(':', '.'); // IPv6 literals
        return RaftPeerId.valueOf(name + "@" + host + "_" + u.getPort());
    }

    public static RaftPeer peer(String name, String peerUrl) {
        return RaftPeer.newBuilder().setId(peerId(name, peerUrl)).setAddress(address(peerUrl)).build();
    }

    /** The kingbus name inside a peer id (everything before the last '@'). */
    public static String nameOf(RaftPeerId id) {
        String s = id.toString();
        int at = s.lastIndexOf('@');
        return at < 0 ? s : s.substring(0, at);
    }

    /** The peer URL of a peer, from its Ratis address. */
    public static String peerUrlOf(RaftPeer peer) {
        return "http://" + peer.getAddress();
    }

    public static void checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("member name is empty");
        }
        if (name.length() > 255 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("member name '" + name + "' is too long or has control characters");
        }
    }

    /** The member id GET /cluster shows: unsigned 64-bit, deterministic in name, peer URL and cluster token. */
    public static long memberId(String name, String peerUrl, String clusterToken) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(name.getBytes(StandardCharsets.UTF_8));
            sha1.update((byte) 0);
            sha1.update(normalizeUrl(peerUrl).getBytes(StandardCharsets.UTF_8));
            sha1.update((byte) 0);
            sha1.update((clusterToken == null ? "" : clusterToken).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(sha1.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }

    public static RaftGroupId groupId(String clusterToken) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(clusterToken.getBytes(StandardCharsets.UTF_8)));
    }
}

package io.kingbus.protocol;

import java.nio.charset.StandardCharsets;

/**
 * COM_REGISTER_SLAVE: the replica's server id, the host/user/password/port it reports (shown by
 * {@code SHOW SLAVE HOSTS}), a rank and the master id (both unused by MySQL). Host, user and password are at most
 * 255 bytes each (one length byte).
 */
public record RegisterSlave(long serverId, String host, String user, String password, int port, long rank,
                            long masterId) {

    public RegisterSlave {
        host = host == null ? "" : host;
        user = user == null ? "" : user;
        password = password == null ? "" : password;
        if (serverId < 0 || serverId > 0xffffffffL) {
            throw new IllegalArgumentException("server id " + serverId + " outside 0..2^32-1");
        }
    }

    public byte[] encode() {
        PayloadWriter w = new PayloadWriter(32 + host.length() + user.length());
        w.u8(Commands.COM_REGISTER_SLAVE).u32(serverId);
        short8(w, host, "host");
        short8(w, user, "user");
        short8(w, password, "password");
        return w.u16(port).u32(rank).u32(masterId).toByteArray();
    }

    private static void short8(PayloadWriter w, String s, String what) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 255) {
            throw new IllegalArgumentException("report " + what + " longer than 255 bytes");
        }
        w.u8(b.length).bytes(b);
    }

    public static RegisterSlave parse(byte[] payload) {
        return Wire.parse("COM_REGISTER_SLAVE", payload, r -> {
            Wire.expectHeader(r, Commands.COM_REGISTER_SLAVE, "COM_REGISTER_SLAVE");
            long serverId = r.u32();
            String host = r.string(r.u8());
            String user = r.string(r.u8());
            String password = r.string(r.u8());
            int port = r.u16();
            // MySQL reads rank and master id but ignores them; tolerate clients that leave them out.
            long rank = r.remaining() >= 4 ? r.u32() : 0;
            long masterId = r.remaining() >= 4 ? r.u32() : 0;
            return new RegisterSlave(serverId, host, user, password, port, rank, masterId);
        });
    }

    @Override
    public String toString() {
        return "RegisterSlave(server_id " + serverId + ", " + host + ":" + port + ", user " + user + ")";
    }
}

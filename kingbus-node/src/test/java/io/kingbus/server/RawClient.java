package io.kingbus.server;

import io.kingbus.binlog.BinlogEvent;
import io.kingbus.protocol.AuthPlugins;
import io.kingbus.protocol.AuthSwitchRequest;
import io.kingbus.protocol.Capabilities;
import io.kingbus.protocol.CharacterSets;
import io.kingbus.protocol.Commands;
import io.kingbus.protocol.EofPacket;
import io.kingbus.protocol.ErrPacket;
import io.kingbus.protocol.HandshakeResponse41;
import io.kingbus.protocol.HandshakeV10;
import io.kingbus.protocol.Packet;
import io.kingbus.protocol.ResultSet;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A minimal blocking MySQL client on a plain socket, for protocol-level tests (and hostile ones). */
final class RawClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;
    HandshakeV10 handshake;
    int capabilities;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
        this.out = socket.getOutputStream();
    }

    /** Connects and reads the handshake, nothing else. */
    static RawClient open(int port, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.setSoTimeout(30_000);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        RawClient c = new RawClient(s);
        c.handshake = HandshakeV10.parse(c.read().payload());
        return c;
    }

    /** Connects and logs in (answering an auth switch); throws with the ERR text on failure. */
    static RawClient login(int port, String user, String password) throws IOException {
        return login(port, user, password, AuthPlugins.MYSQL_NATIVE_PASSWORD, 0);
    }

    static RawClient login(int port, String user, String password, String plugin, int receiveBuffer)
            throws IOException {
        RawClient c = open(port, receiveBuffer);
        byte[] pw = password.getBytes(StandardCharsets.UTF_8);
        c.capabilities = Capabilities.PROTOCOL_41 | Capabilities.SECURE_CONNECTION | Capabilities.PLUGIN_AUTH
                | Capabilities.LONG_PASSWORD | Capabilities.TRANSACTIONS | Capabilities.PLUGIN_AUTH_LENENC_CLIENT_DATA
                | Capabilities.CONNECT_ATTRS;
        byte[] scramble = AuthPlugins.scramble(plugin, pw, c.handshake.authPluginData());
        HandshakeResponse41 resp = new HandshakeResponse41(c.capabilities, 1 << 24, CharacterSets.UTF8MB4_GENERAL_CI,
                user, scramble, null, plugin, Map.of("_client_name", "kingbus-test"));
        c.write(1, resp.encode());
        Packet p = c.read();
        if ((p.firstByte()) == AuthSwitchRequest.HEADER) {
            AuthSwitchRequest sw = AuthSwitchRequest.parse(p.payload());
            c.write(p.sequenceId() + 1, AuthPlugins.scramble(sw.pluginName(), pw, sw.nonce()));
            p = c.read();
        }
        if (ErrPacket.isErr(p.payload())) {
            ErrPacket err = ErrPacket.parse(p.payload());
            c.close();
            throw new ServerError(err);
        }
        return c;
    }

    /** An ERR packet from the server. */
    static final class ServerError extends IOException {
        final ErrPacket err;

        ServerError(ErrPacket err) {
            super(err.toString());
            this.err = err;
        }
    }

    void write(int sequenceId, byte[] payload) throws IOException {
        out.write(io.kingbus.protocol.PacketEncoder.toBytes(new Packet(sequenceId & 0xff, payload)));
        out.flush();
    }

    void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One logical packet (continuations reassembled). */
    Packet read() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int first = -1;
        while (true) {
            int len = in.readUnsignedByte() | in.readUnsignedByte() << 8 | in.readUnsignedByte() << 16;
            int seq = in.readUnsignedByte();
            if (first < 0) {
                first = seq;
            }
            byte[] b = new byte[len];
            in.readFully(b);
            all.writeBytes(b);
            if (len < Packet.MAX_PHYSICAL_PAYLOAD) {
                return new Packet(first, all.toByteArray());
            }
        }
    }

    /** COM_QUERY: a result set, or null for OK; throws ServerError for ERR. */
    ResultSet query(String sql) throws IOException {
        write(0, Commands.query(sql));
        ResultSet.Reader r = new ResultSet.Reader(capabilities);
        while (!r.accept(read().payload())) {
            // collect
        }
        if (r.error() != null) {
            throw new ServerError(r.error());
        }
        return r.resultSet();
    }

    /** Reads dump packets: the events, until EOF (returns) or ERR (throws). */
    List<BinlogEvent> readEventsUntilEnd() throws IOException {
        List<BinlogEvent> events = new ArrayList<>();
        while (true) {
            BinlogEvent e = readEvent();
            if (e == null) {
                return events;
            }
            events.add(e);
        }
    }

    /** The next event of a dump; null at EOF; throws ServerError for ERR. */
    BinlogEvent readEvent() throws IOException {
        Packet p = read();
        byte[] b = p.payload();
        if (EofPacket.isEof(b)) {
            return null;
        }
        if (ErrPacket.isErr(b)) {
            throw new ServerError(ErrPacket.parse(b));
        }
        byte[] event = java.util.Arrays.copyOfRange(b, 1, b.length);
        return BinlogEvent.of(event);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // ignore
        }
    }
}

package io.kingbus.protocol;

/**
 * MySQL's per-command sequence id: a command (or the server's handshake) starts at 0, and every physical packet
 * of either side takes the next id, modulo 256. One instance per connection; not thread-safe.
 */
public final class PacketSequence {
    private int next;

    /** A new command starts: the next packet (ours) is sequence 0. */
    public void reset() {
        next = 0;
    }

    /** Wraps a payload we send with the current sequence id and advances past its physical packets. */
    public Packet send(byte[] payload) {
        Packet p = new Packet(next, payload);
        next = p.nextSequenceId();
        return p;
    }

    /** Checks the id of a packet we received and advances past it. */
    public void received(Packet p) {
        if (p.sequenceId() != next) {
            throw new ProtocolException("packets out of order: expected sequence id " + next + ", got "
                    + p.sequenceId());
        }
        next = p.nextSequenceId();
    }

    /** Follows the peer's numbering without checking (for streams where an out-of-band write may interleave). */
    public void follow(Packet p) {
        next = p.nextSequenceId();
    }

    public int next() {
        return next;
    }
}

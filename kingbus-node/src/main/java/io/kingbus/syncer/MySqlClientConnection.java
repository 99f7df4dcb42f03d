package io.kingbus.syncer;

import io.kingbus.protocol.Packet;
import io.kingbus.protocol.PacketDecoder;
import io.kingbus.protocol.PacketEncoder;
import io.kingbus.protocol.PacketSequence;
import io.kingbus.protocol.ProtocolException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A client connection to a MySQL server with a blocking read/write API for one session thread, over Netty.
 *
 * <p>Netty decodes packets on its event loop and queues them; {@link #read} takes them on the session thread. When
 * more than the high-water mark of bytes wait in the queue, the channel stops reading the socket (autoRead off), so a
 * slow consumer pushes back on the server through TCP instead of filling the heap; reading resumes below the
 * low-water mark.
 */
final class MySqlClientConnection implements AutoCloseable {
    /** Per-packet bookkeeping cost counted against the water marks, so that many tiny packets are bounded too. */
    private static final int PACKET_OVERHEAD = 64;
    private static final Object CLOSED = new Object();

    private record Failure(Throwable cause) {
    }

    private final Channel channel;
    private final String peer;
    /** Lists of packets (one per socket read), then CLOSED or a Failure. */
    private final LinkedBlockingQueue<Object> inbox;
    /** Packets decoded in the current read, not yet handed over; event loop only. */
    private ArrayList<Packet> burst;
    /** Packets taken from the inbox and not yet returned by {@link #read}; session thread only. */
    private final ArrayDeque<Packet> taken = new ArrayDeque<>();
    private final long highWater;
    private final long lowWater;
    private final Object flow = new Object();
    private long queuedBytes; // guarded by flow
    private boolean paused; // guarded by flow
    private final AtomicLong bytesRead;
    private volatile long lastReadNanos = System.nanoTime();
    private final PacketSequence sequence = new PacketSequence();
    private boolean checkSequence = true;
    private volatile boolean closedByUs;
    private volatile boolean tls;

    private MySqlClientConnection(Channel channel, String peer, LinkedBlockingQueue<Object> inbox, long highWater,
                                  long lowWater, AtomicLong bytesRead) {
        this.channel = channel;
        this.peer = peer;
        this.inbox = inbox;
        this.highWater = highWater;
        this.lowWater = lowWater;
        this.bytesRead = bytesRead;
    }

    /** Connects; the server's handshake is the first packet {@link #read} returns. */
    static MySqlClientConnection open(EventLoopGroup group, String host, int port, Duration connectTimeout,
                                      int maxPayload, long eventMemoryLimit, long highWater, long lowWater,
                                      AtomicLong bytesRead) {
        String peer = host + ":" + port;
        LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        MySqlClientConnection[] self = new MySqlClientConnection[1];
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast("counter", new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof ByteBuf buf) {
                                            bytesRead.addAndGet(buf.readableBytes());
                                        }
                                        ctx.fireChannelRead(msg);
                                    }

                                    @Override
                                    public void channelReadComplete(ChannelHandlerContext ctx) {
                                        // once per batch of socket reads, not per buffer: the clock costs
                                        if (self[0] != null) {
                                            self[0].lastReadNanos = System.nanoTime();
                                        }
                                        ctx.fireChannelReadComplete();
                                    }
                                })
                                .addLast("decoder", new PacketDecoder(maxPayload, first -> {
                                    long size = PacketDecoder.BINLOG_EVENT_SIZE.applyAsLong(first);
                                    if (size - 1 > eventMemoryLimit) { // the payload is the OK byte and the event
                                        throw new EventOverMemoryException(size - 1, eventMemoryLimit);
                                    }
                                    return size;
                                }))
                                .addLast("encoder", PacketEncoder.INSTANCE)
                                .addLast("inbox", new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        self[0].enqueue((Packet) msg);
                                    }

                                    @Override
                                    public void channelReadComplete(ChannelHandlerContext ctx) {
                                        self[0].handOver();
                                        ctx.fireChannelReadComplete();
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        self[0].push(CLOSED);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        self[0].push(new Failure(cause));
                                        ctx.close();
                                    }
                                });
                    }
                });
        // The connection object must exist before the first byte arrives, so create it around a not-yet-connected
        // channel: register first, then connect.
        ChannelFuture reg = b.register();
        reg.syncUninterruptibly();
        Channel ch = reg.channel();
        MySqlClientConnection c = new MySqlClientConnection(ch, peer, inbox, highWater, lowWater, bytesRead);
        self[0] = c;
        ChannelFuture f = ch.connect(new java.net.InetSocketAddress(host, port));
        if (!f.awaitUninterruptibly(connectTimeout.toMillis() + 2000)) {
            ch.close();
            throw new SyncerException(SyncerException.Kind.CONNECT, "cannot connect to " + peer + ": timed out after "
                    + connectTimeout.toMillis() + " ms");
        }
        if (!f.isSuccess()) {
            ch.close();
            Throwable cause = f.cause();
            throw new SyncerException(SyncerException.Kind.CONNECT, "cannot connect to " + peer + ": "
                    + (cause == null ? "unknown error" : cause.getMessage()), cause);
        }
        c.lastReadNanos = System.nanoTime();
        return c;
    }

    /** On the event loop: counts the packet against the water marks and keeps it for {@link #handOver}. */
    private void enqueue(Packet p) {
        synchronized (flow) {
            queuedBytes += p.length() + PACKET_OVERHEAD;
            if (queuedBytes > highWater && !paused) {
                paused = true;
                channel.config().setAutoRead(false);
            }
        }
        if (burst == null) {
            burst = new ArrayList<>();
        }
        burst.add(p);
    }

    /**
     * On the event loop, after a socket read: queues the packets it decoded as one item. One hand-over (and at most
     * one wake-up of the session thread) per read instead of per packet: a dump delivers hundreds of small events
     * per read, and waking the reader for each cost more CPU than decoding them.
     */
    private void handOver() {
        if (burst != null) {
            inbox.add(burst);
            burst = null;
        }
    }

    /** A terminal state or failure, after the packets decoded before it. */
    private void push(Object o) {
        if (channel.eventLoop().inEventLoop()) { // a failed write's listener may also run on the writing thread
            handOver();
        }
        inbox.add(o);
    }

    private void dequeued(Packet p) {
        synchronized (flow) {
            queuedBytes -= p.length() + PACKET_OVERHEAD;
            if (paused && queuedBytes <= lowWater) {
                paused = false;
                channel.config().setAutoRead(true);
            }
        }
    }

    /** Whether {@link #read} has packets of the last socket read at hand (it returns one without waiting). */
    boolean hasBuffered() {
        return !taken.isEmpty();
    }

    long queuedBytes() {
        synchronized (flow) {
            return queuedBytes;
        }
    }

    String peer() {
        return peer;
    }

    boolean isTls() {
        return tls;
    }

    /** A new command starts: our next packet is sequence 0. */
    void newCommand() {
        sequence.reset();
    }

    /** In a stream where out-of-band packets (semi-sync ACKs) interleave, follow the server's ids without checking. */
    void checkSequence(boolean check) {
        this.checkSequence = check;
    }

    /** Sends a payload with the next sequence id. Write errors surface in the next {@link #read}. */
    void write(byte[] payload) {
        Packet p = sequence.send(payload);
        channel.writeAndFlush(p).addListener(f -> {
            if (!f.isSuccess()) {
                push(new Failure(f.cause())); // listeners run on the event loop
            }
        });
    }

    /** Sends a payload and waits until it is on the wire (before switching the pipeline to TLS). */
    void writeAndWait(byte[] payload, Duration timeout) {
        Packet p = sequence.send(payload);
        ChannelFuture f = channel.writeAndFlush(p);
        if (!f.awaitUninterruptibly(timeout.toMillis()) || !f.isSuccess()) {
            throw new SyncerException(SyncerException.Kind.DISCONNECTED, "cannot write to " + peer + ": "
                    + (f.cause() == null ? "timed out" : f.cause().getMessage()), f.cause());
        }
    }

    /** A packet outside the command's numbering (a semi-sync ACK: sequence id 0). Thread-safe. */
    void writeOutOfBand(byte[] payload) {
        channel.writeAndFlush(new Packet(0, payload)).addListener(f -> {
            if (!f.isSuccess()) {
                push(new Failure(f.cause()));
            }
        });
    }

    /** Switches to TLS (after the SSL request was written) and waits for the handshake. */
    void startTls(SslContext context, String host, int port, Duration timeout) {
        SslHandler h = context.newHandler(channel.alloc(), host, port);
        h.setHandshakeTimeoutMillis(timeout.toMillis());
        channel.pipeline().addFirst("tls", h);
        Future<Channel> hs = h.handshakeFuture();
        if (!hs.awaitUninterruptibly(timeout.toMillis() + 1000) || !hs.isSuccess()) {
            Throwable cause = hs.cause();
            throw new SyncerException(SyncerException.Kind.TLS, "TLS handshake with " + peer + " failed: "
                    + (cause == null ? "timed out" : rootMessage(cause)), cause);
        }
        tls = true;
    }

    /**
     * The next packet, waiting while the connection is idle: fails with TIMEOUT when no byte at all arrived for
     * {@code idleTimeout} (zero: wait forever), so a slow large packet that keeps arriving never times out.
     */
    Packet read(Duration idleTimeout) {
        long timeout = idleTimeout.toNanos();
        long since = 0; // when this read first went to the inbox: the clock is read once per burst, not per packet
        while (true) {
            if (closedByUs) {
                throw new SyncerException(SyncerException.Kind.DISCONNECTED, "connection closed");
            }
            Object o = taken.poll();
            try {
                if (o == null) {
                    if (since == 0) {
                        since = System.nanoTime();
                    }
                    o = inbox.poll(200, TimeUnit.MILLISECONDS);
                    if (o instanceof List<?> packets) {
                        for (Object p : packets) {
                            taken.add((Packet) p);
                        }
                        o = taken.poll();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SyncerException(SyncerException.Kind.DISCONNECTED, "interrupted while reading from " + peer);
            }
            if (o == null) {
                long last = Math.max(since, lastReadNanos);
                if (timeout > 0 && System.nanoTime() - last > timeout) {
                    throw new SyncerException(SyncerException.Kind.TIMEOUT, "nothing received from " + peer + " for "
                            + idleTimeout.toMillis() + " ms");
                }
                continue;
            }
            if (o instanceof Packet p) {
                dequeued(p);
                if (checkSequence) {
                    try {
                        sequence.received(p);
                    } catch (ProtocolException e) {
                        throw new SyncerException(SyncerException.Kind.PROTOCOL, e.getMessage() + " from " + peer, e);
                    }
                } else {
                    sequence.follow(p);
                }
                return p;
            }
            inbox.add(o); // keep the terminal state for later reads
            if (o == CLOSED) {
                throw new SyncerException(SyncerException.Kind.DISCONNECTED, closedByUs ? "connection closed"
                        : "the primary " + peer + " closed the connection");
            }
            throw failure(((Failure) o).cause());
        }
    }

    private SyncerException failure(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof ProtocolException) {
            return new SyncerException(SyncerException.Kind.PROTOCOL, c.getMessage() + " (from " + peer + ")", c);
        }
        if (c instanceof SSLException) {
            return new SyncerException(SyncerException.Kind.TLS, "TLS error with " + peer + ": " + rootMessage(c), c);
        }
        if (c instanceof IOException) {
            return new SyncerException(SyncerException.Kind.DISCONNECTED, "connection to " + peer + " broke: "
                    + c.getMessage(), c);
        }
        return new SyncerException(SyncerException.Kind.PROTOCOL, "error on the connection to " + peer + ": " + c, c);
    }

    private static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (" + r.getMessage() + ")";
    }

    boolean isOpen() {
        return channel.isActive();
    }

    @Override
    public void close() {
        closedByUs = true;
        channel.close();
    }
}

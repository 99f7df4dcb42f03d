package io.kingbus.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what an unauthenticated client can make the server buffer: a handshake response (and an auth-switch reply)
 * is a few hundred bytes, so a connection that sends more than {@link #PRE_AUTH_LIMIT} bytes before logging in is
 * closed before the packet decoder accumulates anything larger. After login the decoder's own bound applies.
 */
final class InboundGuard extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(InboundGuard.class);
    static final int PRE_AUTH_LIMIT = 64 * 1024;

    private volatile boolean authenticated;
    private long received;

    void authenticated() {
        authenticated = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!authenticated && msg instanceof ByteBuf b) {
            received += b.readableBytes();
            if (received > PRE_AUTH_LIMIT) {
                ReferenceCountUtil.release(msg);
                log.info("binlog server: closing {}: {} bytes before login", ctx.channel().remoteAddress(), received);
                ctx.close();
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }
}

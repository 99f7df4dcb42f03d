package io.kingbus.raft;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.ratis.grpc.server.GrpcServices;
import org.apache.ratis.thirdparty.io.grpc.CallOptions;
import org.apache.ratis.thirdparty.io.grpc.ManagedChannel;
import org.apache.ratis.thirdparty.io.grpc.MethodDescriptor;
import org.apache.ratis.thirdparty.io.grpc.ServerServiceDefinition;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;
import org.apache.ratis.thirdparty.io.grpc.netty.NettyChannelBuilder;
import org.apache.ratis.thirdparty.io.grpc.stub.ClientCalls;
import org.apache.ratis.thirdparty.io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A tiny extra gRPC service on the raft port: "who are you" → name, peer id and admin URL as JSON.
 *
 * <p>A node that joins with an empty configuration knows the leader only by its raft address (Ratis tells it
 * when it asks the node to install a snapshot); this service turns that address into the leader's admin URL,
 * from which the node then copies the binlog files it lacks.
 */
final class PeerInfoService {
    static final String SERVICE = "kingbus.PeerInfo";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readNBytes(64 * 1024);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> GET = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Get"))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();

    /** What a node says about itself. */
    record Info(String name, String peerId, String peerUrl, String adminUrl) {
    }

    private PeerInfoService() {
    }

    /** A Ratis gRPC customizer that adds the service to the server port. */
    static GrpcServices.Customizer customizer(Supplier<Info> self) {
        ServerServiceDefinition service = ServerServiceDefinition.builder(SERVICE)
                .addMethod(GET, ServerCalls.asyncUnaryCall((request, response) -> {
                    try {
                        response.onNext(JSON.writeValueAsBytes(self.get()));
                        response.onCompleted();
                    } catch (IOException | RuntimeException e) {
                        response.onError(e);
                    }
                }))
                .build();
        return (builder, types) -> types.contains(GrpcServices.Type.SERVER) ? builder.addService(service) : builder;
    }

    /** Asks the node at a Ratis address ({@code host:port}) who it is. */
    static Info ask(String address, long timeoutMillis) throws IOException {
        ManagedChannel channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            byte[] reply = ClientCalls.blockingUnaryCall(channel, GET,
                    CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS), new byte[0]);
            return JSON.readValue(reply, Info.class);
        } catch (StatusRuntimeException e) {
            throw new IOException("peer " + address + " did not say who it is: " + e.getStatus(), e);
        } finally {
            channel.shutdownNow();
        }
    }
}

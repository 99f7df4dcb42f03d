package io.kingbus.admin;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Errors Jetty answers itself, before any route runs (unparsable request line, oversized headers, bad
 * Content-Length...), in the admin envelope instead of an HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, Envelope.JSON));
        return ByteBuffer.wrap(Envelope.bytes(reason(status, reason), null));
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                              HttpServletResponse response, int code, String message)
            throws IOException {
        baseRequest.setHandled(true);
        byte[] body = Envelope.bytes(reason(code, message), null);
        response.setContentType(Envelope.JSON);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    private static String reason(int status, String reason) {
        String base = HttpStatus.getMessage(status);
        return reason == null || reason.isBlank() || reason.equals(base)
                ? base.toLowerCase(java.util.Locale.ROOT)
                : RequestBodies.oneLine(reason);
    }
}

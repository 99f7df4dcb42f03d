package io.kingbus.admin;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HttpUrlTest {

    @ParameterizedTest
    @CsvSource({
            "http://192.168.1.150:9698, http, 192.168.1.150, 9698, http://192.168.1.150:9698",
            "HTTP://Kingbus-0.Kingbus:9696/, http, kingbus-0.kingbus, 9696, http://kingbus-0.kingbus:9696",
            "' https://h:443 ', https, h, 443, https://h:443",
            "http://[::1]:9696, http, ::1, 9696, http://[::1]:9696",
            "http://[FE80::1]:1, http, fe80::1, 1, http://[fe80::1]:1"})
    void parses(String text, String scheme, String host, int port, String normalized) {
        HttpUrl u = HttpUrl.parse(text);
        assertThat(u.scheme()).isEqualTo(scheme);
        assertThat(u.host()).isEqualTo(host);
        assertThat(u.port()).isEqualTo(port);
        assertThat(u.toString()).isEqualTo(normalized);
        assertThat(HttpUrl.parse(u.toString())).isEqualTo(u);
    }

    @ParameterizedTest
    @CsvSource({
            "'', is empty",
            "192.168.1.1:9696, expected http://host:port",
            "http://h, has no port",
            "http://h:0, has port 0, not 1..65535",
            "http://h:65536, has port 65536",
            "http://:80, expected http://host:port",
            "ftp://h:1, scheme 'ftp'",
            "http://u:p@h:1, user info",
            "http://h:1/path, must not have a path",
            "http://h:1?q=1, query",
            "http://h:1#f, query or fragment",
            "http://h h:1, not a URL",
            "mailto:x@y, no http:// scheme"})
    void refuses(String text, String reason) {
        assertThatThrownBy(() -> HttpUrl.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void helpers() {
        HttpUrl u = HttpUrl.parse("http://h:1");
        assertThat(u.resolve("/members")).isEqualTo("http://h:1/members");
        assertThat(u.resolve("members")).isEqualTo("http://h:1/members");
        assertThat(u.hostPort()).isEqualTo("h:1");
        assertThat(u.isWildcard()).isFalse();
        assertThat(HttpUrl.parse("http://0.0.0.0:1").isWildcard()).isTrue();
        assertThat(HttpUrl.parse("http://[::]:1").isWildcard()).isTrue();
    }
}

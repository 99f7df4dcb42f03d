package io.kingbus.raft;

import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class RaftSettingsOverrideTest {
    @Test
    void systemPropertiesNamedByRatisKeysOverrideKingbusChoicesAndNothingElseGetsIn() {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 6);
        Properties system = new Properties();
        system.setProperty("raft.server.log.segment.cache.num.max", "2");
        system.setProperty("kingbus.syncer.min-free-bytes", "1");
        RaftNode.applyOverrides(p, system);
        assertThat(RaftServerConfigKeys.Log.segmentCacheNumMax(p)).isEqualTo(2);
        assertThat(p.get("kingbus.syncer.min-free-bytes")).isNull();
    }
}

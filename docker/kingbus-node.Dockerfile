# kingbus-node: one kingbus node (binlog store, raft member, admin API, binlog server).
# Build context: a directory holding kingbus-node.jar (the shaded jar from kingbus-node/target/); docker/build
# prepares it. Needs a Docker engine: see docker/build.
FROM eclipse-temurin:17-jre

# A fixed non-root uid/gid, so a PersistentVolume's ownership (fsGroup 10001) matches across image versions.
RUN groupadd --system --gid 10001 kingbus \
 && useradd --system --uid 10001 --gid kingbus --home-dir /var/lib/kingbus --no-create-home --shell /usr/sbin/nologin kingbus \
 && mkdir -p /var/lib/kingbus \
 && chown kingbus:kingbus /var/lib/kingbus

COPY kingbus-node.jar /opt/kingbus/kingbus-node.jar

# The binlog files, the RocksDB index and the raft log live here (data-dir, e.g. KINGBUS_DATA_DIR=/var/lib/kingbus/data);
# without any configuration the embedded single-node default keeps its ./data here too.
VOLUME /var/lib/kingbus
WORKDIR /var/lib/kingbus

# admin API, raft peer, binlog server (MySQL replication protocol)
EXPOSE 9595 9696 3390

USER 10001:10001
# Configuration comes from KINGBUS_<KEY> environment variables or --config FILE; JVM options from JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/kingbus/kingbus-node.jar"]
CMD ["node"]

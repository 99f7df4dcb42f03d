# kingbus-node: one kingbus node (binlog store, raft member, admin API, binlog server).
# Build context: a directory holding kingbus-node.jar (the shaded jar from kingbus-node/target/) and
# kingbus-node.sh; docker/build prepares it. Needs a Docker engine: see docker/build.
FROM eclipse-temurin:17-jre

COPY kingbus-node.jar /opt/kingbus/kingbus-node.jar
# `kingbus` on the PATH, as the operator's pod entrypoint expects.
COPY kingbus-node.sh /usr/local/bin/kingbus

# A fixed non-root uid/gid: give the pods fsGroup 10001 so the data volume is writable.
# (chmod here rather than COPY --chmod, which the classic builder without BuildKit rejects.)
RUN groupadd --system --gid 10001 kingbus \
 && useradd --system --uid 10001 --gid kingbus --home-dir /var/lib/kingbus --no-create-home --shell /usr/sbin/nologin kingbus \
 && mkdir -p /var/lib/kingbus \
 && chown kingbus:kingbus /var/lib/kingbus \
 && chmod 0755 /usr/local/bin/kingbus

# The binlog files, the RocksDB index and the raft log (data-dir; the operator mounts each pod's volume here).
# Without any configuration the embedded single-node default keeps its ./data here too.
VOLUME /var/lib/kingbus
WORKDIR /var/lib/kingbus

# admin API, raft peer, binlog server (MySQL replication protocol)
EXPOSE 9595 9696 3390

USER 10001:10001
# Configuration comes from KINGBUS_<KEY> environment variables or --config FILE.
ENTRYPOINT ["kingbus"]
CMD ["node"]

# kingbus-operator: the Kubernetes operator for KingbusCluster and BinlogSyncer.
# Build context: a directory holding kingbus-operator.jar (from kingbus-operator/target/); docker/build prepares it.
# Needs a Docker engine: see docker/build.
FROM eclipse-temurin:17-jre

RUN groupadd --system --gid 10001 kingbus \
 && useradd --system --uid 10001 --gid kingbus --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kingbus

COPY kingbus-operator.jar /opt/kingbus/kingbus-operator.jar

# Prometheus metrics (--metrics-port; the chart's metrics.port)
EXPOSE 8080

USER 10001:10001
# Talks to the API server with the pod's service account. Flags: --namespace NS (repeatable; none: all
# namespaces), --metrics-port PORT. JVM options from JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/kingbus/kingbus-operator.jar"]

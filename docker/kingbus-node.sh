#!/bin/sh
# /usr/local/bin/kingbus in the kingbus-node image: the same command as bin/kingbus in the repository.
# The operator's pods run `kingbus node --config ...` through their entrypoint script; JVM options come from
# KINGBUS_JAVA_OPTS (default: size the heap from the container's memory limit).
# -XX:CompileThresholdScaling=0.25 -XX:G1HeapRegionSize=4m as bin/kingbus has them (see there why).
# shellcheck disable=SC2086 # KINGBUS_JAVA_OPTS is a list of JVM options
exec java -XX:CompileThresholdScaling=0.25 -XX:G1HeapRegionSize=4m ${KINGBUS_JAVA_OPTS:--XX:MaxRAMPercentage=75} -jar /opt/kingbus/kingbus-node.jar "$@"

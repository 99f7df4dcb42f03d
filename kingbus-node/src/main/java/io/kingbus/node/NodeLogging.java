package io.kingbus.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/** Applies the config's {@code log-level} and {@code log-dir} to logback (stderr stays on). */
final class NodeLogging {
    private NodeLogging() {
    }

    static void apply(NodeConfig config) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J binding: leave logging to it
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (config.logLevel() != null) {
            root.setLevel(Level.toLevel(config.logLevel(), Level.INFO));
        }
        if (config.logDir() != null) {
            root.addAppender(fileAppender(context, config.logDir(), config.name()));
        }
    }

    /** {@code <log-dir>/<name>.log}, rolled daily and at 100 MB, 14 files and 2 GB kept. */
    private static RollingFileAppender<ch.qos.logback.classic.spi.ILoggingEvent> fileAppender(
            LoggerContext context, Path dir, String name) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n");
        encoder.start();
        RollingFileAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender = new RollingFileAppender<>();
        appender.setContext(context);
        appender.setName("kingbus-file");
        appender.setFile(dir.resolve(name + ".log").toString());
        SizeAndTimeBasedRollingPolicy<ch.qos.logback.classic.spi.ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(context);
        policy.setParent(appender);
        policy.setFileNamePattern(dir.resolve(name + ".%d{yyyy-MM-dd}.%i.log").toString());
        policy.setMaxFileSize(FileSize.valueOf("100MB"));
        policy.setMaxHistory(14);
        policy.setTotalSizeCap(FileSize.valueOf("2GB"));
        policy.start();
        appender.setRollingPolicy(policy);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}

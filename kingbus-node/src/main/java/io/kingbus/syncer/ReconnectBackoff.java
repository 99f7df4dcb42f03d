package io.kingbus.syncer;

import java.time.Duration;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Delays between reconnect attempts: exponential from {@code initial} by {@code multiplier}, capped at {@code max},
 * each reduced by a random fraction of up to {@code jitter} (so many replicas of one primary do not reconnect in
 * step). After a session that stayed healthy for {@code healthyAfter}, the next delay starts from {@code initial}
 * again. Not thread-safe (one reconnect loop uses it).
 *
 * <pre>{@code
 * ReconnectBackoff backoff = ReconnectBackoff.defaults();
 * while (!stopped) {
 *     DumpConfig c = base.toBuilder().gtids(store.executedGtids()).build();   // resume where the store ends
 *     BinlogDumpClient client = new BinlogDumpClient(c, listener);         // listener.onConnected: backoff.sessionStarted()
 *     try { client.start().join(); } catch (CompletionException e) { ... report e.getCause() ... }
 *     sleep(backoff.nextDelay());
 * }
 * }</pre>
 */
public final class ReconnectBackoff {
    private final Duration initial;
    private final Duration max;
    private final double multiplier;
    private final double jitter;
    private final Duration healthyAfter;
    private final LongSupplier nanoTime;
    private final Random random;

    private int failures;
    private long sessionStartedNanos = -1;

    public ReconnectBackoff(Duration initial, Duration max, double multiplier, double jitter, Duration healthyAfter,
                            LongSupplier nanoTime, Random random) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("need 0 < initial <= max");
        }
        if (multiplier < 1 || jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("need multiplier >= 1 and jitter in 0..1");
        }
        this.initial = initial;
        this.max = max;
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.healthyAfter = healthyAfter;
        this.nanoTime = nanoTime;
        this.random = random;
    }

    /** 0.5 s doubling up to 30 s, 20 % jitter, reset after 60 s of healthy streaming. */
    public static ReconnectBackoff defaults() {
        return new ReconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(30), 2.0, 0.2, Duration.ofSeconds(60),
                System::nanoTime, new Random());
    }

    /** The session is up (logged in, streaming): the healthy-period clock starts. */
    public void sessionStarted() {
        sessionStartedNanos = nanoTime.getAsLong();
    }

    /** A session ended or an attempt failed: how long to wait before the next attempt. */
    public Duration nextDelay() {
        if (sessionStartedNanos >= 0 && nanoTime.getAsLong() - sessionStartedNanos >= healthyAfter.toNanos()) {
            failures = 0;
        }
        sessionStartedNanos = -1;
        double base = initial.toNanos() * Math.pow(multiplier, Math.min(failures, 62));
        base = Math.min(base, max.toNanos());
        failures++;
        double delay = base * (1 - jitter * random.nextDouble());
        return Duration.ofNanos(Math.max(1, (long) delay));
    }

    /** Forget past failures (e.g. after the operator changed the configuration). */
    public void reset() {
        failures = 0;
        sessionStartedNanos = -1;
    }

    /** Consecutive failures counted since the last reset. */
    public int failures() {
        return failures;
    }
}

package io.kingbus.syncer;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReconnectBackoffTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private ReconnectBackoff backoff(double jitter) {
        return new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, jitter, Duration.ofSeconds(30),
                now::get, new Random(3));
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void growsExponentiallyUpToTheCap() {
        ReconnectBackoff b = backoff(0);
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(200));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(400));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(800));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(1600));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(3200));
        for (int i = 0; i < 100; i++) {
            assertThat(b.nextDelay()).isEqualTo(Duration.ofSeconds(5));
        }
        assertThat(b.failures()).isEqualTo(106);
    }

    @Test
    void jitterOnlyShortensAndStaysWithinItsFraction() {
        ReconnectBackoff b = backoff(0.25);
        long distinct = 0;
        Duration previous = null;
        for (int i = 0; i < 200; i++) {
            Duration d = b.nextDelay();
            long cap = Math.min(5000, 100L << Math.min(i, 20));
            assertThat(d.toMillis()).isBetween((long) (cap * 0.75) - 1, cap);
            if (!d.equals(previous)) {
                distinct++;
            }
            previous = d;
        }
        assertThat(distinct).isGreaterThan(150); // at the cap the delays still differ
    }

    @Test
    void aHealthySessionResetsTheBackoff() {
        ReconnectBackoff b = backoff(0);
        for (int i = 0; i < 6; i++) {
            b.nextDelay();
        }
        // a session that fails after 10 s is not healthy yet: the backoff keeps growing
        b.sessionStarted();
        advance(Duration.ofSeconds(10));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofSeconds(5));
        // one that streamed for 30 s is: start over
        b.sessionStarted();
        advance(Duration.ofSeconds(30));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(100));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(200));
        // the healthy clock counts only from sessionStarted()
        advance(Duration.ofMinutes(5));
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(400));
        b.reset();
        assertThat(b.nextDelay()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void defaultsAndValidation() {
        ReconnectBackoff d = ReconnectBackoff.defaults();
        assertThat(d.nextDelay()).isBetween(Duration.ofMillis(400), Duration.ofMillis(500));
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ZERO, Duration.ofSeconds(1), 2, 0, Duration.ZERO,
                System::nanoTime, new Random())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0, Duration.ZERO,
                System::nanoTime, new Random())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1), 0.5, 0,
                Duration.ZERO, System::nanoTime, new Random())).isInstanceOf(IllegalArgumentException.class);
    }
}

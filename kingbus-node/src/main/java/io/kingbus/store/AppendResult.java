package io.kingbus.store;

/**
 * What one append batch did.
 *
 * @param appended events written
 * @param skipped  events already stored (replays, resent transactions), heartbeats and format-only events
 * @param file     the file the store writes to afterwards
 * @param committedEnd the end of the last complete transaction in that file
 */
public record AppendResult(int appended, int skipped, String file, long committedEnd) {
}

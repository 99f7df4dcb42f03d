package io.kingbus.store;

import org.rocksdb.NativeLibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where RocksDB's JNI library is unpacked. By default RocksDB copies its 17 MB library to a new temp file per process
 * and deletes it only on a clean JVM exit, so every node that is killed (kill -9, an OOM kill, a power cut) leaves
 * one behind in /tmp. A node unpacks it under its data directory instead, under a fixed name that the next start
 * overwrites. Must run before any RocksDB class is loaded (they unpack the library when initialised); it touches
 * only RocksDB's loader.
 */
public final class RocksDbLibrary {
    private static final Logger log = LoggerFactory.getLogger(RocksDbLibrary.class);
    private static boolean loaded;

    /** Loads the library from {@code dir} (created if missing), unpacking it there; at most once per JVM. */
    public static synchronized void loadFrom(Path dir) {
        if (loaded) {
            return;
        }
        loaded = true;
        try {
            Files.createDirectories(dir);
            NativeLibraryLoader.getInstance().loadLibrary(dir.toAbsolutePath().toString());
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            // e.g. a data volume mounted noexec: RocksDB falls back to its temp file when first used
            log.warn("RocksDB's native library could not be loaded from {} ({}); it is unpacked to the temp directory "
                    + "instead", dir, e.toString());
        }
    }

    private RocksDbLibrary() {
    }
}

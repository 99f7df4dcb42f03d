package io.kingbus.protocol;

/** Collation ids of the handshake and column definitions. */
public final class CharacterSets {
    public static final int LATIN1_SWEDISH_CI = 8;
    public static final int UTF8_GENERAL_CI = 33;
    public static final int UTF8MB4_GENERAL_CI = 45;
    public static final int BINARY = 63;
    /** MySQL 8.0's default collation; a handshake byte can only carry ids up to 255. */
    public static final int UTF8MB4_0900_AI_CI = 255;

    private CharacterSets() {
    }
}

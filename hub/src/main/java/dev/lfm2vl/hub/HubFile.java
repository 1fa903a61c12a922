package dev.lfm2vl.hub;

import java.util.Locale;

/**
 * One file at the top level of a hub repository.
 *
 * @param name   the file name (no folders)
 * @param size   the size in bytes (the LFS size for LFS files)
 * @param sha256 the lower-case hex SHA-256 of the content (the LFS oid), or null when the hub gives none
 */
public record HubFile(String name, long size, String sha256) {

    public HubFile {
        if (!validName(name)) {
            throw new HubException("invalid file name in listing: '" + name + "'");
        }
        if (size < 0) {
            throw new HubException("invalid size " + size + " for " + name + " in listing");
        }
        if (sha256 != null) {
            sha256 = sha256.toLowerCase(Locale.ROOT);
            if (!sha256.matches("[0-9a-f]{64}")) {
                throw new HubException("invalid sha256 '" + sha256 + "' for " + name + " in listing");
            }
        }
    }

    /** A plain file name that is safe to use inside the cache folder. */
    static boolean validName(String name) {
        return name != null && !name.isEmpty() && name.length() <= 255 && !name.equals(".") && !name.equals("..")
                && name.indexOf('/') < 0 && name.indexOf('\\') < 0 && name.indexOf('\0') < 0
                && !name.startsWith(".listing") && !name.endsWith(".part");
    }
}

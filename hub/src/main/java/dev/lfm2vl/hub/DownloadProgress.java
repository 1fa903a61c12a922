package dev.lfm2vl.hub;

/**
 * Receives download progress. Called on the downloading thread, often (once per buffer), so implementations
 * should be cheap and throttle their own output. Files already complete in the cache report nothing.
 */
public interface DownloadProgress {

    /** Reports nothing. */
    DownloadProgress NONE = (file, done, total) -> { };

    /**
     * @param file  the file name
     * @param done  bytes of the file on disk so far (a resumed download starts above 0; may go back to 0 when the
     *              server ignores a resume request and the download restarts)
     * @param total the file's size in bytes
     */
    void update(String file, long done, long total);

    /** The file is complete and verified (called once per downloaded file). */
    default void finished(String file) {
    }
}

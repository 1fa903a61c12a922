package dev.lfm2vl.runtime.hub;

/**
 * A hub or cache failure the user can act on. The message is one complete line meant to be printed as is
 * (never contains the token); the cause, if any, is for debugging only.
 */
public final class HubException extends RuntimeException {

    public HubException(String message) {
        super(message);
    }

    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}

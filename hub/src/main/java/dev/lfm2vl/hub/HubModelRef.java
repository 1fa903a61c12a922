package dev.lfm2vl.hub;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A model on the hub: a repository {@code owner/name} and a quantisation name such as {@code Q4_0}.
 *
 * @param repo  {@code owner/name}, e.g. {@code LiquidAI/LFM2-VL-3B-GGUF}
 * @param quant the quantisation token, upper case, e.g. {@code Q4_0}
 */
public record HubModelRef(String repo, String quant) {

    public static final String DEFAULT_REPO = "LiquidAI/LFM2-VL-3B-GGUF";
    public static final String DEFAULT_QUANT = "Q4_0";

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?");
    private static final Pattern QUANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_]{0,31}");

    public HubModelRef {
        if (repo == null || !validRepo(repo)) {
            throw HubException.badRequest("invalid repository '" + repo + "': expected OWNER/NAME, e.g. " + DEFAULT_REPO);
        }
        if (quant == null || !QUANT.matcher(quant).matches()) {
            throw HubException.badRequest("invalid quant '" + quant + "': expected a name such as Q4_0, Q8_0 or F16");
        }
        quant = quant.toUpperCase(Locale.ROOT);
    }

    /** The default model, {@code LiquidAI/LFM2-VL-3B-GGUF:Q4_0}. */
    public static HubModelRef defaults() {
        return new HubModelRef(DEFAULT_REPO, DEFAULT_QUANT);
    }

    /**
     * Parses {@code REPO[:QUANT]}. An empty or null spec is the default model; a missing quant is
     * {@value #DEFAULT_QUANT}; {@code :QUANT} alone is the default repository with that quant.
     *
     * @throws HubException if the repository is not {@code owner/name} or the quant is not a plain token
     */
    public static HubModelRef parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return defaults();
        }
        String s = spec.strip();
        int colon = s.lastIndexOf(':');
        String repo = colon < 0 ? s : s.substring(0, colon);
        String quant = colon < 0 ? DEFAULT_QUANT : s.substring(colon + 1);
        if (repo.isEmpty()) {
            repo = DEFAULT_REPO;
        }
        if (!validRepo(repo)) {
            throw HubException.badRequest("invalid --hf value '" + spec + "': expected OWNER/NAME[:QUANT], e.g. "
                    + DEFAULT_REPO + ":" + DEFAULT_QUANT);
        }
        if (!QUANT.matcher(quant).matches()) {
            throw HubException.badRequest("invalid quant in --hf value '" + spec + "': expected e.g. Q4_0, Q8_0 or F16");
        }
        return new HubModelRef(repo, quant);
    }

    /** The owner part of {@link #repo()}. */
    public String owner() {
        return repo.substring(0, repo.indexOf('/'));
    }

    /** The name part of {@link #repo()}. */
    public String name() {
        return repo.substring(repo.indexOf('/') + 1);
    }

    @Override
    public String toString() {
        return repo + ":" + quant;
    }

    static boolean validRepo(String repo) {
        int slash = repo.indexOf('/');
        if (slash < 0 || repo.indexOf('/', slash + 1) >= 0) {
            return false;
        }
        String owner = repo.substring(0, slash);
        String name = repo.substring(slash + 1);
        return PART.matcher(owner).matches() && PART.matcher(name).matches()
                && !repo.contains("..") && !repo.contains("--");
    }
}

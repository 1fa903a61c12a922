package dev.lfm2vl.hub;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Picks the text GGUF and the vision projector ({@code mmproj}) GGUF of a quant from a repository listing.
 *
 * <p>Rules (names compared case-insensitively):
 * <ul>
 *   <li>A GGUF is a file whose name ends in {@code .gguf}; an mmproj GGUF is one whose name starts with
 *       {@code mmproj}; every other GGUF is a text GGUF.</li>
 *   <li>A name <em>contains the quant as a token</em> when the quant occurs in it with no letter or digit right
 *       before it and no letter, digit or {@code _} right after it ({@code Q4_0} matches {@code LFM2-VL-3B-Q4_0.gguf}
 *       and {@code x_Q4_0.gguf}, not {@code IQ4_0} nor {@code Q4_0_4_4}; {@code Q4_K} does not match
 *       {@code Q4_K_M}).</li>
 *   <li>Text GGUF: among the text GGUFs containing the quant token, the one ending exactly in
 *       {@code -QUANT.gguf}; otherwise the shortest name (then alphabetical). None: an error listing the
 *       available quants. Split GGUFs ({@code -00001-of-00003.gguf}) are refused.</li>
 *   <li>mmproj GGUF: the one containing the same quant token; else the {@code F16} one; else the {@code Q8_0} one;
 *       else the only mmproj if there is exactly one; else an error listing them. A repository without any mmproj
 *       GGUF gives none (a text-only model).</li>
 * </ul>
 * The quant of a name (for listing what is available) is the last {@code -}/{@code .}-separated token that looks
 * like a GGUF type ({@code Q4_0}, {@code Q4_K_M}, {@code IQ4_XS}, {@code F16}, {@code BF16}, {@code MXFP4}, ...).
 */
public final class GgufSelector {

    private static final Pattern QUANT_TOKEN = Pattern.compile(
            "(?i)(?:[IT]?Q[0-9]+(?:_[A-Z0-9]+)*|B?F(?:16|32|64)|MXFP[0-9]+(?:_[A-Z0-9]+)*)");
    private static final Pattern SPLIT = Pattern.compile("(?i)-\\d{5}-of-\\d{5}\\.gguf$");

    /** The chosen files; {@code mmproj} is null when the repository has no mmproj GGUF. */
    public record Selection(HubFile model, HubFile mmproj) {
    }

    private GgufSelector() {
    }

    /**
     * Selects the files of {@code ref.quant()} from {@code listing}.
     *
     * @param where how to name the listing's origin in errors, e.g. "LiquidAI/LFM2-VL-3B-GGUF" or
     *              "the cached listing of LiquidAI/LFM2-VL-3B-GGUF"
     * @throws HubException if the quant is missing (listing the available ones) or the choice is ambiguous
     */
    public static Selection select(HubListing listing, HubModelRef ref, String where) {
        String quant = ref.quant();
        List<HubFile> texts = new ArrayList<>();
        List<HubFile> mmprojs = new ArrayList<>();
        for (HubFile f : listing.files()) {
            if (isGguf(f.name())) {
                (isMmproj(f.name()) ? mmprojs : texts).add(f);
            }
        }
        if (texts.isEmpty()) {
            throw HubException.badRequest(where + " has no text GGUF file");
        }
        List<HubFile> matches = texts.stream().filter(f -> hasQuantToken(f.name(), quant)).toList();
        if (matches.isEmpty()) {
            throw HubException.badRequest("quant " + quant + " not found in " + where + "; available quants: "
                    + String.join(", ", availableQuants(listing)));
        }
        String exactSuffix = ("-" + quant + ".gguf").toLowerCase(Locale.ROOT);
        HubFile model = matches.stream().filter(f -> f.name().toLowerCase(Locale.ROOT).endsWith(exactSuffix))
                .findFirst().orElseGet(() -> shortest(matches));
        if (SPLIT.matcher(model.name()).find()) {
            throw HubException.badRequest(model.name() + " in " + where
                    + " is split into several files, which is not supported; merge it with llama-gguf-split");
        }
        return new Selection(model, pickMmproj(mmprojs, quant, where));
    }

    private static HubFile pickMmproj(List<HubFile> mmprojs, String quant, String where) {
        if (mmprojs.isEmpty()) {
            return null;
        }
        for (String q : new String[] {quant, "F16", "Q8_0"}) {
            List<HubFile> m = mmprojs.stream().filter(f -> hasQuantToken(f.name(), q)).toList();
            if (!m.isEmpty()) {
                return shortest(m);
            }
        }
        if (mmprojs.size() == 1) {
            return mmprojs.get(0);
        }
        throw HubException.badRequest("cannot choose an mmproj file for quant " + quant + " in " + where + " among "
                + String.join(", ", mmprojs.stream().map(HubFile::name).toList()));
    }

    private static HubFile shortest(List<HubFile> files) {
        return files.stream()
                .min(Comparator.comparingInt((HubFile f) -> f.name().length()).thenComparing(HubFile::name))
                .orElseThrow();
    }

    /** The quants of the text GGUFs in the listing, sorted and distinct (upper case). */
    public static List<String> availableQuants(HubListing listing) {
        TreeSet<String> quants = new TreeSet<>();
        for (HubFile f : listing.files()) {
            if (isGguf(f.name()) && !isMmproj(f.name())) {
                String q = quantOf(f.name());
                quants.add(q != null ? q : f.name());
            }
        }
        return List.copyOf(quants);
    }

    /** The quant named in a GGUF file name, upper case, or null if none is recognisable. */
    public static String quantOf(String fileName) {
        String base = SPLIT.matcher(fileName).replaceFirst(".gguf");
        if (base.toLowerCase(Locale.ROOT).endsWith(".gguf")) {
            base = base.substring(0, base.length() - 5);
        }
        String[] tokens = base.split("[-.]");
        for (int k = tokens.length - 1; k >= 0; k--) {
            Matcher m = QUANT_TOKEN.matcher(tokens[k]);
            if (m.matches()) {
                return tokens[k].toUpperCase(Locale.ROOT);
            }
        }
        return null;
    }

    static boolean isGguf(String name) {
        return name.toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    static boolean isMmproj(String name) {
        return name.toLowerCase(Locale.ROOT).startsWith("mmproj");
    }

    /** Whether {@code name} contains {@code quant} as a separate token (see the class comment). */
    public static boolean hasQuantToken(String name, String quant) {
        String n = name.toLowerCase(Locale.ROOT);
        String q = quant.toLowerCase(Locale.ROOT);
        for (int at = n.indexOf(q); at >= 0; at = n.indexOf(q, at + 1)) {
            int end = at + q.length();
            boolean startOk = at == 0 || !Character.isLetterOrDigit(n.charAt(at - 1));
            boolean endOk = end == n.length() || !(Character.isLetterOrDigit(n.charAt(end)) || n.charAt(end) == '_');
            if (startOk && endOk) {
                return true;
            }
        }
        return false;
    }
}

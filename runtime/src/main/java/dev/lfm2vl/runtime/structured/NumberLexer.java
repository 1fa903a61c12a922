package dev.lfm2vl.runtime.structured;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A JSON number token written as {@code -?(0|[1-9][0-9]*)} for integers and {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?}
 * for numbers (no exponent), within optional bounds ({@code minimum}, {@code maximum} and the exclusive forms). A
 * prefix is kept only if some completion lies within the bounds: the values a prefix can still become form
 * intervals ("12" -> [12, 13) or [120, 130) ...), each checked against the bounds exactly with {@link BigDecimal}.
 * State: the text so far.
 */
final class NumberLexer extends Grammar.Lexer {
    private static final String NEXT = "0123456789.-";
    private static final int SEARCH_LIMIT = 20_000;

    private final boolean integer;
    private final BigDecimal lo;
    private final boolean loExclusive;
    private final BigDecimal hi;
    private final boolean hiExclusive;
    private final BigInteger intLo; // integer bounds, inclusive
    private final BigInteger intHi;
    private final int maxDigits;
    private final Map<String, Integer> memo = new HashMap<>();
    private final Map<String, Boolean> continues = new HashMap<>();
    /** The prefixes standing for all free ones ({@link #canonical}), once met. */
    private String freeIntegerPart;
    private String freeFraction;

    NumberLexer(boolean integer, BigDecimal lo, boolean loExclusive, BigDecimal hi, boolean hiExclusive) {
        this.integer = integer;
        this.lo = lo;
        this.loExclusive = loExclusive;
        this.hi = hi;
        this.hiExclusive = hiExclusive;
        this.intLo = lo == null ? null : loExclusive ? floor(lo).add(BigInteger.ONE) : lo.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
        this.intHi = hi == null ? null : hiExclusive ? hi.setScale(0, RoundingMode.CEILING).toBigIntegerExact().subtract(BigInteger.ONE) : floor(hi);
        int digits = 0;
        for (BigDecimal b : new BigDecimal[] {lo, hi}) {
            if (b != null) {
                digits = Math.max(digits, floor(b.abs()).toString().length());
            }
        }
        this.maxDigits = digits + 2;
    }

    private static BigInteger floor(BigDecimal d) {
        return d.setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
    }

    private boolean bounded() {
        return lo != null || hi != null;
    }

    @Override
    Object start() {
        return "";
    }

    @Override
    Object step(Object state, int b) {
        if (b >= 128) {
            return null;
        }
        String p = (String) state + (char) b;
        return syntax(p) < 0 || minBytes(p) >= Grammar.INF ? null : canonical(p);
    }

    /**
     * One prefix for all those whose every completion is in bounds (always so without bounds) and that stand at the
     * same place of the syntax, in a nonzero integer part or in a fraction: only that place decides what may follow
     * (any digit, and the rest of the syntax), so they are one state and a long number is not a new state per digit
     * ({@link MaskCache}). The first such prefix met stands for the others.
     */
    private String canonical(String p) {
        boolean negative = p.startsWith("-");
        String body = negative ? p.substring(1) : p;
        int dot = body.indexOf('.');
        if (dot < 0 && !body.isEmpty() && body.charAt(0) != '0') { // digits of a nonzero integer part
            if (!freeInteger(new BigDecimal(body), negative)) {
                return p;
            }
            if (freeIntegerPart == null) {
                freeIntegerPart = p;
            }
            return freeIntegerPart;
        }
        if (dot >= 0 && dot < body.length() - 1) { // digits of a fraction
            BigDecimal from = new BigDecimal(body);
            if (!freeInterval(from, from.add(BigDecimal.ONE.movePointLeft(body.length() - dot - 1)), negative)) {
                return p;
            }
            if (freeFraction == null) {
                freeFraction = p;
            }
            return freeFraction;
        }
        return p;
    }

    /** Whether every value of magnitude at least {@code v} (with that sign) is in bounds. */
    private boolean freeInteger(BigDecimal v, boolean negative) {
        return negative ? lo == null && inBounds(v.negate()) : hi == null && inBounds(v);
    }

    /** Whether every value of magnitude in [from, to) (with that sign) is in bounds. */
    private boolean freeInterval(BigDecimal from, BigDecimal to, boolean negative) {
        if (negative) {
            return inBounds(from.negate()) && (lo == null || to.negate().compareTo(lo) >= 0);
        }
        return inBounds(from) && (hi == null || to.compareTo(hi) <= 0);
    }

    @Override
    boolean complete(Object state) {
        String p = (String) state;
        return syntax(p) == 1 && inBounds(new BigDecimal(p));
    }

    @Override
    boolean canContinue(Object state) {
        String p = (String) state;
        if (!bounded()) {
            return syntax(p) >= 0 && !(integer && (p.equals("0") || p.equals("-0"))); // numbers can always take a digit or a dot
        }
        Boolean known = continues.get(p);
        if (known == null) {
            known = continues(p);
            continues.put(p, known);
        }
        return known;
    }

    private boolean continues(String p) {
        for (int k = 0; k < NEXT.length(); k++) {
            String q = p + NEXT.charAt(k);
            if (syntax(q) >= 0 && reachable(q)) {
                return true;
            }
        }
        return false;
    }

    @Override
    int minBytes(Object state) {
        String p = (String) state;
        if (syntax(p) < 0) {
            return Grammar.INF;
        }
        if (!bounded()) {
            return syntax(p) == 1 ? 0 : 1; // "", "-" and "1." each need one digit
        }
        Integer known = memo.get(p);
        if (known != null) {
            return known;
        }
        int result = search(p);
        memo.put(p, result);
        return result;
    }

    /** Breadth-first over appended characters, keeping reachable prefixes, until a complete in-bounds number. */
    private int search(String p) {
        if (!reachable(p)) {
            return Grammar.INF;
        }
        ArrayDeque<String> level = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        level.add(p);
        int visited = 0;
        for (int depth = 0; !level.isEmpty(); depth++) {
            ArrayDeque<String> next = new ArrayDeque<>();
            for (String s : level) {
                if (syntax(s) == 1 && inBounds(new BigDecimal(s))) {
                    return depth;
                }
                for (int k = 0; k < NEXT.length(); k++) {
                    String q = s + NEXT.charAt(k);
                    if (syntax(q) >= 0 && seen.add(q) && reachable(q)) {
                        next.add(q);
                        if (++visited > SEARCH_LIMIT) {
                            return Grammar.INF; // treated as unreachable: never allowed, so never a dead end
                        }
                    }
                }
            }
            level = next;
        }
        return Grammar.INF;
    }

    /** -1: not a prefix of the number syntax; 0: a proper prefix; 1: a complete number. */
    int syntax(String p) {
        int n = p.length();
        int i = 0;
        if (i < n && p.charAt(i) == '-') {
            i++;
        }
        if (i == n) {
            return 0;
        }
        char c = p.charAt(i);
        if (c == '0') {
            i++;
        } else if (c >= '1' && c <= '9') {
            while (i < n && Character.isDigit(p.charAt(i))) {
                i++;
            }
        } else {
            return -1;
        }
        if (i == n) {
            return 1;
        }
        if (integer || p.charAt(i) != '.') {
            return -1;
        }
        i++;
        if (i == n) {
            return 0;
        }
        while (i < n && p.charAt(i) >= '0' && p.charAt(i) <= '9') {
            i++;
        }
        return i == n ? 1 : -1;
    }

    private boolean inBounds(BigDecimal v) {
        if (lo != null) {
            int c = v.compareTo(lo);
            if (c < 0 || (c == 0 && loExclusive)) {
                return false;
            }
        }
        if (hi != null) {
            int c = v.compareTo(hi);
            return c < 0 || (c == 0 && !hiExclusive);
        }
        return true;
    }

    /** Whether some completion of the (syntactically valid) prefix is in bounds. */
    boolean reachable(String p) {
        if (!bounded()) {
            return true;
        }
        boolean negative = p.startsWith("-");
        String body = negative ? p.substring(1) : p;
        int dot = body.indexOf('.');
        String intPart = dot < 0 ? body : body.substring(0, dot);
        if (intPart.isEmpty()) { // any magnitude
            return meets(BigDecimal.ZERO, null, negative);
        }
        if (dot >= 0) {
            String frac = body.substring(dot + 1);
            BigDecimal base = new BigDecimal(intPart + (frac.isEmpty() ? "" : "." + frac));
            return meets(base, base.add(BigDecimal.ONE.movePointLeft(frac.length())), negative);
        }
        if (intPart.equals("0")) {
            return meets(BigDecimal.ZERO, integer ? BigDecimal.ONE : BigDecimal.ONE, negative);
        }
        BigDecimal v = new BigDecimal(intPart);
        for (int k = 0; k <= maxDigits; k++) {
            if (meets(v.movePointRight(k), v.add(BigDecimal.ONE).movePointRight(k), negative)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the values with magnitude in [a, b) (b null: unbounded; for integers the integers in it), negated if
     * {@code negative}, meet the bounds.
     */
    private boolean meets(BigDecimal a, BigDecimal b, boolean negative) {
        if (integer) {
            BigInteger ia = a.setScale(0, RoundingMode.CEILING).toBigIntegerExact();
            BigInteger ib = b == null ? null : b.setScale(0, RoundingMode.CEILING).toBigIntegerExact().subtract(BigInteger.ONE);
            BigInteger from = negative ? (ib == null ? null : ib.negate()) : ia;
            BigInteger to = negative ? ia.negate() : ib;
            BigInteger l = max(from, intLo);
            BigInteger h = min(to, intHi);
            return l == null || h == null || l.compareTo(h) <= 0;
        }
        // values: [a, b) or, negated, (-b, -a]
        BigDecimal from = negative ? (b == null ? null : b.negate()) : a;
        boolean fromIn = !negative;
        BigDecimal to = negative ? a.negate() : b;
        boolean toIn = negative;
        // intersect with the bounds
        if (lo != null && (from == null || lo.compareTo(from) > 0 || (lo.compareTo(from) == 0 && loExclusive))) {
            from = lo;
            fromIn = !loExclusive;
        }
        if (hi != null && (to == null || hi.compareTo(to) < 0 || (hi.compareTo(to) == 0 && hiExclusive))) {
            to = hi;
            toIn = !hiExclusive;
        }
        if (from == null || to == null) {
            return true;
        }
        int c = from.compareTo(to);
        return c < 0 || (c == 0 && fromIn && toIn);
    }

    private static BigInteger max(BigInteger a, BigInteger b) {
        return a == null ? b : b == null ? a : a.max(b);
    }

    private static BigInteger min(BigInteger a, BigInteger b) {
        return a == null ? b : b == null ? a : a.min(b);
    }
}

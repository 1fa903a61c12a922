package dev.lfm2vl.runtime.structured;

import dev.lfm2vl.runtime.structured.Grammar.Alt;
import dev.lfm2vl.runtime.structured.Grammar.ArrBody;
import dev.lfm2vl.runtime.structured.Grammar.Lit;
import dev.lfm2vl.runtime.structured.Grammar.Node;
import dev.lfm2vl.runtime.structured.Grammar.ObjBody;
import dev.lfm2vl.runtime.structured.Grammar.Ref;
import dev.lfm2vl.runtime.structured.Grammar.Seq;
import dev.lfm2vl.loader.json.Json;
import dev.lfm2vl.loader.json.JsonException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema (parsed by {@link Json}) to a {@link Grammar}. First every keyword anywhere in the
 * document is checked against the supported set (README "Structured output"): anything else is refused with its
 * JSON pointer, never ignored. {@code allOf} is merged into one schema, {@code anyOf}/{@code oneOf} become
 * alternatives (each merged with its siblings), {@code $ref} becomes a rule that may be recursive.
 */
final class SchemaCompiler {
    static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties", "enum", "const",
            "$ref", "$defs", "definitions", "anyOf", "oneOf", "allOf", "minLength", "maxLength", "pattern", "format",
            "minItems", "maxItems", "items", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "nullable");
    /** Annotations: they do not constrain the value, so they are accepted and ignored. */
    static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "default",
            "examples", "deprecated", "readOnly", "writeOnly");
    static final Set<String> TYPES = Set.of("object", "array", "string", "number", "integer", "boolean", "null");
    static final Map<String, String> FORMATS = Map.of(
            "date", "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$",
            "time", "^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            "date-time", "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
            "uuid", "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            "email", "^[a-z0-9]+(\\.[a-z0-9]+)*@[a-z0-9]+(\\.[a-z0-9]+)*\\.(com|org|net)$");
    private static final int MAX_REF_INLINE = 32;

    private final Object root;
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Ref> rules = new HashMap<>();
    private final List<Ref> pending = new ArrayList<>();
    private Ref any;

    private SchemaCompiler(Object root) {
        this.root = root;
    }

    /** Parses and compiles schema text; the grammar's root node with every minimum computed. */
    static Node compile(String schemaText) {
        Object root;
        try {
            root = Json.parse(schemaText);
        } catch (JsonException e) {
            throw new SchemaException("schema is not valid JSON: " + e.reason() + " at offset " + e.offset());
        }
        check(root, "");
        SchemaCompiler c = new SchemaCompiler(root);
        Node top = c.compile(root, "", 0);
        while (!c.pending.isEmpty()) {
            Ref r = c.pending.removeLast();
            Object target = c.resolve(r.pointer, r.pointer);
            r.target = c.compile(target, r.pointer.substring(1), 0);
        }
        Grammar.computeMins(Grammar.reachable(top));
        if (top.min >= Grammar.INF) {
            throw new SchemaException("no finite JSON document satisfies the schema");
        }
        ParseState.start(top); // refuses recursion that never reads a byte
        return top;
    }

    // ---------------------------------------------------------------- keyword check

    /** Refuses anything outside the supported set, anywhere in the document. */
    static void check(Object schema, String pointer) {
        if (schema instanceof Boolean) {
            return;
        }
        if (!(schema instanceof Map<?, ?> m)) {
            throw SchemaException.at(pointer, "a schema must be an object or a boolean");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = (String) e.getKey();
            String at = pointer + "/" + escape(k);
            if (!SUPPORTED.contains(k) && !ANNOTATIONS.contains(k)) {
                throw SchemaException.at(at, "unsupported keyword '" + k + "'");
            }
            Object v = e.getValue();
            switch (k) {
                case "properties", "$defs", "definitions" -> {
                    if (!(v instanceof Map<?, ?> sub)) {
                        throw SchemaException.at(at, "'" + k + "' must be an object");
                    }
                    for (Map.Entry<?, ?> p : sub.entrySet()) {
                        check(p.getValue(), at + "/" + escape((String) p.getKey()));
                    }
                }
                case "items", "additionalProperties" -> {
                    if (v instanceof List) {
                        throw SchemaException.at(at, "'" + k + "' as an array (tuple validation) is not supported; use a schema");
                    }
                    check(v, at);
                }
                case "anyOf", "oneOf", "allOf" -> {
                    if (!(v instanceof List<?> l) || l.isEmpty()) {
                        throw SchemaException.at(at, "'" + k + "' must be a non-empty array of schemas");
                    }
                    for (int i = 0; i < l.size(); i++) {
                        check(l.get(i), at + "/" + i);
                    }
                }
                case "format" -> {
                    if (!(v instanceof String f) || !FORMATS.containsKey(f)) {
                        throw SchemaException.at(at, "unsupported format " + Json.write(v) + " (supported: date, time, date-time, uuid, email)");
                    }
                }
                case "pattern" -> {
                    if (!(v instanceof String p)) {
                        throw SchemaException.at(at, "'pattern' must be a string");
                    }
                    AsciiPattern.compile(p, at);
                }
                case "type" -> types(v, at);
                default -> {}
            }
        }
    }

    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    private static List<String> types(Object v, String at) {
        List<String> out = new ArrayList<>();
        if (v instanceof String s) {
            out.add(s);
        } else if (v instanceof List<?> l && !l.isEmpty()) {
            for (Object o : l) {
                if (!(o instanceof String s)) {
                    throw SchemaException.at(at, "'type' must be a string or an array of strings");
                }
                out.add(s);
            }
        } else {
            throw SchemaException.at(at, "'type' must be a string or a non-empty array of strings");
        }
        for (String s : out) {
            if (!TYPES.contains(s)) {
                throw SchemaException.at(at, "unknown type '" + s + "'");
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- compiling

    private <T extends Node> T node(T n) {
        nodes.add(n);
        if (n instanceof Seq s) {
            for (Node p : s.parts) {
                if (!nodes.contains(p) && (p instanceof Lit)) {
                    nodes.add(p);
                }
            }
        }
        return n;
    }

    private Node compile(Object schema, String pointer, int depth) {
        if (depth > 64) {
            throw SchemaException.at(pointer, "schema nested too deeply");
        }
        if (schema instanceof Boolean b) {
            if (!b) {
                throw SchemaException.at(pointer, "schema 'false' accepts nothing");
            }
            return any();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) schema);
        for (String a : ANNOTATIONS) {
            m.remove(a);
        }
        m.remove("$defs");
        m.remove("definitions");
        if (m.containsKey("$ref")) {
            if (m.size() > 1) {
                m.remove("$ref");
                throw SchemaException.at(pointer, "keywords beside '$ref' are not supported (" + String.join(", ", m.keySet()) + "); wrap them in allOf");
            }
            return ref((String) string(m.get("$ref"), pointer + "/$ref"), pointer + "/$ref");
        }
        if (m.containsKey("allOf")) {
            m = mergeAllOf(m, pointer, 0);
        }
        for (String alt : List.of("anyOf", "oneOf")) {
            if (m.containsKey(alt)) {
                List<?> branches = (List<?>) m.remove(alt);
                List<Node> options = new ArrayList<>();
                List<Map<String, Object>> mergedBranches = new ArrayList<>();
                for (int i = 0; i < branches.size(); i++) {
                    Map<String, Object> merged = new LinkedHashMap<>(m);
                    merged = merge(merged, inline(branches.get(i), pointer + "/" + alt + "/" + i, 0), pointer + "/" + alt + "/" + i);
                    mergedBranches.add(merged);
                    options.add(compile(new LinkedHashMap<>(merged), pointer + "/" + alt + "/" + i, depth + 1));
                }
                if (alt.equals("oneOf")) {
                    requireExclusive(mergedBranches, pointer + "/oneOf");
                }
                return node(new Alt(options.toArray(Node[]::new)));
            }
        }
        if (Boolean.TRUE.equals(m.remove("nullable"))) {
            Node inner = compile(m, pointer, depth + 1);
            return node(new Alt(inner, node(new Lit("null"))));
        }
        m.remove("nullable");
        List<String> types = m.containsKey("type") ? types(m.get("type"), pointer + "/type") : inferTypes(m);
        if (m.containsKey("const") || m.containsKey("enum")) {
            return literals(m, types, pointer);
        }
        if (types.isEmpty()) {
            return any();
        }
        List<Node> options = new ArrayList<>();
        for (String t : new LinkedHashSet<>(types)) {
            if (t.equals("number") && types.contains("integer")) {
                continue; // integers are numbers
            }
            options.add(typed(t, m, pointer, depth));
        }
        return options.size() == 1 ? options.get(0) : node(new Alt(options.toArray(Node[]::new)));
    }

    /**
     * oneOf is generated as anyOf, which is only right when no value can match two branches: refuse it unless the
     * branches differ by JSON type or by a property every branch requires with disjoint const/enum values (a
     * discriminator). Never generate an answer that could match two branches and fail validation.
     */
    private static void requireExclusive(List<Map<String, Object>> branches, String pointer) {
        List<Set<String>> types = new ArrayList<>();
        for (Map<String, Object> b : branches) {
            Set<String> t = new LinkedHashSet<>();
            if (b.containsKey("type")) {
                t.addAll(types(b.get("type"), pointer));
            } else if (b.containsKey("const") || b.containsKey("enum")) {
                for (Object v : literalValues(b)) {
                    t.add(typeOf(v));
                }
            } else {
                t.addAll(inferTypes(b));
            }
            if (t.contains("integer")) {
                t.add("number"); // an integer is a number
            } else if (t.contains("number")) {
                t.add("integer");
            }
            types.add(t);
        }
        boolean disjointTypes = true;
        for (int i = 0; i < types.size() && disjointTypes; i++) {
            for (int j = i + 1; j < types.size(); j++) {
                if (types.get(i).isEmpty() || types.get(j).isEmpty() || !java.util.Collections.disjoint(types.get(i), types.get(j))) {
                    disjointTypes = false;
                    break;
                }
            }
        }
        if (disjointTypes || hasDiscriminator(branches)) {
            return;
        }
        throw SchemaException.at(pointer, "'oneOf' branches that can match the same value are not supported: make them differ "
                + "by type or by a required property with different const/enum values, or use anyOf");
    }

    /** Whether some property is required by every branch and has const/enum values no two branches share. */
    private static boolean hasDiscriminator(List<Map<String, Object>> branches) {
        if (!(branches.get(0).get("properties") instanceof Map<?, ?> first)) {
            return false;
        }
        for (Object key : first.keySet()) {
            Set<String> seen = new LinkedHashSet<>();
            boolean ok = true;
            for (Map<String, Object> b : branches) {
                if (!(b.get("required") instanceof List<?> req) || !req.contains(key) || !(b.get("properties") instanceof Map<?, ?> props)
                        || !(props.get(key) instanceof Map<?, ?> prop) || !(prop.containsKey("const") || prop.containsKey("enum"))) {
                    ok = false;
                    break;
                }
                @SuppressWarnings("unchecked")
                List<Object> values = literalValues((Map<String, Object>) prop);
                for (Object v : values) {
                    if (!seen.add(Json.write(v))) {
                        ok = false;
                    }
                }
            }
            if (ok) {
                return true;
            }
        }
        return false;
    }

    private static List<Object> literalValues(Map<String, Object> m) {
        List<Object> values = new ArrayList<>();
        if (m.get("const") != null || m.containsKey("const")) {
            values.add(m.get("const"));
        }
        if (m.get("enum") instanceof List<?> l) {
            values.addAll(l);
        }
        return values;
    }

    private static List<String> inferTypes(Map<String, Object> m) {
        List<String> t = new ArrayList<>();
        if (m.containsKey("properties") || m.containsKey("required") || m.containsKey("additionalProperties")) {
            t.add("object");
        }
        if (m.containsKey("items") || m.containsKey("minItems") || m.containsKey("maxItems")) {
            t.add("array");
        }
        if (m.containsKey("minLength") || m.containsKey("maxLength") || m.containsKey("pattern") || m.containsKey("format")) {
            t.add("string");
        }
        if (m.containsKey("minimum") || m.containsKey("maximum") || m.containsKey("exclusiveMinimum") || m.containsKey("exclusiveMaximum")) {
            t.add("number");
        }
        return t;
    }

    private Node literals(Map<String, Object> m, List<String> types, String pointer) {
        for (String k : m.keySet()) { // the values are emitted as written: no other keyword may narrow them
            if (!k.equals("const") && !k.equals("enum") && !k.equals("type")) {
                throw SchemaException.at(pointer + "/" + k, "'" + k + "' beside 'enum'/'const' is not supported: list only the values it allows");
            }
        }
        List<Object> values = new ArrayList<>();
        String at = pointer + (m.containsKey("const") ? "/const" : "/enum");
        if (m.containsKey("const")) {
            values.add(m.get("const"));
        }
        if (m.containsKey("enum")) {
            if (!(m.get("enum") instanceof List<?> l) || l.isEmpty()) {
                throw SchemaException.at(pointer + "/enum", "'enum' must be a non-empty array");
            }
            if (m.containsKey("const")) {
                values.removeIf(v -> l.stream().noneMatch(e -> Json.write(e).equals(Json.write(v))));
            } else {
                values.addAll(l);
            }
        }
        List<Node> options = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Object v : values) {
            if (!types.isEmpty() && !types.contains(typeOf(v)) && !(typeOf(v).equals("integer") && types.contains("number"))) {
                continue;
            }
            String text = Json.write(v);
            if (seen.add(text)) {
                options.add(node(new Lit(text)));
            }
        }
        if (options.isEmpty()) {
            throw SchemaException.at(at, "no enum/const value has the schema's type");
        }
        return options.size() == 1 ? options.get(0) : node(new Alt(options.toArray(Node[]::new)));
    }

    private static String typeOf(Object v) {
        return switch (v) {
            case Map<?, ?> x -> "object";
            case List<?> x -> "array";
            case String x -> "string";
            case Boolean x -> "boolean";
            case BigDecimal d -> d.stripTrailingZeros().scale() <= 0 ? "integer" : "number";
            default -> "null";
        };
    }

    private Node typed(String type, Map<String, Object> m, String pointer, int depth) {
        return switch (type) {
            case "null" -> node(new Lit("null"));
            case "boolean" -> node(new Alt(node(new Lit("true")), node(new Lit("false"))));
            case "string" -> {
                int min = count(m, "minLength", pointer, 0);
                int max = count(m, "maxLength", pointer, Integer.MAX_VALUE);
                if ("email".equals(m.get("format"))) {
                    max = Math.min(max, 60); // RFC 5321: local part <= 64 octets, domain labels <= 63
                }
                if (min > max) {
                    throw SchemaException.at(pointer, "minLength " + min + " > maxLength " + max);
                }
                AsciiPattern p = null;
                if (m.containsKey("pattern") && m.containsKey("format")) {
                    throw SchemaException.at(pointer + "/pattern", "'pattern' together with 'format' is not supported");
                }
                if (m.containsKey("pattern")) {
                    p = AsciiPattern.compile((String) m.get("pattern"), pointer + "/pattern");
                } else if (m.containsKey("format")) {
                    p = AsciiPattern.compile(FORMATS.get((String) m.get("format")), pointer + "/format");
                }
                yield node(new StringLexer(min, max, p, null));
            }
            case "integer", "number" -> {
                BigDecimal lo = number(m, "minimum", pointer);
                BigDecimal hi = number(m, "maximum", pointer);
                boolean loEx = false;
                boolean hiEx = false;
                Object exMin = m.get("exclusiveMinimum");
                if (exMin instanceof Boolean b) { // draft 4
                    loEx = b && lo != null;
                } else if (exMin != null) {
                    BigDecimal e = number(m, "exclusiveMinimum", pointer);
                    if (lo == null || e.compareTo(lo) >= 0) {
                        lo = e;
                        loEx = true;
                    }
                }
                Object exMax = m.get("exclusiveMaximum");
                if (exMax instanceof Boolean b) {
                    hiEx = b && hi != null;
                } else if (exMax != null) {
                    BigDecimal e = number(m, "exclusiveMaximum", pointer);
                    if (hi == null || e.compareTo(hi) <= 0) {
                        hi = e;
                        hiEx = true;
                    }
                }
                yield node(new NumberLexer(type.equals("integer"), lo, loEx, hi, hiEx));
            }
            case "array" -> {
                Object items = m.get("items");
                Node item = items == null ? any() : compile(items, pointer + "/items", depth + 1);
                int min = count(m, "minItems", pointer, 0);
                int max = count(m, "maxItems", pointer, -1);
                if (max >= 0 && min > max) {
                    throw SchemaException.at(pointer, "minItems " + min + " > maxItems " + max);
                }
                ArrBody body = node(new ArrBody(item, min, max));
                nodes.add(body.later);
                nodes.add(body.close);
                yield node(new Seq(node(new Lit("[")), body));
            }
            default -> { // object
                Map<String, Object> props = new LinkedHashMap<>();
                if (m.get("properties") instanceof Map<?, ?> p) {
                    for (Map.Entry<?, ?> e : p.entrySet()) {
                        props.put((String) e.getKey(), e.getValue());
                    }
                }
                Set<String> required = new LinkedHashSet<>();
                if (m.containsKey("required")) {
                    if (!(m.get("required") instanceof List<?> l)) {
                        throw SchemaException.at(pointer + "/required", "'required' must be an array of strings");
                    }
                    Object ap = m.get("additionalProperties");
                    for (Object o : l) {
                        required.add((String) string(o, pointer + "/required"));
                        if (!props.containsKey(o) && Boolean.FALSE.equals(ap)) {
                            throw SchemaException.at(pointer + "/required", "required property '" + o + "' is forbidden by additionalProperties false");
                        }
                        props.putIfAbsent((String) o, ap == null ? Boolean.TRUE : ap);
                    }
                }
                String[] names = props.keySet().toArray(String[]::new);
                boolean[] req = new boolean[names.length];
                Node[] values = new Node[names.length];
                for (int k = 0; k < names.length; k++) {
                    req[k] = required.contains(names[k]);
                    values[k] = compile(props.get(names[k]), pointer + "/properties/" + escape(names[k]), depth + 1);
                }
                Object ap = m.get("additionalProperties");
                Node extra = ap == null || Boolean.FALSE.equals(ap) ? null : compile(ap, pointer + "/additionalProperties", depth + 1);
                ObjBody body = node(new ObjBody(names, req, values, extra));
                for (Node c : body.children()) {
                    nodes.add(c);
                    if (c instanceof Seq s) {
                        nodes.addAll(List.of(s.parts));
                    }
                }
                nodes.add(body.close);
                yield node(new Seq(node(new Lit("{")), body));
            }
        };
    }

    private static int count(Map<String, Object> m, String key, String pointer, int absent) {
        Object v = m.get(key);
        if (v == null) {
            return absent;
        }
        if (!(v instanceof BigDecimal d) || d.signum() < 0 || d.stripTrailingZeros().scale() > 0) {
            throw SchemaException.at(pointer + "/" + key, "'" + key + "' must be a non-negative integer");
        }
        return d.compareTo(BigDecimal.valueOf(1_000_000)) > 0 ? 1_000_000 : d.intValueExact();
    }

    private static BigDecimal number(Map<String, Object> m, String key, String pointer) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof BigDecimal d)) {
            throw SchemaException.at(pointer + "/" + key, "'" + key + "' must be a number");
        }
        return d;
    }

    private static Object string(Object v, String pointer) {
        if (!(v instanceof String)) {
            throw SchemaException.at(pointer, "expected a string");
        }
        return v;
    }

    /** Any JSON value (the schema {@code {}} or {@code true}): objects with any keys, arrays, strings, numbers, literals. */
    private Node any() {
        if (any == null) {
            any = node(new Ref("#any"));
            ObjBody obj = node(new ObjBody(new String[0], new boolean[0], new Node[0], any));
            for (Node c : obj.children()) {
                nodes.add(c);
                if (c instanceof Seq s) {
                    nodes.addAll(List.of(s.parts));
                }
            }
            nodes.add(obj.close);
            ArrBody arr = node(new ArrBody(any, 0, -1));
            nodes.add(arr.later);
            nodes.add(arr.close);
            for (Node p : ((Seq) arr.later).parts) {
                nodes.add(p);
            }
            any.target = node(new Alt(node(new Seq(node(new Lit("{")), obj)), node(new Seq(node(new Lit("[")), arr)),
                    node(new StringLexer(0, Integer.MAX_VALUE, null, null)), node(new NumberLexer(false, null, false, null, false)),
                    node(new Lit("true")), node(new Lit("false")), node(new Lit("null"))));
        }
        return any;
    }

    private Node ref(String ref, String at) {
        Ref r = rules.get(ref);
        if (r == null) {
            resolve(ref, at); // fails now if dangling
            r = node(new Ref(ref));
            rules.put(ref, r);
            pending.add(r);
        }
        return r;
    }

    /** The schema a local {@code $ref} ("#", "#/$defs/x", any "#/json/pointer") points at. */
    private Object resolve(String ref, String at) {
        if (!ref.startsWith("#")) {
            throw SchemaException.at(at, "only local $ref ('#...') is supported, got '" + ref + "'");
        }
        Object cur = root;
        String path = ref.substring(1);
        if (!path.isEmpty()) {
            if (!path.startsWith("/")) {
                throw SchemaException.at(at, "bad $ref '" + ref + "'");
            }
            for (String part : path.substring(1).split("/", -1)) {
                String key = part.replace("~1", "/").replace("~0", "~");
                if (cur instanceof Map<?, ?> mm && mm.containsKey(key)) {
                    cur = mm.get(key);
                } else if (cur instanceof List<?> l && key.matches("\\d+") && Integer.parseInt(key) < l.size()) {
                    cur = l.get(Integer.parseInt(key));
                } else {
                    throw SchemaException.at(at, "$ref '" + ref + "' points at nothing");
                }
            }
        }
        if (!(cur instanceof Map) && !(cur instanceof Boolean)) {
            throw SchemaException.at(at, "$ref '" + ref + "' does not point at a schema");
        }
        return cur;
    }

    // ---------------------------------------------------------------- allOf

    /** A subschema with a top-level $ref replaced by its target (for merging); recursion there is refused. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> inline(Object schema, String pointer, int depth) {
        if (Boolean.TRUE.equals(schema)) {
            return new LinkedHashMap<>();
        }
        if (Boolean.FALSE.equals(schema)) {
            throw SchemaException.at(pointer, "schema 'false' accepts nothing");
        }
        Map<String, Object> m = new LinkedHashMap<>((Map<String, Object>) schema);
        for (String a : ANNOTATIONS) {
            m.remove(a);
        }
        m.remove("$defs");
        m.remove("definitions");
        if (m.containsKey("$ref")) {
            if (depth > MAX_REF_INLINE) {
                throw SchemaException.at(pointer, "recursive $ref inside allOf/anyOf is not supported");
            }
            String ref = (String) string(m.remove("$ref"), pointer + "/$ref");
            Map<String, Object> target = inline(resolve(ref, pointer + "/$ref"), ref.substring(1), depth + 1);
            return merge(target, m, pointer);
        }
        if (m.containsKey("allOf")) {
            return mergeAllOf(m, pointer, depth + 1);
        }
        return m;
    }

    private Map<String, Object> mergeAllOf(Map<String, Object> m, String pointer, int depth) {
        List<?> parts = (List<?>) m.remove("allOf");
        Map<String, Object> merged = m;
        for (int i = 0; i < parts.size(); i++) {
            merged = merge(merged, inline(parts.get(i), pointer + "/allOf/" + i, depth + 1), pointer + "/allOf/" + i);
        }
        return merged;
    }

    /**
     * Both schemas at once, keyword by keyword (stricter bound wins, types intersect). Properties merge with each
     * side's additionalProperties applied to the other side's names, as each schema sees only its own properties.
     */
    private Map<String, Object> merge(Map<String, Object> a, Map<String, Object> b, String pointer) {
        Map<String, Object> out = new LinkedHashMap<>(a);
        if (a.containsKey("properties") || b.containsKey("properties")) {
            Map<?, ?> pa = a.get("properties") instanceof Map<?, ?> x ? x : Map.of();
            Map<?, ?> pb = b.get("properties") instanceof Map<?, ?> x ? x : Map.of();
            Map<String, Object> props = new LinkedHashMap<>();
            Set<Object> required = new LinkedHashSet<>();
            if (a.get("required") instanceof List<?> l) {
                required.addAll(l);
            }
            if (b.get("required") instanceof List<?> l) {
                required.addAll(l);
            }
            Set<Object> names = new LinkedHashSet<>(pa.keySet());
            names.addAll(pb.keySet());
            for (Object name : names) {
                List<Object> parts = new ArrayList<>();
                boolean forbidden = false;
                for (int side = 0; side < 2; side++) {
                    Map<?, ?> own = side == 0 ? pa : pb;
                    Object ap = (side == 0 ? a : b).get("additionalProperties");
                    if (own.containsKey(name)) {
                        parts.add(own.get(name));
                    } else if (Boolean.FALSE.equals(ap)) {
                        forbidden = true;
                    } else if (ap != null && !Boolean.TRUE.equals(ap)) {
                        parts.add(ap);
                    }
                }
                if (forbidden) {
                    if (required.contains(name)) {
                        throw SchemaException.at(pointer, "allOf requires property '" + name + "' that additionalProperties false forbids");
                    }
                    continue;
                }
                props.put((String) name, parts.size() == 1 ? parts.get(0) : Map.of("allOf", parts));
            }
            out.put("properties", props);
        }
        for (Map.Entry<String, Object> e : b.entrySet()) {
            String k = e.getKey();
            if (k.equals("properties")) {
                continue;
            }
            Object v = e.getValue();
            Object old = out.get(k);
            if (old == null) {
                out.put(k, v);
                continue;
            }
            String at = pointer + "/" + escape(k);
            switch (k) {
                case "type" -> {
                    List<String> ta = types(old, at);
                    List<String> tb = types(v, at);
                    List<Object> both = new ArrayList<>();
                    for (String t : ta) {
                        if (tb.contains(t)) {
                            both.add(t);
                        } else if (t.equals("number") && tb.contains("integer") || t.equals("integer") && tb.contains("number")) {
                            both.add("integer");
                        }
                    }
                    if (both.isEmpty()) {
                        throw SchemaException.at(at, "allOf types have nothing in common");
                    }
                    out.put(k, both);
                }
                case "required" -> {
                    Set<Object> r = new LinkedHashSet<>((List<?>) old);
                    r.addAll((List<?>) v);
                    out.put(k, new ArrayList<>(r));
                }
                case "minLength", "minItems", "minimum" -> out.put(k, ((BigDecimal) old).max((BigDecimal) v));
                case "maxLength", "maxItems", "maximum" -> out.put(k, ((BigDecimal) old).min((BigDecimal) v));
                case "exclusiveMinimum", "exclusiveMaximum" -> {
                    if (old instanceof BigDecimal x && v instanceof BigDecimal y) {
                        out.put(k, k.equals("exclusiveMinimum") ? x.max(y) : x.min(y));
                    } else if (old instanceof Boolean x && v instanceof Boolean y) {
                        out.put(k, x || y);
                    } else {
                        throw SchemaException.at(at, "allOf mixes boolean and numeric '" + k + "'");
                    }
                }
                case "additionalProperties" -> {
                    if (Boolean.FALSE.equals(old) || Boolean.FALSE.equals(v)) {
                        out.put(k, Boolean.FALSE);
                    } else if (Boolean.TRUE.equals(old)) {
                        out.put(k, v);
                    } else if (!Boolean.TRUE.equals(v)) {
                        out.put(k, Map.of("allOf", List.of(old, v)));
                    }
                }
                case "items" -> out.put(k, Map.of("allOf", List.of(old, v)));
                case "nullable" -> out.put(k, Boolean.TRUE.equals(old) && Boolean.TRUE.equals(v));
                case "enum" -> {
                    List<Object> keep = new ArrayList<>();
                    for (Object x : (List<?>) old) {
                        for (Object y : (List<?>) v) {
                            if (Json.write(x).equals(Json.write(y))) {
                                keep.add(x);
                                break;
                            }
                        }
                    }
                    if (keep.isEmpty()) {
                        throw SchemaException.at(at, "allOf enums have no value in common");
                    }
                    out.put(k, keep);
                }
                default -> {
                    if (!Json.write(old).equals(Json.write(v))) {
                        throw SchemaException.at(at, "allOf with two different '" + k + "' values is not supported");
                    }
                }
            }
        }
        return out;
    }
}

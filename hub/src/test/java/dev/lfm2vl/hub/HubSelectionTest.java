package dev.lfm2vl.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@link HubModelRef} parsing, {@link GgufSelector} rules, the listing parser and the cache location. */
class HubSelectionTest {

    private static HubListing listing(String... names) {
        return new HubListing(Arrays.stream(names).map(n -> new HubFile(n, 10, null)).toList());
    }

    private static GgufSelector.Selection select(String spec, String... names) {
        return GgufSelector.select(listing(names), HubModelRef.parse(spec), "o/r");
    }

    @Test
    void refDefaultsToLfm2Vl3bQ4_0() {
        assertEquals(new HubModelRef("LiquidAI/LFM2-VL-3B-GGUF", "Q4_0"), HubModelRef.parse(null));
        assertEquals(new HubModelRef("LiquidAI/LFM2-VL-3B-GGUF", "Q4_0"), HubModelRef.parse(""));
        assertEquals(new HubModelRef("LiquidAI/LFM2-VL-3B-GGUF", "Q8_0"), HubModelRef.parse(":Q8_0"));
        assertEquals(new HubModelRef("a/b", "Q4_0"), HubModelRef.parse("a/b"));
    }

    @Test
    void refParsesRepoAndUpperCasesTheQuant() {
        HubModelRef r = HubModelRef.parse("LiquidAI/LFM2-VL-1.6B-GGUF:q4_k_m");
        assertEquals("LiquidAI/LFM2-VL-1.6B-GGUF", r.repo());
        assertEquals("Q4_K_M", r.quant());
        assertEquals("LiquidAI", r.owner());
        assertEquals("LFM2-VL-1.6B-GGUF", r.name());
        assertEquals("LiquidAI/LFM2-VL-1.6B-GGUF:Q4_K_M", r.toString());
    }

    @Test
    void refRejectsWhatIsNotOwnerSlashName() {
        for (String bad : List.of("noslash", "a/b/c", "/b", "a/", "../x", "a/..", "a/b:", "a/b:Q4 0", "a b/c",
                "https://x/a/b", "a/-b", "a/b.", "a/b:Q4/0")) {
            HubException e = assertThrows(HubException.class, () -> HubModelRef.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("invalid"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void quantTokenMustStandAlone() {
        assertTrue(GgufSelector.hasQuantToken("LFM2-VL-3B-Q4_0.gguf", "Q4_0"));
        assertTrue(GgufSelector.hasQuantToken("lfm2-vl-3b-q4_0.gguf", "Q4_0"));
        assertTrue(GgufSelector.hasQuantToken("model_Q4_0.gguf", "Q4_0"));
        assertTrue(GgufSelector.hasQuantToken("model.Q4_K_M.gguf", "Q4_K_M"));
        assertFalse(GgufSelector.hasQuantToken("model-Q4_K_M.gguf", "Q4_K"));
        assertFalse(GgufSelector.hasQuantToken("model-IQ4_0.gguf", "Q4_0"));
        assertFalse(GgufSelector.hasQuantToken("model-Q4_0_4_4.gguf", "Q4_0"));
        assertFalse(GgufSelector.hasQuantToken("model-BF16.gguf", "F16"));
        assertFalse(GgufSelector.hasQuantToken("model-Q4_01.gguf", "Q4_0"));
    }

    @Test
    void quantOfANameIsItsLastGgufTypeToken() {
        assertEquals("Q4_0", GgufSelector.quantOf("LFM2-VL-3B-Q4_0.gguf"));
        assertEquals("Q4_K_M", GgufSelector.quantOf("model.q4_k_m.gguf"));
        assertEquals("BF16", GgufSelector.quantOf("LFM2-1.2B-BF16.gguf"));
        assertEquals("IQ4_XS", GgufSelector.quantOf("x-IQ4_XS-00001-of-00002.gguf"));
        assertEquals("F16", GgufSelector.quantOf("mmproj-LFM2-VL-3B-F16.gguf"));
        assertNull(GgufSelector.quantOf("model.gguf"));
    }

    @Test
    void textFilePrefersTheExactQuantSuffix() {
        GgufSelector.Selection s = select("o/r:Q4_0", "LFM2-Q4_0-imatrix-extra.gguf", "LFM2-VL-3B-Q4_0.gguf",
                "mmproj-LFM2-F16.gguf");
        assertEquals("LFM2-VL-3B-Q4_0.gguf", s.model().name());
    }

    @Test
    void withoutAnExactSuffixTheShortestMatchingNameWins() {
        assertEquals("a.Q8_0.gguf", select("o/r:Q8_0", "bb.Q8_0.gguf", "a.Q8_0.gguf", "x-Q4_0.gguf").model().name());
    }

    @Test
    void mmprojPrefersTheSameQuantThenF16ThenQ8_0ThenTheOnlyOne() {
        String[] all = {"m-Q4_0.gguf", "m-Q8_0.gguf", "mmproj-m-Q4_0.gguf", "mmproj-m-F16.gguf", "mmproj-m-Q8_0.gguf"};
        assertEquals("mmproj-m-Q4_0.gguf", select("o/r:Q4_0", all).mmproj().name());
        assertEquals("mmproj-m-Q8_0.gguf", select("o/r:Q8_0", all).mmproj().name());
        assertEquals("mmproj-m-F16.gguf", select("o/r:Q4_0", "m-Q4_0.gguf", "mmproj-m-Q8_0.gguf",
                "mmproj-m-F16.gguf").mmproj().name());
        assertEquals("mmproj-m-Q8_0.gguf", select("o/r:Q4_0", "m-Q4_0.gguf", "mmproj-m-Q8_0.gguf",
                "mmproj-m-BF16.gguf").mmproj().name());
        assertEquals("MMPROJ-m-f32.gguf", select("o/r:Q4_0", "m-Q4_0.gguf", "MMPROJ-m-f32.gguf").mmproj().name());
    }

    @Test
    void ambiguousMmprojIsAnErrorNamingTheCandidates() {
        HubException e = assertThrows(HubException.class,
                () -> select("o/r:Q4_0", "m-Q4_0.gguf", "mmproj-m-BF16.gguf", "mmproj-m-F32.gguf"));
        assertEquals("cannot choose an mmproj file for quant Q4_0 in o/r among mmproj-m-BF16.gguf, mmproj-m-F32.gguf",
                e.getMessage());
    }

    @Test
    void textOnlyRepositoryHasNoMmproj() {
        GgufSelector.Selection s = select("o/r:Q4_0", "LFM2-1.2B-Q4_0.gguf", "LFM2-1.2B-Q8_0.gguf", "README.md");
        assertEquals("LFM2-1.2B-Q4_0.gguf", s.model().name());
        assertNull(s.mmproj());
    }

    @Test
    void missingQuantListsTheQuantsOfTheTextFilesOnly() {
        HubException e = assertThrows(HubException.class, () -> select("o/r:Q5_K", "m-Q8_0.gguf", "m-Q4_K_M.gguf",
                "m-BF16.gguf", "mmproj-m-F32.gguf", "notes.txt"));
        assertEquals("quant Q5_K not found in o/r; available quants: BF16, Q4_K_M, Q8_0", e.getMessage());
    }

    @Test
    void repositoryWithoutGgufIsAnError() {
        HubException e = assertThrows(HubException.class, () -> select("o/r", "README.md", "model.safetensors"));
        assertEquals("o/r has no text GGUF file", e.getMessage());
    }

    @Test
    void splitGgufIsRefusedClearly() {
        HubException e = assertThrows(HubException.class,
                () -> select("o/r:Q4_0", "m-Q4_0-00001-of-00002.gguf", "m-Q4_0-00002-of-00002.gguf"));
        assertTrue(e.getMessage().contains("is split into several files"), e.getMessage());
    }

    @Test
    void listingParserReadsTheHubFormatAndSkipsFoldersAndNestedFiles() {
        String json = """
                [ {"type":"directory","oid":"x","size":0,"path":"sub"},
                  {"type":"file","oid":"a","size":1519,"path":".gitattributes"},
                  {"type":"file","oid":"b","size":134,"lfs":{"oid":"%s","size":2018040128,"pointerSize":134},
                   "path":"LFM2-VL-3B-Q4_0.gguf","xetHash":"ff"},
                  {"type":"file","size":5,"path":"sub/inner.gguf"},
                  {"type":"file","size":7,"path":"caf\\u00e9 \\"q\\".txt","extra":[1,2.5,-3e2,true,false,null,{}]} ]
                """.formatted("AB".repeat(32));
        HubListing l = HubListing.parse(json);
        assertEquals(List.of(".gitattributes", "LFM2-VL-3B-Q4_0.gguf", "café \"q\".txt"),
                l.files().stream().map(HubFile::name).toList());
        HubFile gguf = l.file("LFM2-VL-3B-Q4_0.gguf").orElseThrow();
        assertEquals(2018040128L, gguf.size());
        assertEquals("ab".repeat(32), gguf.sha256());
        assertNull(l.file(".gitattributes").orElseThrow().sha256());
        assertEquals(l, HubListing.parse(l.toJson()), "the cached copy reads back the same");
    }

    @Test
    void listingParserRejectsMalformedJson() {
        for (String bad : List.of("", "{}", "[", "[{\"path\":\"a\",}]", "[1,]", "[\"\\x\"]", "[] x", "[tru]")) {
            assertThrows(IllegalArgumentException.class, () -> HubListing.parse(bad), bad);
        }
    }

    @Test
    void cacheRootComesFromLfm2vlCacheThenXdgThenHome() {
        assertEquals(Path.of("/c/own").toAbsolutePath(),
                ModelCache.fromEnvironment(Map.of("LFM2VL_CACHE", "/c/own", "XDG_CACHE_HOME", "/x")).root());
        assertEquals(Path.of("/x/lfm2vl").toAbsolutePath(),
                ModelCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x")).root());
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "lfm2vl").toAbsolutePath(),
                ModelCache.fromEnvironment(Map.of("XDG_CACHE_HOME", "relative")).root());
        ModelCache c = new ModelCache(Path.of("/c"));
        assertEquals(Path.of("/c/LiquidAI/LFM2-VL-3B-GGUF/m.gguf"), c.file("LiquidAI/LFM2-VL-3B-GGUF", "m.gguf"));
        assertEquals(Path.of("/c/LiquidAI/LFM2-VL-3B-GGUF/m.gguf.part"), c.partFile("LiquidAI/LFM2-VL-3B-GGUF", "m.gguf"));
        assertThrows(HubException.class, () -> c.file("a/b", "../evil"));
    }

    @Test
    void endpointDefaultsToTheHubAndDropsTrailingSlashes() {
        try (HubClient d = HubClient.fromEnvironment(Map.of());
                HubClient e = HubClient.fromEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:9/mirror//",
                        "HF_TOKEN", "hf_secret"))) {
            assertEquals("https://huggingface.co", d.endpoint());
            assertFalse(d.hasToken());
            assertEquals("http://127.0.0.1:9/mirror", e.endpoint());
            assertTrue(e.hasToken());
            assertFalse(e.toString().contains("hf_secret"), "the token is never printed");
            assertEquals("http://127.0.0.1:9/mirror/a/b/resolve/main/my%20file%2B1.gguf",
                    e.fileUri("a/b", "my file+1.gguf").toString());
        }
        assertThrows(HubException.class, () -> new HubClient("ftp://x", null));
        assertThrows(HubException.class, () -> new HubClient("not a url", null));
    }
}

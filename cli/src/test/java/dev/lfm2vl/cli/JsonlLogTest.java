package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code --jsonl} file's compaction and locking, without running a model. */
class JsonlLogTest {
    private static Map<String, Object> record(String path, String key, String value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", path);
        m.put(key, value);
        return m;
    }

    @Test
    void aFileCompactedOnOpenStaysLockedAgainstASecondRun(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("r.jsonl"), "{\"path\":\"a.png\",\"error\":\"x\"}\n{\"path\":\"a.png\",\"err");
        try (JsonlLog log = JsonlLog.open(file)) {
            assertEquals(1, log.droppedLines());
            assertEquals("{\"path\":\"a.png\",\"error\":\"x\"}\n", Files.readString(file));
            UserError e = assertThrows(UserError.class, () -> JsonlLog.open(file));
            assertTrue(e.getMessage().endsWith("in use by another caption run"), e.getMessage());
        }
        JsonlLog.open(file).close(); // free again once closed
    }

    @Test
    void aRetriedImageLeavesOneRecordWhenTheRunEnds(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("r.jsonl");
        try (JsonlLog log = JsonlLog.open(file)) {
            log.append(record("a.png", "error", "first"));
            log.append(record("b.png", "caption", "b"));
            assertFalse(log.isDone(Path.of("a.png")));
            log.append(record("a.png", "caption", "retried"));
            assertTrue(log.isDone(Path.of("a.png")));
            assertEquals(3, Files.readAllLines(file).size(), "appended as they finish, each forced to disk");
        }
        assertEquals(List.of("{\"path\":\"a.png\",\"caption\":\"retried\"}", "{\"path\":\"b.png\",\"caption\":\"b\"}"),
                Files.readAllLines(file));
    }
}

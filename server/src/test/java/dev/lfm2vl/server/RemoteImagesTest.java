package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** With --allow-remote-images, http(s) image URLs are fetched, within the size limit; failures are 400s. */
class RemoteImagesTest {
    @Test
    void remoteImagesAreFetchedWhenAllowedWithinTheSizeLimit() throws Exception {
        byte[] png = Files.readAllBytes(TestServer.image("img_64x48.png"));
        byte[] big = Files.readAllBytes(TestServer.image("img_1000x3000.png"));
        HttpServer images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        images.createContext("/", ex -> {
            byte[] body = ex.getRequestURI().getPath().equals("/small.png") ? png : ex.getRequestURI().getPath().equals("/big.png") ? big : null;
            ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        images.start();
        String base = "http://127.0.0.1:" + images.getAddress().getPort();
        try (TestServer server = TestServer.start(ServerConfig.defaults().withRemoteImages(true).withMaxBody(100_000), 1, 2, 1024)) {
            HttpResponse<String> ok = server.post("/v1/chat/completions", BadInputTest.withImage(base + "/small.png"));
            assertEquals(200, ok.statusCode(), ok.body());
            HttpResponse<String> same = server.post("/v1/chat/completions", BadInputTest.withImage(TestServer.dataUrl(TestServer.image("img_64x48.png"))));
            assertEquals(BadInputTest.JSON.readTree(same.body()).get("usage").get("prompt_tokens").asInt(),
                    BadInputTest.JSON.readTree(ok.body()).get("usage").get("prompt_tokens").asInt(), "the same image either way");
            BadInputTest.assertError(server.post("/v1/chat/completions", BadInputTest.withImage(base + "/big.png")), 400, "image_too_large",
                    "larger than 100000 bytes");
            BadInputTest.assertError(server.post("/v1/chat/completions", BadInputTest.withImage(base + "/missing.png")), 400, "image_fetch_failed",
                    "answered HTTP 404");
        } finally {
            images.stop(0);
        }
    }
}

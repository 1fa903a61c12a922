package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lfm2vl.runtime.Generator;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The chat page in a real headless browser (Debian's {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs): an image attached through the file picker, a question, the streamed answer equal to the
 * runtime's greedy answer; a server error shown in the conversation; Stop on a long answer; a new message after it;
 * the API key asked once. Under {@code CI=true} a missing browser fails the test; elsewhere it is skipped.
 */
class WebUiBrowserTest {
    static final String PROMPT = "What is in this image?";
    static final int MAX_TOKENS = 24;
    static final Path SCREENSHOT = Path.of("target", "webui.png");

    static Path chromium;
    static Path chromedriver;

    @BeforeEach // not @BeforeAll: a skip is then reported per test, with its reason
    void findBrowser() {
        chromium = onPath("chromium", "chromium-browser");
        chromedriver = onPath("chromedriver");
        String missing = chromium == null ? "chromium" : chromedriver == null ? "chromedriver" : null;
        if (missing != null) {
            String message = "no " + missing + " on the PATH: install Debian's chromium and chromium-driver (.ci/run does)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message);
            }
            Assumptions.abort(message);
        }
    }

    static Path onPath(String... names) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : names) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    static WebDriver browser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=900,1000",
                "--no-first-run", "--disable-extensions", "--disable-background-networking");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @Test
    void aConversationWithAnImageStreamsTheGreedyAnswerStopsAndGoesOn() throws Exception {
        Path image = TestServer.image("img_64x48.png").toAbsolutePath();
        Generator.Result expected = TestServer.reference(image, PROMPT, MAX_TOKENS);
        assertFalse(expected.text().isEmpty(), "the reference answer has text");
        try (TestServer server = TestServer.start(ServerConfig.defaults(), 1, 2, 2048)) {
            WebDriver driver = browser();
            try {
                driver.get("http://127.0.0.1:" + server.server.port() + "/");
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                driver.findElement(By.id("settings-toggle")).click();
                setValue(driver, "temperature", "0");
                setValue(driver, "max-tokens", Integer.toString(MAX_TOKENS));

                // 1. an image through the file picker, a question sent with Enter, the answer streamed in
                driver.findElement(By.id("file")).sendKeys(image.toString());
                wait.until(d -> d.findElements(By.cssSelector("#thumbs .thumb img")).size() == 1);
                driver.findElement(By.id("prompt")).sendKeys(PROMPT, Keys.ENTER);
                WebElement first = finishedAnswer(driver, wait, 1);
                assertEquals(expected.text(), text(first), "the streamed answer is the runtime's greedy answer");
                String stats = first.findElement(By.className("stats")).getText();
                assertTrue(stats.contains("lfm2-tiny") && stats.contains(" tokens") && stats.contains("tokens/s")
                        && stats.contains("first token"), stats);
                assertTrue(driver.findElements(By.cssSelector("#thumbs .thumb")).isEmpty(), "the attachments went with the message");
                assertEquals(1, driver.findElements(By.cssSelector(".msg.user .images img")).size());

                // 2. a request the server refuses: its error is shown in the conversation, the chat goes on
                setValue(driver, "schema", "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"uniqueItems\":true}}}");
                driver.findElement(By.id("prompt")).sendKeys("Tags?", Keys.ENTER);
                WebElement error = wait.until(d -> d.findElements(By.cssSelector(".msg.error")).stream().findFirst().orElse(null));
                assertTrue(error.getText().startsWith("HTTP 400: ") && error.getText().contains("uniqueItems"), error.getText());
                setValue(driver, "schema", "");

                // 3. a long answer, stopped while it streams: the request is cancelled and the slot freed
                setValue(driver, "max-tokens", "1500");
                driver.findElement(By.id("prompt")).sendKeys("Tell me a long story about it.", Keys.ENTER);
                wait.until(d -> {
                    List<WebElement> answers = d.findElements(By.cssSelector(".msg.assistant"));
                    return answers.size() == 2 && !text(answers.get(1)).isEmpty();
                });
                driver.findElement(By.id("stop")).click();
                WebElement stopped = finishedAnswer(driver, wait, 2);
                assertEquals("stopped", stopped.getDomAttribute("data-finish"));
                assertTrue(stopped.findElement(By.className("stats")).getText().endsWith("stopped"));
                assertTrue(driver.findElement(By.id("send")).isDisplayed() && !driver.findElement(By.id("stop")).isDisplayed());
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (server.engine.busySlots() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(0, server.engine.busySlots(), "the server freed the slot of the stopped answer");

                // 4. the one slot serves the next message, with the whole conversation (the image included) resent
                setValue(driver, "max-tokens", "8");
                driver.findElement(By.id("prompt")).sendKeys("Thanks.", Keys.ENTER);
                WebElement next = finishedAnswer(driver, wait, 3);
                // its text is not fixed: the stopped answer resent before it ends wherever the click caught it, and the
                // tiny random model may then end its turn at once (an empty answer; CI saw one on 2026-12-06)
                assertTrue(List.of("length", "stop").contains(next.getDomAttribute("data-finish")), next.getDomAttribute("data-finish"));
                String nextStats = next.findElement(By.className("stats")).getText();
                assertTrue(nextStats.contains(" prompt + ") && nextStats.contains(" tokens"), nextStats);
                assertEquals(1, driver.findElements(By.cssSelector(".msg.error")).size(), "only the refused request's error");

                Files.createDirectories(SCREENSHOT.getParent());
                Files.write(SCREENSHOT, ((ChromeDriver) driver).getScreenshotAs(OutputType.BYTES));
            } finally {
                driver.quit();
            }
        }
    }

    @Test
    void withAnApiKeyThePageAsksForItOnceAndUsesIt() throws Exception {
        try (TestServer server = TestServer.start(ServerConfig.defaults().withApiKey("s3cret"), 1, 1, 512)) {
            WebDriver driver = browser();
            try {
                String url = "http://127.0.0.1:" + server.server.port() + "/";
                driver.get(url);
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                assertTrue(driver.findElement(By.id("keyform")).isDisplayed(), "the key is asked for");
                driver.findElement(By.id("key")).sendKeys("s3cret", Keys.ENTER);
                assertFalse(driver.findElement(By.id("keyform")).isDisplayed());
                driver.findElement(By.id("settings-toggle")).click();
                setValue(driver, "max-tokens", "4");
                driver.findElement(By.id("prompt")).sendKeys("Hi", Keys.ENTER);
                WebElement answer = finishedAnswer(driver, wait, 1);
                assertEquals("length", answer.getDomAttribute("data-finish"), "answered with the key");
                driver.navigate().refresh();
                assertFalse(driver.findElement(By.id("keyform")).isDisplayed(), "asked once: the tab's session storage keeps it");
                // a phone-sized window: nothing wider than the screen, the composer still there
                driver.manage().window().setSize(new Dimension(390, 844));
                Object overflow = ((ChromeDriver) driver).executeScript("return document.documentElement.scrollWidth - window.innerWidth");
                assertEquals(0L, ((Number) overflow).longValue(), "no sideways scrolling on a phone-sized window");
                assertTrue(driver.findElement(By.id("send")).isDisplayed() && driver.findElement(By.id("prompt")).isDisplayed());
            } finally {
                driver.quit();
            }
        }
    }

    /** The {@code n}th answer (from 1) once it has finished: the page marks it with {@code data-finish}. */
    static WebElement finishedAnswer(WebDriver driver, WebDriverWait wait, int n) {
        Function<WebDriver, WebElement> finished = d -> {
            List<WebElement> answers = d.findElements(By.cssSelector(".msg.assistant"));
            return answers.size() >= n && answers.get(n - 1).getDomAttribute("data-finish") != null ? answers.get(n - 1) : null;
        };
        return wait.until(finished::apply);
    }

    /** The answer's text exactly as streamed (textContent: no whitespace normalisation). */
    static String text(WebElement answer) {
        return answer.findElement(By.className("content")).getDomProperty("textContent");
    }

    static void setValue(WebDriver driver, String id, String value) {
        WebElement e = driver.findElement(By.id(id));
        e.clear();
        if (!value.isEmpty()) {
            e.sendKeys(value);
        }
    }
}

package io.stockhold.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

/** The node's log lines, as people and log collectors read them. */
class LogLayoutTest {

  private static final LoggerContext CONTEXT = new LoggerContext();
  private static final long T = 1_765_185_000_123L; // 2025-12-08T09:10:00.123Z

  private static LogLayout layout(boolean json) {
    LogLayout layout = new LogLayout(json);
    layout.setContext(CONTEXT);
    layout.start();
    return layout;
  }

  private static LoggingEvent event(Throwable thrown) {
    Logger logger = CONTEXT.getLogger("io.stockhold.http.access");
    LoggingEvent e =
        new LoggingEvent(
            "fqcn",
            logger,
            Level.INFO,
            "{} {} answered {}",
            thrown,
            new Object[] {"r-1", "GET", 200});
    e.setTimeStamp(T);
    e.setMDCPropertyMap(java.util.Map.of());
    e.setKeyValuePairs(
        List.of(
            new KeyValuePair("route", "/v1/stock/{location}/{sku}"),
            new KeyValuePair("status", 200)));
    return e;
  }

  @Test
  void aJsonLineIsOneObjectWithAnIsoTimestampAndTheEventsFieldsOfTheirOwn() throws Exception {
    String line = layout(true).doLayout(event(null));
    assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line");
    JsonNode json = new ObjectMapper().readTree(line);
    assertEquals("2025-12-08T09:10:00.123Z", json.get("timestamp").asText());
    assertEquals("INFO", json.get("level").asText());
    assertEquals("io.stockhold.http.access", json.get("logger").asText());
    assertEquals("r-1 GET answered 200", json.get("message").asText());
    assertEquals("/v1/stock/{location}/{sku}", json.get("route").asText());
    assertTrue(json.get("status").isNumber(), "a number stays a number");
    assertFalse(json.has("stackTrace"));
  }

  @Test
  void aJsonLineCarriesItsStackTraceAsOneString() throws Exception {
    String line = layout(true).doLayout(event(new IllegalStateException("boom")));
    JsonNode json = new ObjectMapper().readTree(line);
    assertTrue(json.get("stackTrace").asText().contains("IllegalStateException: boom"));
    assertEquals(1, line.split("\n").length, "still one line");
  }

  @Test
  void aTextLineStartsWithAnIsoTimestamp() {
    String line = layout(false).doLayout(event(null));
    assertTrue(line.startsWith("2025-12-08T09:10:00.123Z INFO "), line);
    assertTrue(line.contains("r-1 GET answered 200"), line);
  }
}

package io.stockhold.node;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * The node's log lines: text for people ({@code STOCKHOLD_LOG_FORMAT} unset or {@code text}), or
 * one JSON object per line for log collectors ({@code json}). Both stamp each line in ISO 8601 UTC
 * with milliseconds. A JSON line carries the level, logger, thread, message, the event's key-value
 * pairs (an access line's status, route, request id…) as fields of their own, the MDC, and a stack
 * trace as one string.
 */
public final class LogLayout extends LayoutBase<ILoggingEvent> {

  /** {@code json} for JSON lines; anything else is text. */
  public static final String FORMAT_VARIABLE = "STOCKHOLD_LOG_FORMAT";

  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private static final JsonFactory JSON = new JsonFactory();

  private final boolean json;
  private final PatternLayout text = new PatternLayout();

  public LogLayout() {
    this("json".equalsIgnoreCase(System.getenv(FORMAT_VARIABLE)));
  }

  LogLayout(boolean json) {
    this.json = json;
    text.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level %logger{20} - %msg%n");
  }

  @Override
  public void start() {
    text.setContext(getContext());
    text.start();
    super.start();
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    return json ? json(event) : text.doLayout(event);
  }

  private static String json(ILoggingEvent event) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField(
          "timestamp", ISO_MILLIS.format(Instant.ofEpochMilli(event.getTimeStamp())));
      g.writeStringField("level", event.getLevel().toString());
      g.writeStringField("logger", event.getLoggerName());
      g.writeStringField("thread", event.getThreadName());
      g.writeStringField("message", event.getFormattedMessage());
      if (event.getKeyValuePairs() != null) {
        for (KeyValuePair kv : event.getKeyValuePairs()) {
          g.writeFieldName(kv.key);
          if (kv.value instanceof Number n) g.writeNumber(n.longValue());
          else g.writeString(String.valueOf(kv.value));
        }
      }
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null && !mdc.isEmpty()) {
        g.writeObjectFieldStart("mdc");
        for (Map.Entry<String, String> e : mdc.entrySet())
          g.writeStringField(e.getKey(), e.getValue());
        g.writeEndObject();
      }
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) g.writeStringField("stackTrace", ThrowableProxyUtil.asString(thrown));
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.append(CoreConstants.LINE_SEPARATOR).toString();
  }
}

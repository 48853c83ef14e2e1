package io.stockhold.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /v1/asyncapi.yaml}: the AsyncAPI 3 description of the messages Stockhold exchanges
 * with the ERP ({@code asyncapi.yaml}), with the inventory event's payload the event schema itself
 * ({@code events/inventory-event.schema.json}, written into the document as JSON, which YAML
 * reads), so the two can never disagree.
 */
final class AsyncApi {

  private static final String PLACEHOLDER = "INVENTORY_EVENT_SCHEMA";

  private static final byte[] DOCUMENT = build();

  private AsyncApi() {}

  static byte[] document() {
    return DOCUMENT;
  }

  private static byte[] build() {
    String template = read("asyncapi.yaml");
    if (!template.contains(PLACEHOLDER)) {
      throw new IllegalStateException("asyncapi.yaml has no " + PLACEHOLDER);
    }
    try {
      ObjectMapper json = new ObjectMapper();
      String schema =
          json.writeValueAsString(json.readTree(read("events/inventory-event.schema.json")));
      return template.replace(PLACEHOLDER, schema).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(String resource) {
    try (InputStream in = AsyncApi.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException(resource + " is not in the jar");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

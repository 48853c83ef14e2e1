package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenAPI document and the routes agree: every documented operation is routed, no other method
 * is, and every path segment the routes match is documented (and the reverse).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiAgreementIT {

  private static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH");
  private static final Map<String, String> SAMPLES =
      Map.of(
          "{location}",
          "doc-check",
          "{sku}",
          "item",
          "{reservationId}",
          "h~doc-check~item~AAAAAAAAAAAAAAAAAAAAAA");

  private JsonNode document;
  private RunningNode running;
  private Client client;

  @BeforeAll
  void start() throws Exception {
    document =
        new ObjectMapper(new YAMLFactory())
            .readTree(Path.of("src/main/resources/openapi.yaml").toFile());
    running = RunningNode.start(TestStore.Kind.H2);
    client = running.client();
  }

  @AfterAll
  void stop() {
    if (running != null) running.close();
  }

  private static String concrete(String template) {
    String path = template;
    for (var sample : SAMPLES.entrySet()) path = path.replace(sample.getKey(), sample.getValue());
    return path;
  }

  /** A routing rejection, as opposed to an answer from a route (which may itself be a 404). */
  private static boolean unrouted(Response r) {
    if (r.status() != 404 && r.status() != 405) return false;
    String slug = r.problem();
    return slug.equals("not-found") || slug.equals("method-not-allowed");
  }

  @Test
  void everyDocumentedOperationIsRoutedAndNoOtherMethodIs() {
    assertTrue(document.path("openapi").asText().startsWith("3.1"), "OpenAPI 3.1");
    List<String> wrong = new ArrayList<>();
    document
        .get("paths")
        .fields()
        .forEachRemaining(
            entry -> {
              String path = concrete(entry.getKey());
              for (String method : METHODS) {
                boolean documented = entry.getValue().has(method.toLowerCase());
                String body = method.equals("GET") || method.equals("DELETE") ? null : "{}";
                Response r = client.send(method, path, body, Map.of());
                if (documented && unrouted(r))
                  wrong.add(method + " " + entry.getKey() + " is documented but not routed: " + r);
                if (!documented && !unrouted(r))
                  wrong.add(method + " " + entry.getKey() + " is routed but not documented: " + r);
              }
            });
    // Prefixes of documented paths that are not documented themselves must not be routed either.
    Set<String> documented = new TreeSet<>();
    document.get("paths").fieldNames().forEachRemaining(documented::add);
    for (String path : documented) {
      String[] segments = path.split("/");
      for (int n = 2; n < segments.length; n++) {
        String prefix = String.join("/", Arrays.copyOfRange(segments, 0, n));
        if (documented.contains(prefix)) continue;
        Response r = client.send("GET", concrete(prefix), null, Map.of());
        if (!unrouted(r)) wrong.add("GET " + prefix + " is routed but not documented: " + r);
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void everyLiteralPathSegmentInTheRoutesIsDocumentedAndTheReverse() throws IOException {
    Set<String> documented = new TreeSet<>();
    document
        .get("paths")
        .fieldNames()
        .forEachRemaining(
            p -> {
              for (String segment : p.split("/"))
                if (!segment.isEmpty() && !segment.startsWith("{")) documented.add(segment);
            });
    Set<String> routed = new TreeSet<>();
    Pattern literal = Pattern.compile("\\b(?:path|pathPrefix)\\(\\s*\"([^\"]+)\"");
    try (Stream<Path> sources = Files.list(Path.of("src/main/java/io/stockhold/api/http"))) {
      for (Path source : sources.toList()) {
        Matcher m = literal.matcher(Files.readString(source));
        while (m.find()) routed.add(m.group(1));
      }
    }
    assertEquals(documented, routed, "literal path segments: documented vs routed");
  }
}

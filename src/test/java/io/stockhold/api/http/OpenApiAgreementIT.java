package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.stockhold.access.Scope;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.RunningNode;
import io.stockhold.testing.TestStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
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
 * is, every path segment the routes match is documented (and the reverse), and each operation needs
 * the key and the scope the document says.
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
          "h~doc-check~item~AAAAAAAAAAAAAAAAAAAAAA",
          "{keyId}",
          "0123456789abcdef",
          "{pool}",
          "doc-check-pool",
          "{transferId}",
          "T-doc-check");

  /** The one operation that needs no key. */
  /** The operations that need no key: the API's own documents. */
  private static final java.util.Set<String> OPEN =
      java.util.Set.of("getOpenApiDocument", "getAsyncApiDocument");

  /** How an operation's description names the scope it needs. */
  private static final Pattern SCOPE = Pattern.compile("\\*\\*Scope:\\*\\* `([a-z:]+)`");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One documented operation: its method, its path template and its description. */
  private record Operation(String method, String path, JsonNode spec) {
    String id() {
      return spec.path("operationId").asText();
    }

    @Override
    public String toString() {
      return method + " " + path + " (" + id() + ")";
    }
  }

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

  private List<Operation> operations() {
    List<Operation> operations = new ArrayList<>();
    document
        .get("paths")
        .fields()
        .forEachRemaining(
            path -> {
              for (String method : METHODS) {
                JsonNode spec = path.getValue().get(method.toLowerCase());
                if (spec != null) operations.add(new Operation(method, path.getKey(), spec));
              }
            });
    return operations;
  }

  /**
   * A body the route accepts far enough to check the caller: the operation's first example (a body
   * that fails validation may be refused before the scope is looked at), none without one.
   */
  private static String body(Operation op) {
    JsonNode content = op.spec().path("requestBody").path("content").path("application/json");
    if (content.isMissingNode()) return null;
    Iterator<JsonNode> examples = content.path("examples").elements();
    if (!examples.hasNext()) return "{}";
    try {
      return JSON.writeValueAsString(examples.next().get("value"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
        // the documentation page beside the API, not a part of it
        if (source.getFileName().toString().equals("DocsRoutes.java")) continue;
        Matcher m = literal.matcher(Files.readString(source));
        while (m.find()) routed.add(m.group(1));
      }
    }
    assertEquals(documented, routed, "literal path segments: documented vs routed");
  }

  @Test
  void everyOperationButTheDocumentItselfNeedsAKeyAndDocumentsTheRefusals() {
    JsonNode scheme = document.at("/components/securitySchemes/bearerAuth");
    assertEquals("http", scheme.path("type").asText(), "bearerAuth is an HTTP scheme");
    assertEquals("bearer", scheme.path("scheme").asText(), "bearerAuth is a bearer scheme");
    assertEquals(
        "[{\"bearerAuth\":[]}]",
        document.path("security").toString(),
        "a key is needed unless an operation says otherwise");
    Set<String> known = new TreeSet<>();
    for (Scope scope : Scope.values()) known.add(scope.wireName());
    Set<String> documentedScopes = new TreeSet<>();
    document.at("/components/schemas/Scope/enum").forEach(s -> documentedScopes.add(s.asText()));
    assertEquals(known, documentedScopes, "the Scope schema lists the scopes the node knows");

    List<String> wrong = new ArrayList<>();
    for (Operation op : operations()) {
      JsonNode security = op.spec().get("security");
      if (OPEN.contains(op.id())) {
        if (security == null || !security.isArray() || !security.isEmpty())
          wrong.add(op + " must say security: [] (no key needed)");
        continue;
      }
      if (security != null) wrong.add(op + " must not override the global security");
      for (var refusal :
          Map.of("401", "Unauthenticated", "403", "Forbidden", "429", "RateLimited").entrySet()) {
        String ref = op.spec().path("responses").path(refusal.getKey()).path("$ref").asText();
        if (!ref.equals("#/components/responses/" + refusal.getValue()))
          wrong.add(op + " must answer " + refusal.getKey() + " with " + refusal.getValue());
      }
      Matcher scope = SCOPE.matcher(op.spec().path("description").asText());
      if (!scope.find()) wrong.add(op + " must name its scope: **Scope:** `...`");
      else if (!known.contains(scope.group(1)))
        wrong.add(op + " names an unknown scope " + scope.group(1));
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void aKeyWithTheDocumentedScopeIsLetThroughAndOneWithEveryOtherScopeIsNot() {
    Map<String, Client> only = new HashMap<>();
    Map<String, Client> allBut = new HashMap<>();
    List<String> wrong = new ArrayList<>();
    for (Operation op : operations()) {
      if (OPEN.contains(op.id())) continue;
      Matcher m = SCOPE.matcher(op.spec().path("description").asText());
      assertTrue(m.find(), op + " names no scope");
      String scope = m.group(1);
      Client with = only.computeIfAbsent(scope, s -> clientWith(List.of(s)));
      Client without =
          allBut.computeIfAbsent(
              scope,
              s ->
                  clientWith(
                      Arrays.stream(Scope.values())
                          .map(Scope::wireName)
                          .filter(n -> !n.equals(s))
                          .toList()));
      String path = concrete(op.path());
      Response allowed = with.send(op.method(), path, body(op), Map.of());
      if (allowed.status() == 401 || allowed.status() == 403)
        wrong.add(op + " refused a key with only " + scope + ": " + allowed);
      Response refused = without.send(op.method(), path, body(op), Map.of());
      if (refused.status() != 403
          || !refused.problem().equals("forbidden")
          || !refused.json().path("detail").asText().contains(scope))
        wrong.add(op + " let a key without " + scope + " through, or did not name it: " + refused);
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  /** A client presenting a new key (made with the master key) that holds exactly {@code scopes}. */
  private Client clientWith(List<String> scopes) {
    ObjectNode spec = JSON.createObjectNode().put("name", "doc-check " + scopes);
    scopes.forEach(spec.putArray("scopes")::add);
    Response created = client.post("/v1/keys", spec.toString());
    assertEquals(201, created.status(), created.toString());
    return new Client(running.node().httpPort(), created.json().get("key").asText());
  }
}

package io.stockhold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code stockhold keys create|list|revoke}: API keys, managed through a running node's {@code
 * /v1/keys} with the master key. The master key comes from {@code STOCKHOLD_MASTER_KEY}, or from
 * the embedded store's {@code master.key} when that is unset; never from the command line, where
 * {@code ps} would show it.
 */
final class KeysCommand {

  static final String USAGE =
      """
      usage: stockhold keys create --name NAME --scopes s1,s2 [--locations l1,l2] [--expires-at TIME] [--rate N] [--url URL]
             stockhold keys list [--url URL]
             stockhold keys revoke --id KEY_ID [--url URL]

        scopes: stock:read stock:write reservations:write reservations:read reservations:admin pos keys:admin
        --expires-at  an RFC 3339 time in UTC (2027-01-31T00:00:00Z); --rate  requests per second
        --url         the node (default http://127.0.0.1:8080)
        The master key: STOCKHOLD_MASTER_KEY, or ./data/master.key (STOCKHOLD_DATA_DIR) when unset.
      """;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The options each action takes. */
  static final Map<String, Set<String>> OPTIONS =
      Map.of(
          "create", Set.of("name", "scopes", "locations", "expires-at", "rate", "url"),
          "list", Set.of("url"),
          "revoke", Set.of("id", "url"));

  private final URI base;
  private final String masterKey;
  private final PrintStream out;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private KeysCommand(URI base, String masterKey, PrintStream out) {
    this.base = base;
    this.masterKey = masterKey;
    this.out = out;
  }

  /** Runs {@code action} with {@code options}; the exit code: 0, 1 when the node refused, 2. */
  static int run(
      String action, Map<String, String> options, Map<String, String> env, PrintStream out)
      throws InterruptedException {
    if (!OPTIONS.containsKey(action)) {
      out.print("keys: no action " + action + "\n" + USAGE);
      return 2;
    }
    for (String name : options.keySet()) {
      if (!OPTIONS.get(action).contains(name)) {
        out.print("keys " + action + " takes no option --" + name + "\n" + USAGE);
        return 2;
      }
    }
    Optional<String> master = masterKey(env);
    if (master.isEmpty()) {
      out.println(
          "keys: set STOCKHOLD_MASTER_KEY (or run where the embedded store's data/master.key is)");
      return 2;
    }
    URI url = URI.create(options.getOrDefault("url", "http://127.0.0.1:8080"));
    KeysCommand keys = new KeysCommand(url, master.get(), out);
    try {
      return switch (action) {
        case "create" -> keys.create(options);
        case "list" -> keys.list();
        case "revoke" -> keys.revoke(options.get("id"));
        default -> {
          out.print("keys: no action " + action + "\n" + USAGE);
          yield 2;
        }
      };
    } catch (ConnectException e) {
      out.println("keys: no node answers at " + url + " (start one, or give --url)");
      return 2;
    } catch (IOException e) {
      out.println("keys: " + url + ": " + e.getMessage());
      return 2;
    }
  }

  static Optional<String> masterKey(Map<String, String> env) {
    String fromEnv = env.getOrDefault("STOCKHOLD_MASTER_KEY", "");
    if (!fromEnv.isEmpty()) return Optional.of(fromEnv);
    Path file = Path.of(env.getOrDefault("STOCKHOLD_DATA_DIR", "./data"), "master.key");
    try {
      return Files.isRegularFile(file)
          ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The option each field of a key's body comes from, to name it in the node's refusals. */
  private static final Map<String, String> OPTION_OF =
      Map.of(
          "/name", "--name",
          "/scopes", "--scopes",
          "/locations", "--locations",
          "/expiresAt", "--expires-at",
          "/rateLimit/requestsPerSecond", "--rate");

  private int create(Map<String, String> options) throws IOException, InterruptedException {
    for (String required : List.of("name", "scopes")) {
      if (!options.containsKey(required) || options.get(required).equals("true")) {
        out.print("keys create: --" + required + " is required\n" + USAGE);
        return 2;
      }
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("name", options.getOrDefault("name", ""));
    var scopes = body.putArray("scopes");
    for (String s : options.getOrDefault("scopes", "").split(",")) if (!s.isBlank()) scopes.add(s);
    if (options.containsKey("locations")) {
      var locations = body.putArray("locations");
      for (String l : options.get("locations").split(",")) if (!l.isBlank()) locations.add(l);
    }
    if (options.containsKey("expires-at")) body.put("expiresAt", options.get("expires-at"));
    if (options.containsKey("rate")) {
      try {
        body.putObject("rateLimit").put("requestsPerSecond", Integer.parseInt(options.get("rate")));
      } catch (NumberFormatException e) {
        out.println("keys: --rate must be a whole number of requests per second");
        return 2;
      }
    }
    HttpResponse<String> response = send("POST", "/v1/keys", body.toString());
    if (response.statusCode() != 201) return refused(response);
    JsonNode key = JSON.readTree(response.body());
    out.println(describe(key));
    out.println("key: " + key.path("key").asText());
    out.println("(the key is shown this once; only its hash is kept)");
    return 0;
  }

  private int list() throws IOException, InterruptedException {
    HttpResponse<String> response = send("GET", "/v1/keys", null);
    if (response.statusCode() != 200) return refused(response);
    JsonNode keys = JSON.readTree(response.body()).path("keys");
    if (keys.isEmpty()) out.println("no API keys");
    for (JsonNode key : keys) out.println(describe(key));
    return 0;
  }

  private int revoke(String keyId) throws IOException, InterruptedException {
    if (keyId == null || keyId.equals("true")) {
      out.print("keys revoke: --id KEY_ID is required\n" + USAGE);
      return 2;
    }
    HttpResponse<String> response = send("DELETE", "/v1/keys/" + keyId, null);
    if (response.statusCode() != 204) return refused(response);
    out.println(
        "revoked "
            + keyId
            + " (refused here at once, on every other node within its refresh interval: 2 s by"
            + " default)");
    return 0;
  }

  /** One line: id, name, scopes, locations, and what limits it. */
  private static String describe(JsonNode key) {
    StringBuilder line =
        new StringBuilder(key.path("keyId").asText())
            .append("  ")
            .append(key.path("name").asText())
            .append("  scopes ")
            .append(join(key.path("scopes")));
    line.append("  locations ")
        .append(key.path("locations").isEmpty() ? "all" : join(key.path("locations")));
    if (key.hasNonNull("rateLimit")) {
      line.append("  rate ")
          .append(key.path("rateLimit").path("requestsPerSecond").asInt())
          .append("/s");
    }
    if (key.hasNonNull("expiresAt"))
      line.append("  expires ").append(key.path("expiresAt").asText());
    if (key.hasNonNull("revokedAt"))
      line.append("  REVOKED ").append(key.path("revokedAt").asText());
    return line.toString();
  }

  private static String join(JsonNode array) {
    StringBuilder out = new StringBuilder();
    for (JsonNode n : array) out.append(out.isEmpty() ? "" : ",").append(n.asText());
    return out.toString();
  }

  /** The node's problem: its detail, each bad option on a line of its own; exit 1. */
  private int refused(HttpResponse<String> response) {
    String detail = response.body();
    JsonNode problem = null;
    try {
      problem = JSON.readTree(response.body());
      detail = problem.path("detail").asText(detail);
    } catch (IOException notJson) {
      // the body as it came
    }
    String hint =
        switch (response.statusCode()) {
          case 401 -> " (is STOCKHOLD_MASTER_KEY this node's master key?)";
          case 404 ->
              problem != null && problem.path("type").asText().endsWith("key-not-found")
                  ? ""
                  : " (is " + base + " a Stockhold API port?)";
          default -> "";
        };
    out.println("keys: " + response.statusCode() + " " + detail + hint);
    if (problem != null) {
      for (JsonNode error : problem.path("errors")) {
        String pointer = error.path("pointer").asText();
        String option =
            OPTION_OF.entrySet().stream()
                .filter(o -> pointer.startsWith(o.getKey()))
                .map(Map.Entry::getValue)
                .findFirst()
                .orElse(pointer);
        out.println("  " + option + ": " + error.path("detail").asText());
      }
    }
    return 1;
  }

  private HttpResponse<String> send(String method, String path, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + masterKey);
    if (body != null) {
      request.header("Content-Type", "application/json");
      request.method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}

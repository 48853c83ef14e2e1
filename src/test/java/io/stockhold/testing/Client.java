package io.stockhold.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A plain HTTP/1.1 client for the REST API, as a checkout team would write one. It presents the
 * test nodes' master key unless made with another key ({@link #Client(int, String)}) or none
 * ({@link #anonymous(int)}).
 */
public final class Client {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  public record Response(int status, String body, HttpResponse<String> raw) {
    public JsonNode json() {
      try {
        return MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    public String contentType() {
      return header("Content-Type");
    }

    /** The slug at the end of a problem's type. */
    public String problem() {
      String type = json().path("type").asText();
      return type.substring(type.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  private final HttpClient http;
  private final String base;
  private final String key;

  /** A client with the master key every test node has. */
  public Client(int port) {
    this(port, TestKeys.MASTER);
  }

  /**
   * A client that presents {@code key} ({@code Authorization: Bearer <key>}) on every request, or
   * no Authorization header when {@code key} is null.
   */
  public Client(int port, String key) {
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.base = "http://127.0.0.1:" + port;
    this.key = key;
  }

  /** A client that presents no key at all. */
  public static Client anonymous(int port) {
    return new Client(port, null);
  }

  /** The key this client presents; null when it presents none. */
  public String key() {
    return key;
  }

  public Response get(String path) {
    return send("GET", path, null, Map.of());
  }

  public Response post(String path, String json) {
    return send("POST", path, json, Map.of());
  }

  public Response post(String path, String json, Map<String, String> headers) {
    return send("POST", path, json, headers);
  }

  public Response put(String path, String json) {
    return send("PUT", path, json, Map.of());
  }

  /**
   * A request as given: {@code body} null sends none; headers may set Content-Type, and an
   * Authorization header given here replaces the client's key.
   */
  public Response send(String method, String path, String body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
    boolean typed = headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Content-Type"));
    if (body != null && !typed) b.header("Content-Type", "application/json");
    boolean authorized =
        headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Authorization"));
    if (key != null && !authorized) b.header("Authorization", TestKeys.bearer(key));
    headers.forEach(b::header);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r);
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------ domain shortcuts

  public Response stock(String location, String sku, long onHand) {
    return post(
        "/v1/stock/" + location + "/" + sku + "/adjustments",
        "{\"setOnHand\":" + onHand + ",\"reason\":\"count\"}");
  }

  public Response reserve(
      String channel, String location, String sku, long quantity, Long ttlSeconds, String key) {
    String body =
        "{\"channel\":\""
            + channel
            + "\",\"lines\":[{\"location\":\""
            + location
            + "\",\"sku\":\""
            + sku
            + "\",\"quantity\":"
            + quantity
            + "}]"
            + (ttlSeconds == null ? "" : ",\"ttlSeconds\":" + ttlSeconds)
            + "}";
    return post("/v1/reservations", body, key == null ? Map.of() : Map.of("Idempotency-Key", key));
  }

  public Response level(String location, String sku) {
    return get("/v1/stock/" + location + "/" + sku);
  }
}

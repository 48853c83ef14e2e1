package io.stockhold.api.http;

import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.stream.Materializer;

/**
 * Cross-origin calls from the browsers of {@code stockhold.http.cors.allowed-origins} (a browser
 * POS over gRPC-Web, a console), for the whole API port: a preflight ({@code OPTIONS} with {@code
 * Access-Control-Request-Method}) is answered here, before any key is asked for — browsers send
 * none with it — and every answer to an allowed origin says so. Other origins get no CORS headers,
 * so their browsers refuse the answer; a preflight from one is 403.
 */
public final class Cors {

  private static final String METHODS = "GET, POST, PUT, DELETE, OPTIONS";
  private static final String HEADERS =
      "Authorization, Content-Type, Idempotency-Key, X-Request-Id, X-Grpc-Web, X-User-Agent,"
          + " Grpc-Timeout, Traceparent";
  private static final String EXPOSED =
      "Location, X-Request-Id, Retry-After, WWW-Authenticate, Grpc-Status, Grpc-Message,"
          + " Traceparent";

  private final Set<String> allowedOrigins;

  public Cors(Set<String> allowedOrigins) {
    this.allowedOrigins = Set.copyOf(allowedOrigins);
  }

  /**
   * The origins in {@code stockhold.http.cors.allowed-origins}, comma-separated; none by default.
   */
  public static Cors from(Config config) {
    return new Cors(
        Arrays.stream(config.getString("stockhold.http.cors.allowed-origins").split(","))
            .map(String::strip)
            .filter(o -> !o.isEmpty())
            .collect(Collectors.toSet()));
  }

  /** {@code handler} with CORS around it; {@code handler} itself when no origin is allowed. */
  public Function<HttpRequest, CompletionStage<HttpResponse>> around(
      Function<HttpRequest, CompletionStage<HttpResponse>> handler, Materializer materializer) {
    if (allowedOrigins.isEmpty()) return handler;
    return request -> {
      Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
      if (origin.isEmpty()) return handler.apply(request);
      boolean allowed = allowedOrigins.contains(origin.get());
      boolean preflight =
          request.method().equals(HttpMethods.OPTIONS)
              && request.getHeader("Access-Control-Request-Method").isPresent();
      if (preflight) {
        request.discardEntityBytes(materializer);
        return CompletableFuture.completedFuture(
            allowed ? preflightAnswer(origin.get()) : refused(origin.get()));
      }
      if (!allowed) return handler.apply(request);
      return handler.apply(request).thenApply(response -> withOrigin(response, origin.get()));
    };
  }

  private static HttpResponse preflightAnswer(String origin) {
    return HttpResponse.create()
        .withStatus(204)
        .addHeaders(
            List.of(
                RawHeader.create("Access-Control-Allow-Origin", origin),
                RawHeader.create("Access-Control-Allow-Methods", METHODS),
                RawHeader.create("Access-Control-Allow-Headers", HEADERS),
                RawHeader.create("Access-Control-Max-Age", "600"),
                RawHeader.create("Vary", "Origin")));
  }

  private static HttpResponse refused(String origin) {
    return Problem.of(
            403, "forbidden", "Forbidden", "cross-origin calls from " + origin + " are not allowed")
        .toResponse()
        .addHeader(RawHeader.create("Vary", "Origin"));
  }

  private static HttpResponse withOrigin(HttpResponse response, String origin) {
    return response.addHeaders(
        List.of(
            RawHeader.create("Access-Control-Allow-Origin", origin),
            RawHeader.create("Access-Control-Expose-Headers", EXPOSED),
            RawHeader.create("Vary", "Origin")));
  }
}

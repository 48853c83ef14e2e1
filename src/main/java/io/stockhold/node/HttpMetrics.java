package io.stockhold.node;

import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Counts and times every API request by route template and status class. Paths are reduced to their
 * template ({@code /v1/stock/{location}/{sku}}) so the number of series stays fixed, however many
 * items and reservations there are.
 */
final class HttpMetrics extends AllDirectives {

  static final String RESERVATIONS = "/v1/reservations";

  private final Metrics metrics;

  HttpMetrics(Metrics metrics) {
    this.metrics = metrics;
  }

  Route around(Route api) {
    return extractRequest(
        request -> {
          long started = System.nanoTime();
          return mapResponse(
              response -> {
                metrics.httpRequest(
                    request.method().value(),
                    template(request.getUri().path()),
                    response.status().intValue(),
                    System.nanoTime() - started);
                return response;
              },
              () -> api);
        });
  }

  /** The route a path belongs to, as the OpenAPI document names it; anything else is "other". */
  static String template(String path) {
    String[] p = path.split("/", -1);
    // p[0] is the empty string before the leading slash.
    if (p.length < 3 || !p[0].isEmpty() || !p[1].equals("v1")) return "other";
    return switch (p[2]) {
      case "stock" ->
          switch (p.length) {
            case 3 -> "/v1/stock";
            case 5 -> "/v1/stock/{location}/{sku}";
            case 6 ->
                switch (p[5]) {
                  case "adjustments" -> "/v1/stock/{location}/{sku}/adjustments";
                  case "policy" -> "/v1/stock/{location}/{sku}/policy";
                  case "history" -> "/v1/stock/{location}/{sku}/history";
                  default -> "other";
                };
            default -> "other";
          };
      case "reservations" ->
          switch (p.length) {
            case 3 -> RESERVATIONS;
            case 4 -> "/v1/reservations/{id}";
            case 5 ->
                switch (p[4]) {
                  case "commit" -> "/v1/reservations/{id}/commit";
                  case "release" -> "/v1/reservations/{id}/release";
                  case "extend" -> "/v1/reservations/{id}/extend";
                  default -> "other";
                };
            default -> "other";
          };
      case "openapi.yaml" -> p.length == 3 ? "/v1/openapi.yaml" : "other";
      default -> "other";
    };
  }
}

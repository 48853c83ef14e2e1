package io.stockhold.node;

import io.stockhold.api.http.RouteTemplates;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Counts and times every API request by route template ({@link RouteTemplates}) and status class.
 */
final class HttpMetrics extends AllDirectives {

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
                    RouteTemplates.of(request.getUri().path()),
                    response.status().intValue(),
                    System.nanoTime() - started);
                return response;
              },
              () -> api);
        });
  }
}

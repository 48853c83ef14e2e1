package io.stockhold.node;

import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /metrics} on the management port, next to {@code /ready} and {@code /alive}:
 * registered in {@code pekko.management.http.routes}, which constructs it with the actor system.
 */
public final class MetricsRoute extends AllDirectives implements ManagementRouteProvider {

  /** The Prometheus text exposition format, version 0.0.4. */
  private static final ContentType.WithCharset PROMETHEUS_TEXT =
      ContentTypes.create(
          MediaTypes.customWithOpenCharset("text", "plain", Map.of("version", "0.0.4"), false),
          HttpCharsets.UTF_8);

  private final Metrics metrics;

  public MetricsRoute(ExtendedActorSystem system) {
    this.metrics = Metrics.get(Adapter.toTyped(system));
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path(
        "metrics",
        () ->
            get(
                () ->
                    complete(
                        HttpResponse.create()
                            .withEntity(HttpEntities.create(PROMETHEUS_TEXT, metrics.scrape())))));
  }
}

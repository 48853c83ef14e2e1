package io.stockhold.api.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.pattern.Patterns;

/**
 * The notice a node gives before it stops taking HTTP connections. A keep-alive connection that the
 * server closes just as the client sends on it leaves that request without an answer; so, first,
 * for {@code stockhold.http.drain-notice}, every response says {@code Connection: close} (clients
 * open their next connection elsewhere, or find this node refusing it) and {@code /ready} answers
 * 503 (load balancers stop sending). Only then does pekko-http unbind and finish what it has.
 */
public final class HttpDrain extends AllDirectives implements Extension {

  private volatile boolean draining;

  private HttpDrain(ActorSystem<?> system) {
    Duration notice = system.settings().config().getDuration("stockhold.http.drain-notice");
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeServiceUnbind(),
            "stockhold-drain-notice",
            () -> {
              draining = true;
              return Patterns.after(
                  notice,
                  system.classicSystem(),
                  () -> CompletableFuture.completedFuture(Done.getInstance()));
            });
  }

  public static HttpDrain get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  public boolean draining() {
    return draining;
  }

  public Route around(Route api) {
    return mapResponse(
        response -> draining ? response.addHeader(Connection.create("close")) : response,
        () -> api);
  }

  private static final class Id extends ExtensionId<HttpDrain> {
    static final Id INSTANCE = new Id();

    @Override
    public HttpDrain createExtension(ActorSystem<?> system) {
      return new HttpDrain(system);
    }
  }
}

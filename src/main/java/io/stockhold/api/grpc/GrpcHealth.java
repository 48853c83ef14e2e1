package io.stockhold.api.grpc;

import io.grpc.Status;
import io.stockhold.api.grpc.health.Health;
import io.stockhold.api.grpc.health.HealthCheckRequest;
import io.stockhold.api.grpc.health.HealthCheckResponse;
import io.stockhold.api.grpc.health.HealthCheckResponse.ServingStatus;
import io.stockhold.api.grpc.v1.PointOfSale;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.management.HealthCheckSettings;
import org.apache.pekko.management.javadsl.HealthChecks;
import org.apache.pekko.stream.javadsl.Source;

/**
 * gRPC's health service on the API port, for Kubernetes' gRPC probes and load balancers that speak
 * it: SERVING exactly when the node's readiness check ({@code /ready} on the management port)
 * passes, NOT_SERVING otherwise. It needs no API key: a probe has none, and it tells nothing but
 * that.
 */
public final class GrpcHealth implements Health {

  /** The services a caller may ask about: the node as a whole ("") and the POS service. */
  private static final Set<String> KNOWN = Set.of("", PointOfSale.name);

  /** How often a watcher's status is looked at again; a change is sent, nothing else. */
  private static final Duration WATCH_EVERY = Duration.ofSeconds(1);

  private final HealthChecks checks;

  public GrpcHealth(ActorSystem<?> system) {
    this.checks =
        new HealthChecks(
            (ExtendedActorSystem) system.classicSystem(),
            HealthCheckSettings.create(
                system.settings().config().getConfig("pekko.management.health-checks")));
  }

  @Override
  public CompletionStage<HealthCheckResponse> check(HealthCheckRequest in) {
    if (!KNOWN.contains(in.getService())) {
      return CompletableFuture.failedFuture(
          new GrpcServiceException(
              Status.NOT_FOUND.withDescription("no service " + in.getService())));
    }
    return status().thenApply(GrpcHealth::response);
  }

  @Override
  public Source<HealthCheckResponse, NotUsed> watch(HealthCheckRequest in) {
    if (!KNOWN.contains(in.getService())) {
      // gRPC's rule for Watch: say so, and keep the stream open (the service may appear later).
      return Source.single(response(ServingStatus.SERVICE_UNKNOWN))
          .concat(Source.<HealthCheckResponse>never());
    }
    return Source.tick(Duration.ZERO, WATCH_EVERY, NotUsed.getInstance())
        .mapMaterializedValue(cancellable -> NotUsed.getInstance())
        .mapAsync(1, tick -> status())
        .statefulMap(
            () -> Optional.<ServingStatus>empty(),
            (last, now) ->
                last.equals(Optional.of(now))
                    ? Pair.create(last, Optional.<ServingStatus>empty())
                    : Pair.create(Optional.of(now), Optional.of(now)),
            last -> Optional.empty())
        .filter(Optional::isPresent)
        .map(status -> response(status.get()));
  }

  private CompletionStage<ServingStatus> status() {
    return checks
        .ready()
        .thenApply(ready -> ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING)
        .exceptionally(failure -> ServingStatus.NOT_SERVING);
  }

  private static HealthCheckResponse response(ServingStatus status) {
    return HealthCheckResponse.newBuilder().setStatus(status).build();
  }
}

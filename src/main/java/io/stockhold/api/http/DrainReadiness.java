package io.stockhold.api.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/** Readiness is false from the moment a graceful stop begins ({@link HttpDrain}). */
public final class DrainReadiness implements Supplier<CompletionStage<Boolean>> {

  private final HttpDrain drain;

  public DrainReadiness(ActorSystem system) {
    this.drain = HttpDrain.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(!drain.draining());
  }
}

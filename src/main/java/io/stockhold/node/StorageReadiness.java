package io.stockhold.node;

import io.stockhold.storage.Storage;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.dispatch.Dispatchers;

/**
 * Readiness ({@code /ready} on the management port): this node is an Up member of the cluster and
 * its database answers. Loaded by pekko-management from {@code readiness-checks}.
 */
public final class StorageReadiness implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;
  private final Storage storage;

  public StorageReadiness(ActorSystem system) {
    this.system = system;
    this.storage = Storage.from(system.settings().config());
  }

  @Override
  public CompletionStage<Boolean> get() {
    if (Cluster.get(system).selfMember().status() != MemberStatus.up()) {
      return CompletableFuture.completedFuture(false);
    }
    return CompletableFuture.supplyAsync(
        () -> {
          try (var connection = storage.connect()) {
            return connection.isValid(1);
          } catch (SQLException e) {
            return false;
          }
        },
        system.dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId()));
  }
}

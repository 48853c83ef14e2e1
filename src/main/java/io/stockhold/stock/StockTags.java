package io.stockhold.stock;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;

/**
 * Each stock item's events carry one tag, {@code stock-<k>}, {@code k = hash(persistenceId) mod N}:
 * the slices that projections read. N is fixed for the life of a journal (changing it re-tags new
 * events only and needs a migration of the projections' offsets).
 */
public final class StockTags {

  private StockTags() {}

  public static int count(Config config) {
    return config.getInt("stockhold.projections.slices");
  }

  public static String tagFor(String persistenceId, int count) {
    return "stock-" + Math.floorMod(persistenceId.hashCode(), count);
  }

  /**
   * Where the processes that read the slices run: any node, or the nodes with the configured role.
   */
  public static ShardedDaemonProcessSettings placement(ActorSystem<?> system) {
    String role = system.settings().config().getString("stockhold.projections.role");
    ShardedDaemonProcessSettings settings = ShardedDaemonProcessSettings.create(system);
    return role.isBlank() ? settings : settings.withRole(role);
  }

  public static List<String> all(Config config) {
    List<String> tags = new ArrayList<>();
    for (int k = 0; k < count(config); k++) tags.add("stock-" + k);
    return tags;
  }
}

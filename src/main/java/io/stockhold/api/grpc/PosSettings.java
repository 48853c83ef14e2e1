package io.stockhold.api.grpc;

import com.typesafe.config.Config;
import java.time.Duration;

/** The tunables of {@code stockhold.pos}; see {@code stockhold.conf} for what each does. */
public record PosSettings(
    Duration defaultTtl,
    Duration watchCatchUp,
    int maxWatchedSkus,
    int maxWatchedItems,
    int syncParallelism) {

  public static PosSettings from(Config config) {
    Config c = config.getConfig("stockhold.pos");
    return new PosSettings(
        c.getDuration("default-ttl"),
        c.getDuration("watch-catch-up"),
        c.getInt("max-watched-skus"),
        c.getInt("max-watched-items"),
        c.getInt("sync-parallelism"));
  }
}

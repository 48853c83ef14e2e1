package io.stockhold.stock;

import com.typesafe.config.Config;
import java.time.Duration;

/** The tunables of {@code stockhold.stock-item}; see {@code stockhold.conf} for what each does. */
public record StockItemSettings(
    int maxBatch,
    int maxExpiries,
    int maxQueue,
    Duration idleTimeout,
    int snapshotEvery,
    Duration restartBackoff,
    int tagCount) {

  public static StockItemSettings from(Config config) {
    Config c = config.getConfig("stockhold.stock-item");
    return new StockItemSettings(
        c.getInt("max-batch"),
        c.getInt("max-expiries"),
        c.getInt("max-queue"),
        c.getDuration("idle-timeout"),
        c.getInt("snapshot-every"),
        c.getDuration("restart-backoff"),
        StockTags.count(config));
  }
}

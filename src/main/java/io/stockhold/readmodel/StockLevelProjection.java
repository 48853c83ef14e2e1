package io.stockhold.readmodel;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockTags;
import io.stockhold.storage.ProjectionSession;
import io.stockhold.storage.Storage;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The stock-level read model: one exactly-once projection per event tag (a slice of the stock
 * items), run as a sharded daemon process so each slice runs on exactly one node. The offset and
 * the rows it produced commit in one transaction.
 */
public final class StockLevelProjection {

  private StockLevelProjection() {}

  /** A small pool for the read side, separate from the journal's. */
  public static HikariDataSource dataSource(Storage storage, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(storage.url());
    config.setUsername(storage.user());
    config.setPassword(storage.password());
    storage.queryConnectionProperties().forEach(config::addDataSourceProperty);
    config.setMaximumPoolSize(size);
    config.setPoolName("stockhold-read-model");
    return new HikariDataSource(config);
  }

  public static void init(ActorSystem<?> system, HikariDataSource dataSource) throws Exception {
    JdbcProjection.createTablesIfNotExists(() -> new ProjectionSession(dataSource), system)
        .toCompletableFuture()
        .get(30, TimeUnit.SECONDS);
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      StockLevelProjectionHandler.createTable(s);
    }
    List<String> tags = StockTags.all(system.settings().config());
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            "stock-level-projection",
            tags.size(),
            i -> ProjectionBehavior.create(projection(system, dataSource, tags.get(i))),
            StockTags.placement(system),
            Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static GroupedProjection<Offset, EventEnvelope<StockEvent>> projection(
      ActorSystem<?> system, HikariDataSource dataSource, String tag) {
    SourceProvider<Offset, EventEnvelope<StockEvent>> events =
        EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
    // Many events, one transaction: a hot item's burst costs the read model a few commits.
    return JdbcProjection.groupedWithin(
            ProjectionId.of("stock-level", tag),
            events,
            () -> new ProjectionSession(dataSource),
            StockLevelProjectionHandler::new,
            system)
        .withGroup(500, Duration.ofMillis(200));
  }
}

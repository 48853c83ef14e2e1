package io.stockhold.erp;

import io.micrometer.core.instrument.MeterRegistry;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockTags;
import io.stockhold.storage.ProjectionSession;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.GroupedProjection;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Every stock item's events to the ERP: one projection per event tag (slice), each running on
 * exactly one node as a sharded daemon process, publishing in journal order and storing its offset
 * only after the broker confirmed (or the file was synced).
 */
public final class ErpProjection {

  /** The projection's name in the offset store. */
  public static final String NAME = "erp-events";

  private ErpProjection() {}

  /**
   * Starts the slices. {@code publishers} makes one publisher per slice (and per restart of a
   * slice, so a failed connection is never reused).
   */
  public static ErpLag init(
      ActorSystem<?> system,
      DataSource dataSource,
      ErpSettings settings,
      Function<String, EventPublisher> publishers,
      Clock clock)
      throws Exception {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(ErpProjectionHandler.CREATE_TABLE);
    }
    ErpLag lag = new ErpLag(dataSource, NAME, clock);
    List<String> tags = StockTags.all(system.settings().config());
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            tags.size(),
            i ->
                ProjectionBehavior.create(
                    projection(
                        system,
                        dataSource,
                        settings,
                        tags.get(i),
                        () ->
                            new ErpProjectionHandler(
                                tags.get(i),
                                publishers.apply(tags.get(i)),
                                lag,
                                itemEvents(system)))),
            StockTags.placement(system),
            Optional.of(ProjectionBehavior.stopMessage()));
    var blocking =
        system
            .dispatchers()
            .lookup(
                DispatcherSelector.fromConfig("pekko.projection.jdbc.blocking-jdbc-dispatcher"));
    system
        .scheduler()
        .scheduleAtFixedRate(
            settings.lagInterval(), settings.lagInterval(), lag::measureAll, blocking);
    return lag;
  }

  /** An item's events straight from the journal, by sequence number. */
  static ErpProjectionHandler.ItemEvents itemEvents(ActorSystem<?> system) {
    JdbcReadJournal journal =
        PersistenceQuery.get(system)
            .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    return (pid, from, to) ->
        journal
            .currentEventsByPersistenceId(pid, from, to)
            .map(e -> (StockEvent) e.event())
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  /**
   * Publishers for the configured destination: RabbitMQ when a URI is set (its client measured in
   * {@code registry}), else the file.
   */
  public static Function<String, EventPublisher> publishers(
      ErpSettings settings, MeterRegistry registry) {
    if (settings.amqpUri().isEmpty()) {
      FileEventPublisher file = new FileEventPublisher(settings.eventsFile());
      return slice -> file;
    }
    Broker broker = new Broker(settings, registry, "events");
    return slice -> new AmqpEventPublisher(broker, settings, slice);
  }

  private static GroupedProjection<Offset, EventEnvelope<StockEvent>> projection(
      ActorSystem<?> system,
      DataSource dataSource,
      ErpSettings settings,
      String tag,
      Supplier<JdbcHandler<List<EventEnvelope<StockEvent>>, ProjectionSession>> handler) {
    return JdbcProjection.groupedWithin(
            ProjectionId.of(NAME, tag),
            EventSourcedProvider.<StockEvent>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
            () -> new ProjectionSession(dataSource),
            handler,
            system)
        .withGroup(settings.groupSize(), settings.groupWithin());
  }
}

package io.stockhold.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.node.StockholdNode;
import io.stockhold.stock.StockEvent;
import io.stockhold.stock.StockEvent.StockAdjusted;
import io.stockhold.stock.StockTags;
import io.stockhold.testing.Client;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.persistence.jdbc.query.dao.ReadJournalDao;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/**
 * The journal as PostgreSQL holds it after many items wrote batches at once through {@link
 * PostgresJournalDao}: every event once, in sequence order, each with exactly its slice's tag
 * pointing at it, and the books of every item balanced.
 */
class JournalWritesIT {

  @Test
  void batchesOfEventsLandWithTheirTagsInSequenceOrder() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      int tagCount;
      int acknowledged = 0;
      try (StockholdNode node = TestNodes.start(store)) {
        assertEquals(
            PostgresJournalDao.class.getName(),
            node.system().settings().config().getString("jdbc-journal.dao"));
        // The journal actor runs with the stock items, not on Pekko's plugin pool
        // (persistence.conf).
        assertEquals(
            "pekko.actor.default-dispatcher",
            node.system().settings().config().getString("jdbc-journal.plugin-dispatcher"));
        tagCount = StockTags.count(node.system().settings().config());
        Client admin = new Client(node.httpPort());
        for (int i = 0; i < 3; i++) admin.stock("north", "sku-" + i, 10_000);
        // 32 buyers on three items: each item's writes carry many events.
        List<Future<Integer>> buyers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
          for (int b = 0; b < 32; b++) {
            Client own = new Client(node.httpPort());
            int buyer = b;
            buyers.add(
                pool.submit(
                    () -> {
                      int held = 0;
                      for (int i = 0; i < 40; i++) {
                        if (own.reserve("web", "north", "sku-" + (buyer + i) % 3, 1, 600L, null)
                                .status()
                            == 201) held++;
                      }
                      return held;
                    }));
          }
          for (Future<Integer> f : buyers) acknowledged += f.get();
        }
      }
      assertEquals(32 * 40, acknowledged);

      try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
          Statement s = c.createStatement()) {
        // Each stock item's events: orderings rise with sequence numbers, no sequence number is
        // missing, and each event has one tag row, its slice's.
        Map<String, Long> lastSeq = new HashMap<>();
        Map<String, Long> lastOrdering = new HashMap<>();
        long events = 0;
        try (ResultSet rs =
            s.executeQuery(
                """
                SELECT j.persistence_id, j.sequence_number, j.ordering, count(t.tag), min(t.tag), max(t.tag)
                FROM event_journal j LEFT JOIN event_tag t ON t.event_id = j.ordering
                WHERE j.persistence_id LIKE 'StockItem|%'
                GROUP BY j.persistence_id, j.sequence_number, j.ordering
                ORDER BY j.persistence_id, j.sequence_number\
                """)) {
          while (rs.next()) {
            String pid = rs.getString(1);
            long seq = rs.getLong(2);
            long ordering = rs.getLong(3);
            assertEquals(lastSeq.getOrDefault(pid, 0L) + 1, seq, pid);
            assertTrue(
                ordering > lastOrdering.getOrDefault(pid, 0L),
                pid + " #" + seq + " ordering " + ordering);
            assertEquals(1, rs.getLong(4), pid + " #" + seq + " tag rows");
            assertEquals(StockTags.tagFor(pid, tagCount), rs.getString(5));
            lastSeq.put(pid, seq);
            lastOrdering.put(pid, ordering);
            events++;
          }
        }
        assertEquals(3, lastSeq.size());
        // three stockings, one hold per acknowledged reservation
        assertTrue(events >= 3 + acknowledged, "events " + events);
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM event_tag t LEFT JOIN event_journal j ON j.ordering ="
                    + " t.event_id WHERE j.ordering IS NULL")) {
          rs.next();
          assertEquals(0, rs.getLong(1), "tag rows without their event");
        }
      }

      JournalAudit.Report report =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(report.clean(), report.violations().toString());
      assertEquals(acknowledged, report.items().stream().mapToLong(i -> i.holdsPlaced()).sum());
    }
  }

  /**
   * A write of more events than one statement takes (a mass expiry can be one): it goes in several
   * statements in one transaction, and events with and without tags may share a write.
   */
  @Test
  void aWriteLargerThanOneStatementLandsWhole() throws Exception {
    int count = 2_500;
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      try (StockholdNode node = TestNodes.start(store)) {
        write(node, "JournalWritesIT|big", count, Duration.ofSeconds(30));
      }
      try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  """
                  SELECT j.sequence_number, j.ordering, count(t.tag), min(t.tag)
                  FROM event_journal j LEFT JOIN event_tag t ON t.event_id = j.ordering
                  WHERE j.persistence_id = 'JournalWritesIT|big'
                  GROUP BY j.sequence_number, j.ordering ORDER BY j.sequence_number\
                  """)) {
        long seq = 0;
        long lastOrdering = 0;
        while (rs.next()) {
          assertEquals(++seq, rs.getLong(1));
          assertTrue(rs.getLong(2) > lastOrdering, "#" + seq + " ordering " + rs.getLong(2));
          lastOrdering = rs.getLong(2);
          // even deltas are tagged, odd ones are not
          assertEquals(seq % 2 == 0 ? 1 : 0, rs.getLong(3), "#" + seq + " tag rows");
          if (seq % 2 == 0) assertEquals("big-even", rs.getString(4));
        }
        assertEquals(count, seq);
      }
    }
  }

  /**
   * A slice's events as {@link PostgresReadJournalDao} finds them, by their tag rows, are exactly
   * what persistence-jdbc's own query answers: the same events in the same order, for any window
   * and limit, deleted events left out.
   */
  @Test
  void aSlicesEventsFoundByTheirTagRowsAreThePluginsAnswer() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      try (StockholdNode node = TestNodes.start(store)) {
        var system = node.system();
        assertEquals(
            PostgresReadJournalDao.class.getName(),
            system.settings().config().getString("jdbc-read-journal.dao"));
        // Two slices interleaved in the journal; every other event untagged.
        write(node, "JournalWritesIT|a", "slice-a", 300, Duration.ofSeconds(30));
        write(node, "JournalWritesIT|b", "slice-b", 301, Duration.ofSeconds(30));
        write(node, "JournalWritesIT|a", "slice-a", 302, Duration.ofSeconds(30));
        long maxOrdering;
        try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
            Statement s = c.createStatement()) {
          s.execute(
              "UPDATE event_journal SET deleted = true WHERE persistence_id = 'JournalWritesIT|a'"
                  + " AND sequence_number = 10");
          try (ResultSet rs = s.executeQuery("SELECT max(ordering) FROM event_journal")) {
            rs.next();
            maxOrdering = rs.getLong(1);
          }
        }

        Config readConfig = system.settings().config().getConfig("jdbc-read-journal");
        var slick = ((SlickExtensionImpl) SlickExtension.get(system)).database(readConfig);
        var db = slick.database();
        var profile = slick.profile();
        var config = new ReadJournalConfig(readConfig);
        var serialization = SerializationExtension.get(system);
        var mat = Materializer.matFromSystem(system);
        var ours =
            new PostgresReadJournalDao(
                db, profile, config, serialization, system.executionContext(), mat);
        var plugins =
            new DefaultReadJournalDao(
                db, profile, config, serialization, system.executionContext(), mat);

        int compared = 0;
        for (String tag : List.of("slice-a", "slice-b", "slice-none")) {
          for (long[] window :
              List.of(
                  new long[] {0, maxOrdering, 10_000},
                  new long[] {0, maxOrdering, 7},
                  new long[] {100, maxOrdering - 100, 500},
                  new long[] {maxOrdering / 2, maxOrdering, 60})) {
            List<String> expected = read(plugins, tag, window, mat);
            List<String> actual = read(ours, tag, window, mat);
            assertEquals(expected, actual, tag + " " + Arrays.toString(window));
            compared += actual.size();
          }
        }
        // 150 + 151 + 151 tagged events minus the deleted one are in the widest window
        List<String> all = read(ours, "slice-a", new long[] {0, maxOrdering, 10_000}, mat);
        assertEquals(150 + 151 - 1, all.size());
        assertTrue(compared > 600, "compared " + compared);
      }
    }
  }

  /** Each event as persistence id, sequence number, ordering and payload. */
  private static List<String> read(ReadJournalDao dao, String tag, long[] window, Materializer mat)
      throws Exception {
    List<String> out = new ArrayList<>();
    for (var row :
        dao.eventsByTag(tag, window[0], window[1], window[2])
            .asJava()
            .runWith(Sink.seq(), mat)
            .toCompletableFuture()
            .get()) {
      var read = row.get();
      out.add(
          read._1().persistenceId()
              + "#"
              + read._1().sequenceNr()
              + "@"
              + read._3()
              + "="
              + read._1().payload());
    }
    return out;
  }

  /** A write that fails in its last statement leaves nothing of its first ones behind. */
  @Test
  void aLargeWriteThatFailsPartWayLeavesNothing() throws Exception {
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES)) {
      try (StockholdNode node = TestNodes.start(store)) {
        try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
            Statement s = c.createStatement()) {
          s.execute(
              """
              CREATE FUNCTION refuse_2400() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN RAISE EXCEPTION 'refused #2400'; END $$\
              """);
          s.execute(
              """
              CREATE TRIGGER refuse_2400 BEFORE INSERT ON event_journal FOR EACH ROW
              WHEN (NEW.persistence_id = 'JournalWritesIT|torn' AND NEW.sequence_number = 2400)
              EXECUTE FUNCTION refuse_2400()\
              """);
        }
        // The writer stops on the failed write, so the ask is never answered.
        assertThrows(
            Exception.class,
            () -> write(node, "JournalWritesIT|torn", 2_500, Duration.ofSeconds(10)));
      }
      try (Connection c = DriverManager.getConnection(store.jdbcUrl(), "postgres", "");
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*) FROM event_journal WHERE persistence_id ="
                      + " 'JournalWritesIT|torn'")) {
        rs.next();
        assertEquals(0, rs.getLong(1), "events of the failed write that stayed");
      }
    }
  }

  private static void write(StockholdNode node, String persistenceId, int count, Duration timeout)
      throws Exception {
    write(node, persistenceId, "big-even", count, timeout);
  }

  private static void write(
      StockholdNode node, String persistenceId, String tag, int count, Duration timeout)
      throws Exception {
    var writer =
        node.system()
            .systemActorOf(
                new BigWriter(persistenceId, tag),
                "writer-" + count + "-" + persistenceId.replace('|', '-'),
                Props.empty());
    List<StockEvent> events = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      events.add(
          new StockAdjusted("north", "big", i, "count", null, null, null, i, 0, i, Instant.now()));
    }
    AskPattern.<BigWriter.Write, Done>ask(
            writer, reply -> new BigWriter.Write(events, reply), timeout, node.system().scheduler())
        .toCompletableFuture()
        .get();
  }

  /** Persists what it is given in one write; tags the events with an even delta. */
  private static final class BigWriter
      extends EventSourcedBehavior<BigWriter.Write, StockEvent, Integer> {

    record Write(List<StockEvent> events, ActorRef<Done> replyTo)
        implements NoSerializationVerificationNeeded {}

    private final String tag;

    BigWriter(String persistenceId, String tag) {
      super(PersistenceId.ofUniqueId(persistenceId));
      this.tag = tag;
    }

    @Override
    public Integer emptyState() {
      return 0;
    }

    @Override
    public CommandHandler<Write, StockEvent, Integer> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(
              Write.class,
              (state, write) ->
                  Effect()
                      .persist(write.events())
                      .thenRun(after -> write.replyTo().tell(Done.getInstance())))
          .build();
    }

    @Override
    public EventHandler<Integer, StockEvent> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
    }

    @Override
    public Set<String> tagsFor(StockEvent event) {
      return ((StockAdjusted) event).delta() % 2 == 0 ? Set.of(tag) : Set.of();
    }
  }
}

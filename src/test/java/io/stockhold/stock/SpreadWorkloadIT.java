package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import io.stockhold.cli.JournalAudit;
import io.stockhold.node.StockholdNode;
import io.stockhold.reservation.ReservationIds;
import io.stockhold.testing.Client;
import io.stockhold.testing.Client.Response;
import io.stockhold.testing.JournalHolds;
import io.stockhold.testing.TestNodes;
import io.stockhold.testing.TestStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bench's "spread" workload against one node on PostgreSQL: many items, many connections,
 * single-line holds of one unit on items picked uniformly. Afterwards the journal holds every
 * acknowledged hold once and nothing oversold, and both projections (the stock_level read model and
 * the ERP events file) agree with the items: spreading the load must not cost a hold, an event or a
 * row anywhere.
 */
class SpreadWorkloadIT {

  private static final String LOCATION = "spread";
  private static final int ITEMS = 300;
  private static final long UNITS = 1_000;
  private static final int BUYERS = 48;

  // The load ends at whichever comes first, so a fast machine does not run away with the stock and
  // a slow one still stops: 48 × 1,500 requests are 240 an item on average, far from 1,000.
  private static final long LOAD_NANOS = TimeUnit.SECONDS.toNanos(4);
  private static final int REQUESTS_PER_BUYER = 1_500;

  // Generous: the projections trail by well under a second; this only bounds a failing run.
  private static final Duration CATCH_UP = Duration.ofSeconds(60);

  private static final ObjectMapper JSON = new ObjectMapper();

  private enum Outcome {
    HELD,
    SOLD_OUT,
    // A 503 or a request whose answer never came: the hold may or may not exist.
    UNKNOWN
  }

  /** One request a buyer sent, and what it learnt. */
  private record Sent(String key, String sku, Outcome outcome, String reservationId) {}

  @Test
  void everyHoldIsJournaledOnceAndBothProjectionsAgreeWithTheItems() throws Exception {
    List<String> skus = new ArrayList<>();
    for (int i = 0; i < ITEMS; i++) skus.add(String.format("sku-%03d", i));
    try (TestStore store = TestStore.create(TestStore.Kind.POSTGRES);
        StockholdNode node = TestNodes.start(store)) {
      Client admin = new Client(node.httpPort());
      // One after another: an item's first call also starts it (allocates its shard, recovers it,
      // remembers it), and first calls sixteen at a time right after the node started queued long
      // enough on a busy machine for one to miss the 5 s ask timeout (503).
      for (String sku : skus) {
        Response r = admin.stock(LOCATION, sku, UNITS);
        assertEquals(200, r.status(), sku + " " + r);
      }

      Queue<String> errors = new ConcurrentLinkedQueue<>();
      List<Sent> sent = new ArrayList<>();
      long started = System.nanoTime();
      long deadline = started + LOAD_NANOS;
      try (ExecutorService pool = Executors.newFixedThreadPool(BUYERS)) {
        List<Future<List<Sent>>> buyers = new ArrayList<>();
        for (int b = 0; b < BUYERS; b++) {
          // A client of its own is a connection of its own; a seeded random picks the same items
          // in the same order every run.
          Client own = new Client(node.httpPort());
          SplittableRandom random = new SplittableRandom(b);
          String prefix = "spread-" + b + "-";
          buyers.add(
              pool.submit(
                  () -> {
                    List<Sent> mine = new ArrayList<>();
                    for (int i = 0; i < REQUESTS_PER_BUYER && System.nanoTime() < deadline; i++) {
                      String sku = skus.get(random.nextInt(ITEMS));
                      mine.add(buy(own, prefix + i, sku, errors));
                    }
                    return mine;
                  }));
        }
        for (Future<List<Sent>> f : buyers) sent.addAll(f.get());
      }
      long loadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertTrue(errors.isEmpty(), errors.stream().limit(10).toList() + " of " + errors.size());

      Map<String, List<Sent>> bySku = new TreeMap<>();
      for (Sent s : sent) bySku.computeIfAbsent(s.sku(), k -> new ArrayList<>()).add(s);
      long held = count(sent, Outcome.HELD);
      long unknown = count(sent, Outcome.UNKNOWN);
      System.out.printf(
          "spread: %d requests in %d ms over %d connections: %d held, %d sold out, %d unknown%n",
          sent.size(), loadMillis, BUYERS, held, count(sent, Outcome.SOLD_OUT), unknown);
      assertTrue(held > 0, "no reservation was acknowledged");
      // No item was asked for more units than it had, so "sold out" would be a refusal of stock
      // that was there.
      for (var e : bySku.entrySet()) {
        assertTrue(e.getValue().size() <= UNITS, e.getKey() + " asked " + e.getValue().size());
      }
      assertEquals(0, count(sent, Outcome.SOLD_OUT), "sold out with units left");

      // Each item's own answer, once the load is over: nothing changes it any more (the holds last
      // an hour, nothing commits or releases), so it is the truth both projections must reach.
      Map<String, JsonNode> levels = new TreeMap<>();
      for (String sku : skus) {
        Response r = admin.level(LOCATION, sku);
        assertEquals(200, r.status(), sku + " " + r);
        levels.put(sku, r.json());
      }

      // The journal: every acknowledged hold placed exactly once, at the item it was asked of;
      // the only other holds are those of requests whose outcome the buyer did not learn.
      Map<String, Map<String, Integer>> holds = JournalHolds.read(store);
      Set<String> acknowledgedIds = new HashSet<>();
      for (Sent s : sent) {
        if (s.outcome() != Outcome.HELD) continue;
        assertTrue(acknowledgedIds.add(s.reservationId()), "acknowledged twice: " + s);
        ReservationIds.SingleLine line =
            (ReservationIds.SingleLine) ReservationIds.parse(s.reservationId()).orElseThrow();
        assertEquals(new StockItemId(LOCATION, s.sku()), line.item(), "the hold's item: " + s);
        int placed =
            holds.getOrDefault(line.item().entityId(), Map.of()).getOrDefault(line.holdId(), 0);
        assertEquals(1, placed, "acknowledged " + s + " is in the journal " + placed + " times");
      }
      JournalAudit.Report audit =
          JournalAudit.run(store.config().withFallback(ConfigFactory.load()));
      assertTrue(audit.clean(), audit.violations().toString());
      Map<String, StockAudit> journal = new TreeMap<>();
      for (StockAudit item : audit.items()) journal.put(item.persistenceId(), item);
      assertEquals(
          skus.stream().map(SpreadWorkloadIT::persistenceId).sorted().toList(),
          List.copyOf(journal.keySet()),
          "one journal per stocked item");
      long unacknowledged = 0;
      for (String sku : skus) {
        String entityId = new StockItemId(LOCATION, sku).entityId();
        StockAudit item = journal.get(persistenceId(sku));
        List<Sent> asked = bySku.getOrDefault(sku, List.of());
        Map<String, Integer> placed = holds.getOrDefault(entityId, Map.of());
        for (var hold : placed.entrySet()) {
          assertEquals(1, hold.getValue(), entityId + " placed hold " + hold.getKey() + " twice");
        }
        long extra = placed.size() - count(asked, Outcome.HELD);
        assertTrue(
            extra >= 0 && extra <= count(asked, Outcome.UNKNOWN),
            entityId
                + ": "
                + extra
                + " holds nobody was told of, "
                + count(asked, Outcome.UNKNOWN)
                + " unknown outcomes");
        unacknowledged += extra;
        assertEquals(placed.size(), item.holdsPlaced(), entityId);
        assertTrue(item.holdsPlaced() <= UNITS, entityId + " oversold: " + item.holdsPlaced());
        // Nothing but the count and the holds happened to the item: its own answer is the replay.
        JsonNode level = levels.get(sku);
        assertEquals(UNITS, level.get("onHand").asLong(), entityId + " " + level);
        assertEquals(item.reserved(), level.get("reserved").asLong(), entityId + " " + level);
        assertEquals(item.holdsPlaced(), level.get("reserved").asLong(), entityId + " " + level);
        assertEquals(
            UNITS - item.reserved(), level.get("available").asLong(), entityId + " " + level);
      }
      System.out.printf(
          "spread: %d holds journaled, %d of them for the %d unknown outcomes%n",
          audit.holdsPlaced(), unacknowledged, unknown);

      // The read model reaches every item's own answer.
      Map<String, JsonNode> listed = listed(admin);
      long readModelDeadline = System.nanoTime() + CATCH_UP.toNanos();
      while (!listed.equals(levels) && System.nanoTime() < readModelDeadline) {
        Thread.sleep(100);
        listed = listed(admin);
      }
      assertEquals(levels, listed, "the read model caught up with the items");

      // The ERP events file: per item, one unbroken run 1..N in journal order, N its journaled
      // events; a repeated message (at least once) is the same message.
      Path file = store.dataDir().resolve("erp-events.jsonl");
      Map<String, Long> expected = new TreeMap<>();
      for (StockAudit item : audit.items()) expected.put(item.persistenceId(), item.events());
      List<String> lines = completeLines(file);
      long erpDeadline = System.nanoTime() + CATCH_UP.toNanos();
      while (!published(lines).equals(expected) && System.nanoTime() < erpDeadline) {
        Thread.sleep(100);
        lines = completeLines(file);
      }
      assertEquals(expected, published(lines), "every journaled event reached the ERP file");

      Map<String, String> byId = new HashMap<>();
      Map<String, List<Long>> firstSeen = new TreeMap<>();
      Map<String, Set<String>> holdsPublished = new TreeMap<>();
      long repeats = 0;
      for (String line : lines) {
        JsonNode m = JSON.readTree(line);
        String id = m.get("eventId").asText();
        String before = byId.putIfAbsent(id, line);
        if (before != null) {
          assertEquals(before, line, "a repeated message is the same message");
          repeats++;
          continue;
        }
        String pid = id.substring(0, id.lastIndexOf(':'));
        long seq = m.get("sequenceNr").asLong();
        assertEquals(pid + ":" + seq, id, line);
        assertEquals(
            pid,
            persistenceId(m.get("location").asText(), m.get("sku").asText()),
            "the message's item: " + line);
        firstSeen.computeIfAbsent(pid, k -> new ArrayList<>()).add(seq);
        if (m.get("type").asText().equals("hold-placed")) {
          holdsPublished.computeIfAbsent(pid, k -> new HashSet<>()).add(m.get("holdId").asText());
        }
      }
      for (var e : firstSeen.entrySet()) {
        List<Long> seqs = e.getValue();
        for (int i = 0; i < seqs.size(); i++) {
          assertEquals(
              i + 1, seqs.get(i), e.getKey() + " reached the ERP out of order or with a gap");
        }
      }
      for (String sku : skus) {
        String entityId = new StockItemId(LOCATION, sku).entityId();
        assertEquals(
            holds.getOrDefault(entityId, Map.of()).keySet(),
            holdsPublished.getOrDefault(persistenceId(sku), Set.of()),
            entityId + ": the ERP heard of exactly the journal's holds");
      }
      System.out.printf("spread: %d ERP messages, %d of them repeats%n", lines.size(), repeats);
    }
  }

  /** One reservation of one unit with a key of its own, and what the buyer learnt of it. */
  private static Sent buy(Client client, String key, String sku, Queue<String> errors) {
    Response r;
    try {
      r = client.reserve("web", LOCATION, sku, 1, 3600L, key);
    } catch (UncheckedIOException e) {
      return new Sent(key, sku, Outcome.UNKNOWN, null);
    }
    if (r.status() == 201) {
      return new Sent(key, sku, Outcome.HELD, r.json().get("reservationId").asText());
    }
    if (r.status() == 409 && r.problem().equals("insufficient-stock")) {
      return new Sent(key, sku, Outcome.SOLD_OUT, null);
    }
    if (r.status() == 503) return new Sent(key, sku, Outcome.UNKNOWN, null);
    errors.add(key + " " + sku + " -> " + r);
    return new Sent(key, sku, Outcome.UNKNOWN, null);
  }

  private static long count(List<Sent> sent, Outcome outcome) {
    return sent.stream().filter(s -> s.outcome() == outcome).count();
  }

  private static String persistenceId(String sku) {
    return persistenceId(LOCATION, sku);
  }

  private static String persistenceId(String location, String sku) {
    return StockItem.ENTITY_KEY.name() + "|" + new StockItemId(location, sku).entityId();
  }

  /** The read model's rows at the location, by SKU, page by page. */
  private static Map<String, JsonNode> listed(Client client) {
    Map<String, JsonNode> rows = new TreeMap<>();
    String cursor = null;
    do {
      Response page =
          client.get(
              "/v1/stock?location="
                  + LOCATION
                  + "&limit=100"
                  + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, page.status(), page.toString());
      for (JsonNode item : page.json().get("items")) {
        String sku = item.get("sku").asText();
        assertTrue(rows.put(sku, item) == null, sku + " listed twice");
      }
      JsonNode next = page.json().get("nextCursor");
      cursor = next.isNull() ? null : next.asText();
    } while (cursor != null);
    return rows;
  }

  /**
   * The file's whole lines: a slice may be appending while the file is read, and a line is only the
   * ERP's once its newline is written.
   */
  private static List<String> completeLines(Path file) throws IOException {
    if (!Files.exists(file)) return List.of();
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    int end = text.lastIndexOf('\n');
    return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
  }

  /** Per item, the distinct messages published. */
  private static Map<String, Long> published(List<String> lines) throws IOException {
    Map<String, Set<String>> ids = new TreeMap<>();
    for (String line : lines) {
      String id = JSON.readTree(line).get("eventId").asText();
      ids.computeIfAbsent(id.substring(0, id.lastIndexOf(':')), k -> new HashSet<>()).add(id);
    }
    Map<String, Long> counts = new TreeMap<>();
    ids.forEach((pid, set) -> counts.put(pid, (long) set.size()));
    return counts;
  }
}

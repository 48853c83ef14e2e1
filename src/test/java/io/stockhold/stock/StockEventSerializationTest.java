package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.stockhold.reservation.ReservationEvent;
import io.stockhold.reservation.ReservationLine;
import io.stockhold.stock.StockEvent.HoldCommitted;
import io.stockhold.stock.StockEvent.HoldExpired;
import io.stockhold.stock.StockEvent.HoldExtended;
import io.stockhold.stock.StockEvent.HoldPlaced;
import io.stockhold.stock.StockEvent.HoldReleased;
import io.stockhold.stock.StockEvent.LowStockCrossed;
import io.stockhold.stock.StockEvent.OfflineSaleRecorded;
import io.stockhold.stock.StockEvent.PolicyChanged;
import io.stockhold.stock.StockEvent.ShortageDetected;
import io.stockhold.stock.StockEvent.StockAdjusted;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the journal and the snapshot store keep: every event kind and a snapshot read back equal, to
 * the nanosecond; instants are stored as numbers (reading ISO text back cost the projections more
 * than anything else they do per event); and events stored as ISO text by earlier versions still
 * read.
 */
class StockEventSerializationTest {

  private static final Instant T = Instant.parse("2026-11-26T12:00:00.123456789Z");

  private static ActorTestKit current;

  /** The storage format before instants became numbers. */
  private static ActorTestKit earlier;

  @BeforeAll
  static void start() {
    current = ActorTestKit.create("current", StockFixtures.actorSystemConfig());
    earlier =
        ActorTestKit.create(
            "earlier",
            ConfigFactory.parseString(
                    "pekko.serialization.jackson.jackson-cbor.serialization-features.WRITE_DATES_AS_TIMESTAMPS"
                        + " = off")
                .withFallback(StockFixtures.actorSystemConfig()));
  }

  @AfterAll
  static void stop() {
    current.shutdownTestKit();
    earlier.shutdownTestKit();
  }

  static List<StockEvent> everyKind() {
    return List.of(
        new StockAdjusted(
            "berlin",
            "sku-1",
            10,
            "receipt",
            "po-7",
            "adj-1",
            "fp-a",
            10,
            0,
            10,
            T,
            "erp-receipts"),
        new PolicyChanged("berlin", "sku-1", 1, 3, 20, 10, 0, 9, T),
        new HoldPlaced(
            "berlin",
            "sku-1",
            "h-1",
            "r-1",
            "web",
            2,
            T.plusSeconds(900),
            "fp-h",
            10,
            2,
            7,
            T,
            "3f1c0a9e2b7d4c55"),
        new HoldExtended(
            "berlin", "sku-1", "h-1", "r-1", T.plusSeconds(1800), 10, 2, 7, T.plusNanos(1)),
        new HoldCommitted("berlin", "sku-1", "h-1", "r-1", 2, 8, 0, 7, T.plusMillis(1)),
        new HoldReleased("berlin", "sku-1", "h-2", "r-2", 1, 8, 0, 7, T.plusSeconds(1)),
        new HoldExpired("berlin", "sku-1", "h-3", "r-3", 1, 8, 0, 7, T.plusSeconds(2), "system"),
        new LowStockCrossed("berlin", "sku-1", 3, 20, 3, 0, 2, T.plusSeconds(3)),
        new ShortageDetected("berlin", "sku-1", 1, 2, 3, 0, T.plusSeconds(4)),
        new OfflineSaleRecorded(
            "berlin", "sku-1", "s-1", "pos-4", 1, T.minusSeconds(600), 1, 0, 0, T.plusSeconds(5)),
        new PolicyChanged(
            "berlin", "sku-1", 0, 0, 0, 1, 0, 1, T, "ops", null, null, null, 5L, true),
        new StockEvent.IncomingRecorded(
            "berlin", "sku-1", "po-9", 12, T.plusSeconds(86_400), "PO 9", 12, 1, 0, 1, T, "buyer"),
        new StockEvent.HoldBackordered(
            "berlin", "sku-1", "b-1", "r-b1", "web", 2, 900, "fp-b", 2, 1, 0, 0, T, "shop", "c-1"),
        new StockEvent.HoldBackordered(
            "berlin", "sku-1", "b-2", "r-b2", "web", 1, 900, null, 3, 1, 0, 0, T, "shop", null),
        new StockAdjusted(
            "berlin",
            "sku-1",
            2,
            "receipt",
            null,
            null,
            null,
            3,
            0,
            0,
            T.plusSeconds(6),
            "dock",
            "po-9",
            12L,
            10L,
            10L),
        new StockEvent.BackorderFilled(
            "berlin",
            "sku-1",
            "b-1",
            "r-b1",
            2,
            T.plusSeconds(906),
            1,
            3,
            2,
            0,
            T.plusSeconds(6),
            "dock"));
  }

  /** The supply events, applied in order to a fresh item: incoming left and one backorder. */
  static List<StockEvent> supplyKinds() {
    List<StockEvent> all = everyKind();
    return all.subList(all.size() - 6, all.size());
  }

  /** A reservation's events carry instants too (its deadline, when it happened). */
  static List<ReservationEvent> reservationEvents() {
    return List.of(
        new ReservationEvent.HoldsRequested(
            1,
            "web",
            List.of(new ReservationLine("berlin", "sku-1", 2)),
            T.plusSeconds(900),
            "fp-r",
            T,
            "master"),
        new ReservationEvent.AllHeld(T.plusMillis(3)),
        new ReservationEvent.DeadlineExtended(T.plusSeconds(1800), T.plusSeconds(60)));
  }

  @Test
  void everyEventAndASnapshotReadBackEqual() {
    for (ReservationEvent event : reservationEvents()) {
      assertEquals(event, roundTrip(current, current, event));
      assertEquals(event, roundTrip(earlier, current, event));
    }
    for (StockEvent event : everyKind()) {
      assertEquals(event, roundTrip(current, current, event));
    }
    StockSnapshot snapshot = StockSnapshot.of(stateAfter(everyKind().subList(0, 4)));
    assertEquals(1, snapshot.holds().size());
    assertEquals(snapshot, roundTrip(current, current, snapshot));
    StockSnapshot supplied = StockSnapshot.of(stateAfter(supplyKinds()));
    assertEquals(1, supplied.backorders().size());
    assertEquals(1, supplied.incoming().size());
    assertEquals(supplied, roundTrip(current, current, supplied));
  }

  @Test
  void instantsAreStoredAsNumbers() {
    for (StockEvent event : everyKind()) {
      String stored = new String(bytes(current, event), StandardCharsets.ISO_8859_1);
      assertFalse(
          stored.contains("2026-11-"),
          event.getClass().getSimpleName() + " stored an instant as text");
    }
    String earlierForm =
        new String(bytes(earlier, everyKind().get(0)), StandardCharsets.ISO_8859_1);
    assertTrue(
        earlierForm.contains("2026-11-26T12:00:00.123456789Z"),
        "the earlier format keeps ISO text");
  }

  @Test
  void eventsAndSnapshotsStoredAsTextStillRead() {
    for (StockEvent event : everyKind()) {
      assertEquals(event, roundTrip(earlier, current, event));
    }
    StockSnapshot snapshot = StockSnapshot.of(stateAfter(everyKind().subList(0, 4)));
    assertEquals(snapshot, roundTrip(earlier, current, snapshot));
  }

  private static StockState stateAfter(List<StockEvent> events) {
    StockState state = StockState.empty(new StockItemId("berlin", "sku-1"));
    for (StockEvent e : events) state = state.apply(e);
    return state;
  }

  private static byte[] bytes(ActorTestKit writer, Object value) {
    return SerializationExtension.get(writer.system()).serialize(value).get();
  }

  private static Object roundTrip(ActorTestKit writer, ActorTestKit reader, Object value) {
    Serialization writing = SerializationExtension.get(writer.system());
    Serializer serializer = writing.findSerializerFor(value);
    byte[] stored = serializer.toBinary(value);
    String manifest = Serializers.manifestFor(serializer, value);
    return SerializationExtension.get(reader.system())
        .deserialize(stored, serializer.identifier(), manifest)
        .get();
  }
}

package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.stockhold.stock.Recent.Remembered;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecentTest {

  private static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");
  private static final Duration DAY = Duration.ofHours(24);
  private static final int MANY = 1_000;

  private static List<String> ids(Recent<?> recent) {
    return recent.entries().stream().map(Remembered::id).toList();
  }

  @Test
  void keepsEveryEntryYoungerThanTheRetention() {
    Recent<String> recent =
        Recent.<String>empty()
            .remember("a", "A", T0, MANY, DAY)
            .remember("b", "B", T0.plus(Duration.ofHours(12)), MANY, DAY)
            // exactly one retention after "a": "a" is kept (at least the retention, boundary
            // included)
            .remember("c", "C", T0.plus(DAY), MANY, DAY);

    assertEquals(Optional.of("A"), recent.get("a"));
    assertEquals(Optional.of("B"), recent.get("b"));
    assertEquals(Optional.of("C"), recent.get("c"));
    assertEquals(3, recent.size());
    assertEquals(List.of("a", "b", "c"), ids(recent));
  }

  @Test
  void forgetsWhatIsOlderThanTheRetentionWhenSomethingNewArrives() {
    Recent<String> recent =
        Recent.<String>empty()
            .remember("a", "A", T0, MANY, DAY)
            .remember("b", "B", T0.plus(Duration.ofHours(12)), MANY, DAY)
            .remember("c", "C", T0.plus(DAY).plusMillis(1), MANY, DAY);

    assertEquals(Optional.empty(), recent.get("a"));
    assertEquals(Optional.of("B"), recent.get("b"));
    assertEquals(Optional.of("C"), recent.get("c"));
    assertEquals(List.of("b", "c"), ids(recent));
  }

  @Test
  void evictsTheOldestBeyondMaxCountEvenWithinTheRetention() {
    Recent<Integer> recent = Recent.empty();
    for (int i = 0; i < 5; i++) {
      recent = recent.remember("k" + i, i, T0.plusSeconds(i), 3, DAY);
    }

    assertEquals(3, recent.size());
    assertEquals(Optional.empty(), recent.get("k0"));
    assertEquals(Optional.empty(), recent.get("k1"));
    assertEquals(Optional.of(2), recent.get("k2"));
    assertEquals(Optional.of(4), recent.get("k4"));
    assertEquals(List.of("k2", "k3", "k4"), ids(recent));
  }

  @Test
  void rememberingAnIdAgainReplacesItsValueAndMakesItTheNewest() {
    Recent<String> recent =
        Recent.<String>empty()
            .remember("a", "A1", T0, 3, DAY)
            .remember("b", "B", T0.plusSeconds(1), 3, DAY)
            .remember("c", "C", T0.plusSeconds(2), 3, DAY)
            .remember("a", "A2", T0.plusSeconds(3), 3, DAY);

    assertEquals(3, recent.size());
    assertEquals(List.of("b", "c", "a"), ids(recent));

    recent = recent.remember("d", "D", T0.plusSeconds(4), 3, DAY);
    assertEquals(Optional.empty(), recent.get("b"), "b is now the oldest and goes first");
    assertEquals(Optional.of("A2"), recent.get("a"));
    assertEquals(List.of("c", "a", "d"), ids(recent));
  }

  @Test
  void isImmutable() {
    Recent<String> before = Recent.<String>empty().remember("a", "A", T0, 1, DAY);
    Recent<String> after = before.remember("b", "B", T0.plusSeconds(1), 1, DAY);

    assertEquals(Optional.of("A"), before.get("a"));
    assertEquals(Optional.empty(), before.get("b"));
    assertEquals(Optional.empty(), after.get("a"));
    assertEquals(Optional.of("B"), after.get("b"));
  }

  @Test
  void entriesAreOldestFirstAndOfRebuildsTheSameMemory() {
    Recent<String> recent = Recent.empty();
    String[] order = {"m", "c", "x", "a", "q"};
    for (int i = 0; i < order.length; i++) {
      recent =
          recent.remember(order[i], order[i].toUpperCase(), T0.plusSeconds(10L * i), MANY, DAY);
    }
    List<Remembered<String>> entries = recent.entries();

    assertEquals(List.of("m", "c", "x", "a", "q"), entries.stream().map(Remembered::id).toList());
    assertEquals(new Remembered<>("x", "X", T0.plusSeconds(20)), entries.get(2));

    Recent<String> copy = Recent.of(entries);
    assertEquals(entries, copy.entries());
    assertEquals(recent.size(), copy.size());
    for (String id : order) assertEquals(recent.get(id), copy.get(id));
  }

  @Test
  void aRebuiltMemoryEvictsInTheOriginalOrder() {
    Recent<String> recent = Recent.empty();
    for (String id : List.of("z", "y", "x")) {
      recent = recent.remember(id, id, T0, 3, DAY);
    }
    Recent<String> copy = Recent.of(recent.entries()).remember("w", "w", T0.plusSeconds(1), 3, DAY);

    assertEquals(List.of("y", "x", "w"), ids(copy), "z was the oldest before the round trip");
    assertTrue(copy.get("z").isEmpty());
  }

  @Test
  void aRebuiltMemoryKeepsTheTimesThatDriveRetention() {
    Recent<String> recent =
        Recent.<String>empty()
            .remember("old", "o", T0, MANY, DAY)
            .remember("new", "n", T0.plus(Duration.ofHours(20)), MANY, DAY);
    Recent<String> copy =
        Recent.of(recent.entries()).remember("next", "x", T0.plus(DAY).plusSeconds(1), MANY, DAY);

    assertEquals(List.of("new", "next"), ids(copy));
  }
}

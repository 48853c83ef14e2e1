package io.stockhold.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdMapTest {

  @Test
  void plusAndMinusLeaveTheOriginalAsItWas() {
    IdMap<Integer> empty = IdMap.empty();
    IdMap<Integer> one = empty.plus("a", 1);
    IdMap<Integer> two = one.plus("b", 2);
    IdMap<Integer> replaced = two.plus("a", 10);
    IdMap<Integer> less = two.minus("a");

    assertTrue(empty.isEmpty());
    assertEquals(Map.of("a", 1), one);
    assertEquals(Map.of("a", 1, "b", 2), two);
    assertEquals(Map.of("a", 10, "b", 2), replaced);
    assertEquals(Map.of("b", 2), less);
    assertEquals(two, less.plus("a", 1), "equal by content, whatever the history");
    assertEquals(two.hashCode(), less.plus("a", 1).hashCode());
    assertEquals(less, less.minus("missing"));
  }

  @Test
  void readsAsAMap() {
    IdMap<String> map = IdMap.<String>empty().plus("h-1", "one").plus("h-2", "two");
    assertEquals("one", map.get("h-1"));
    assertNull(map.get("h-3"));
    assertNull(map.get(42), "a key of another type is simply absent");
    assertTrue(map.containsKey("h-2"));
    assertFalse(map.containsKey("h-3"));
    assertEquals(2, map.size());
    assertEquals(Set.of("one", "two"), Set.copyOf(map.values()));
    Map<String, String> seen = new HashMap<>();
    map.forEach(seen::put);
    assertEquals(Map.of("h-1", "one", "h-2", "two"), seen);
  }

  @Test
  void refusesChangesThroughTheMapInterface() {
    IdMap<String> map = IdMap.<String>empty().plus("h-1", "one");
    assertThrows(UnsupportedOperationException.class, () -> map.put("h-2", "two"));
    assertThrows(UnsupportedOperationException.class, () -> map.remove("h-1"));
    assertThrows(UnsupportedOperationException.class, map::clear);
    assertEquals(Map.of("h-1", "one"), map);
  }

  @Test
  void holdsManyEntries() {
    IdMap<Integer> map = IdMap.empty();
    for (int i = 0; i < 100_000; i++) map = map.plus("h-" + i, i);
    for (int i = 0; i < 100_000; i += 2) map = map.minus("h-" + i);
    assertEquals(50_000, map.size());
    for (int i = 0; i < 100_000; i++)
      assertEquals(i % 2 == 0 ? null : Integer.valueOf(i), map.get("h-" + i));
  }
}

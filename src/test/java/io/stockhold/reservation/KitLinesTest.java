package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A kit line opened into its components, and lines that then name the same SKU at one place. */
class KitLinesTest {

  private static final Kit PICNIC =
      new Kit("picnic-set", List.of(new Kit.Component("plate", 2), new Kit.Component("basket", 1)));

  @Test
  void aKitLineBecomesItsComponentsTimesItsQuantityAtTheSamePlace() {
    ReservationLine line = new ReservationLine("park", "picnic-set", 3);
    ReservationLine plates = line.component(PICNIC.components().get(0));
    assertEquals(new ReservationLine("park", "plate", 6, null, null, null, "picnic-set"), plates);
    ReservationLine fromPool = ReservationLine.fromPool("parks", "picnic-set", 1, false);
    ReservationLine basket = fromPool.component(PICNIC.components().get(1));
    assertEquals("parks", basket.pool());
    assertEquals(false, basket.split());
    assertEquals(1, basket.quantity());
  }

  @Test
  void linesMergedAreOfAKitOnlyWhenBothAre() {
    ReservationLine ofKit = new ReservationLine("park", "plate", 2, null, null, null, "picnic-set");
    ReservationLine plain = new ReservationLine("park", "plate", 1);
    assertEquals(3, ofKit.and(plain).quantity());
    assertNull(ofKit.and(plain).kit(), "a plain plate is not the kit's");
    assertNull(plain.and(ofKit).kit());
    assertEquals("picnic-set", ofKit.and(ofKit).kit());
    ReservationLine otherKit = new ReservationLine("park", "plate", 4, null, null, null, "tea-set");
    assertNull(ofKit.and(otherKit).kit(), "of two kits, of neither");
  }

  @Test
  void aKitMakesAsManyWholeKitsAsItsScarcestComponentAllows() {
    assertEquals(1, PICNIC.kitsFrom(sku -> sku.equals("plate") ? 3 : 5));
    assertEquals(0, PICNIC.kitsFrom(sku -> sku.equals("plate") ? 9 : 0));
  }
}

package io.stockhold.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.stockhold.reservation.PoolAllocation.Allocated;
import io.stockhold.reservation.PoolAllocation.Short;
import io.stockhold.reservation.ReservationReply.ShortLine;
import io.stockhold.stock.StockItemId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolAllocationTest {

  private static final Pool CITY = new Pool("city", List.of("north", "south", "east"));
  private static final Map<String, Pool> POOLS = Map.of("city", CITY);

  private static Map<StockItemId, Long> has(long north, long south, long east) {
    return Map.of(
        new StockItemId("north", "mug"), north,
        new StockItemId("south", "mug"), south,
        new StockItemId("east", "mug"), east);
  }

  private static ReservationLine fromCity(long quantity, Boolean split) {
    return ReservationLine.fromPool("city", "mug", quantity, split);
  }

  private static ReservationLine at(String location, long quantity) {
    return new ReservationLine(location, "mug", quantity, "city", null);
  }

  @Test
  void theFirstLocationInThePoolsOrderThatHasTheWholeLineGivesIt() {
    var result = PoolAllocation.allocate(List.of(fromCity(3, null)), POOLS, has(2, 5, 9));
    assertEquals(List.of(at("south", 3)), assertInstanceOf(Allocated.class, result).lines());
  }

  @Test
  void whenNoneHasItAllTheLineIsSplitInTheSameOrder() {
    var result = PoolAllocation.allocate(List.of(fromCity(6, null)), POOLS, has(2, 0, 5));
    assertEquals(
        List.of(at("north", 2), at("east", 4)), assertInstanceOf(Allocated.class, result).lines());
  }

  @Test
  void splitFalseIsRefusedWhenNoSingleLocationHasIt() {
    var result = PoolAllocation.allocate(List.of(fromCity(6, false)), POOLS, has(2, 3, 4));
    assertEquals(
        List.of(ShortLine.ofPool("city", "mug", 6, 9)),
        assertInstanceOf(Short.class, result).lines());
  }

  @Test
  void aPoolThatHasTooLittleTogetherIsShortWithItsTotal() {
    var result = PoolAllocation.allocate(List.of(fromCity(10, null)), POOLS, has(2, 3, 4));
    assertEquals(
        List.of(ShortLine.ofPool("city", "mug", 10, 9)),
        assertInstanceOf(Short.class, result).lines());
  }

  @Test
  void linesOfOneCartNeverCountTheSameUnitTwice() {
    // A location line at north takes 2 of its 3; the pool line then finds only 1 there.
    var result =
        PoolAllocation.allocate(
            List.of(new ReservationLine("north", "mug", 2), fromCity(2, null)),
            POOLS,
            has(3, 0, 1));
    assertEquals(
        List.of(new ReservationLine("north", "mug", 2), at("north", 1), at("east", 1)),
        assertInstanceOf(Allocated.class, result).lines());
  }

  @Test
  void anItemThatSaidNothingHasNothing() {
    var result =
        PoolAllocation.allocate(
            List.of(fromCity(1, null)), POOLS, Map.of(new StockItemId("east", "mug"), 1L));
    assertEquals(List.of(at("east", 1)), assertInstanceOf(Allocated.class, result).lines());
  }
}

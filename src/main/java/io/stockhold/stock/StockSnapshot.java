package io.stockhold.stock;

import io.stockhold.CborSerializable;
import io.stockhold.stock.Recent.Remembered;
import io.stockhold.stock.StockState.AppliedAdjustment;
import io.stockhold.stock.StockState.Deadline;
import io.stockhold.stock.StockState.FinishedHold;
import io.stockhold.stock.StockState.Hold;
import io.stockhold.stock.StockState.RecordedSale;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.pcollections.TreePSet;

/**
 * {@link StockState} in plain lists, as the snapshot store keeps it. Live units by channel are
 * counted again from the holds on the way back; the backorders are listed in queue order.
 */
public record StockSnapshot(
    String location,
    String sku,
    boolean stocked,
    long onHand,
    long reserved,
    long safetyStock,
    long reorderPoint,
    long reorderQuantity,
    boolean lowStockSignalled,
    boolean shortageSignalled,
    List<Hold> holds,
    List<Remembered<FinishedHold>> finishedHolds,
    List<Remembered<AppliedAdjustment>> adjustments,
    List<Remembered<RecordedSale>> sales,
    Map<String, Long> channelReserve,
    Long maxPerCustomer,
    Long customerWindowSeconds,
    List<Customers.Entry> customers,
    Long backorderLimit,
    Boolean preorder,
    List<Supply.Incoming> incoming,
    List<Remembered<Supply.Incoming>> recordedIncoming,
    List<Supply.Backorder> backorders,
    List<Remembered<Long>> shippedTransfers)
    implements CborSerializable {

  public static StockSnapshot of(StockState s) {
    return new StockSnapshot(
        s.location(),
        s.sku(),
        s.stocked(),
        s.onHand(),
        s.reserved(),
        s.safetyStock(),
        s.reorderPoint(),
        s.reorderQuantity(),
        s.lowStockSignalled(),
        s.shortageSignalled(),
        List.copyOf(s.holds().values()),
        s.finishedHolds().entries(),
        s.adjustments().entries(),
        s.sales().entries(),
        s.rules().channelReserve(),
        s.rules().maxPerCustomer(),
        s.rules().customerWindowSeconds(),
        s.customers().entries(),
        s.rules().backorderLimit(),
        s.rules().preorder(),
        List.copyOf(s.supply().incoming().values()),
        s.supply().recordedIncoming().entries(),
        s.supply().backorders(),
        s.supply().shipped().entries());
  }

  public StockState toState() {
    IdMap<Hold> byId = IdMap.empty();
    TreePSet<Deadline> deadlines = TreePSet.empty();
    Map<String, Long> units = new HashMap<>();
    for (Hold h : holds) {
      byId = byId.plus(h.holdId(), h);
      deadlines = deadlines.plus(new Deadline(h.expiresAt(), h.holdId()));
      units.merge(h.channel(), h.quantity(), Long::sum);
    }
    IdMap<Long> heldByChannel = IdMap.empty();
    for (Map.Entry<String, Long> e : units.entrySet()) {
      heldByChannel = heldByChannel.plus(e.getKey(), e.getValue());
    }
    return new StockState(
        location,
        sku,
        stocked,
        onHand,
        reserved,
        safetyStock,
        reorderPoint,
        reorderQuantity,
        lowStockSignalled,
        shortageSignalled,
        byId,
        deadlines,
        Recent.of(finishedHolds),
        Recent.of(adjustments),
        // a snapshot taken before offline sales existed has none
        sales == null ? Recent.empty() : Recent.of(sales),
        // nor channel, customer and backorder rules
        SellingRules.of(
            channelReserve, maxPerCustomer, customerWindowSeconds, backorderLimit, preorder),
        heldByChannel,
        Customers.of(customers),
        // nor incoming units and backorders
        Supply.of(
            incoming == null ? List.of() : incoming,
            recordedIncoming == null ? List.of() : recordedIncoming,
            backorders == null ? List.of() : backorders,
            shippedTransfers == null ? List.of() : shippedTransfers));
  }
}

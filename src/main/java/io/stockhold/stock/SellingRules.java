package io.stockhold.stock;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who may take an item's units, besides how many there are: units kept for channels (a store's
 * walk-in customers while the web sells the rest), the most a customer may have, and how far beyond
 * the shelf the item sells.
 *
 * @param channelReserve units of the item's available stock kept for each named channel
 * @param maxPerCustomer the most units one customer may hold and have committed within {@code
 *     customerWindowSeconds}; 0 for no limit
 * @param backorderLimit the most units that may wait for stock (backorders) at once
 * @param preorder whether units still incoming may be promised too: then as many more may wait
 */
public record SellingRules(
    Map<String, Long> channelReserve,
    long maxPerCustomer,
    long customerWindowSeconds,
    long backorderLimit,
    boolean preorder) {

  /** How far back a customer's commits count against the limit, unless the policy says. */
  public static final long DEFAULT_CUSTOMER_WINDOW_SECONDS = 86_400;

  public static final SellingRules NONE =
      new SellingRules(Map.of(), 0, DEFAULT_CUSTOMER_WINDOW_SECONDS, 0, false);

  public SellingRules(
      Map<String, Long> channelReserve, long maxPerCustomer, long customerWindowSeconds) {
    this(channelReserve, maxPerCustomer, customerWindowSeconds, 0, false);
  }

  public SellingRules {
    // sorted, so events, snapshots and replies list the channels alike
    channelReserve =
        channelReserve == null
            ? Map.of()
            : Collections.unmodifiableMap(new TreeMap<>(channelReserve));
    if (customerWindowSeconds <= 0) customerWindowSeconds = DEFAULT_CUSTOMER_WINDOW_SECONDS;
  }

  /** The rules of an event or request that may predate them (nulls: none). */
  public static SellingRules of(
      Map<String, Long> channelReserve,
      Long maxPerCustomer,
      Long customerWindowSeconds,
      Long backorderLimit,
      Boolean preorder) {
    return new SellingRules(
        channelReserve,
        maxPerCustomer == null ? 0 : maxPerCustomer,
        customerWindowSeconds == null ? DEFAULT_CUSTOMER_WINDOW_SECONDS : customerWindowSeconds,
        backorderLimit == null ? 0 : backorderLimit,
        preorder != null && preorder);
  }

  public boolean fencesChannels() {
    return !channelReserve.isEmpty();
  }

  /** Whether a line may wait for units the item does not have. */
  public boolean takesBackorders() {
    return backorderLimit > 0 || preorder;
  }

  public boolean limitsCustomers() {
    return maxPerCustomer > 0;
  }

  /** Whether anything here needs to know each live hold's channel and customer. */
  boolean any() {
    return fencesChannels() || limitsCustomers();
  }

  public Duration customerWindow() {
    return Duration.ofSeconds(customerWindowSeconds);
  }
}

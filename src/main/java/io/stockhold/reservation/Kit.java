package io.stockhold.reservation;

import java.util.List;

/**
 * A SKU sold as a bundle of other SKUs: reserving one kit holds {@code quantity} of each component
 * at the same place, all or none. A kit has no stock of its own, and no component is a kit.
 */
public record Kit(String sku, List<Component> components) {

  /** Components one kit may have. */
  public static final int MAX_COMPONENTS = 20;

  /** Units of one component in one kit. */
  public static final long MAX_COMPONENT_QUANTITY = 1_000;

  public record Component(String sku, long quantity) {}

  public Kit {
    components = List.copyOf(components);
    if (components.isEmpty() || components.size() > MAX_COMPONENTS) {
      throw new IllegalArgumentException(
          "a kit has 1 to " + MAX_COMPONENTS + " components, not " + components.size());
    }
  }

  /** How many whole kits components with these units available make. */
  public long kitsFrom(java.util.function.ToLongFunction<String> availableOf) {
    long kits = Long.MAX_VALUE;
    for (Component c : components) {
      kits = Math.min(kits, availableOf.applyAsLong(c.sku()) / c.quantity());
    }
    return kits;
  }
}

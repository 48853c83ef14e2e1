package io.stockhold.stock;

import java.util.Optional;
import java.util.regex.Pattern;

/** One SKU at one location; its entity id is {@code <location>/<sku>}. */
public record StockItemId(String location, String sku) {

  public static final Pattern LOCATION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  public static final Pattern SKU = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  public static final Pattern CHANNEL = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  public StockItemId {
    if (!isLocation(location)) throw new IllegalArgumentException("invalid location: " + location);
    if (!isSku(sku)) throw new IllegalArgumentException("invalid sku: " + sku);
  }

  public static boolean isLocation(String s) {
    return s != null && LOCATION.matcher(s).matches();
  }

  public static boolean isSku(String s) {
    return s != null && SKU.matcher(s).matches();
  }

  public static boolean isChannel(String s) {
    return s != null && CHANNEL.matcher(s).matches();
  }

  public String entityId() {
    return location + "/" + sku;
  }

  /** The inverse of {@link #entityId()}; empty when the text is not a valid id. */
  public static Optional<StockItemId> parse(String entityId) {
    int slash = entityId.indexOf('/');
    if (slash < 0) return Optional.empty();
    String location = entityId.substring(0, slash);
    String sku = entityId.substring(slash + 1);
    return isLocation(location) && isSku(sku)
        ? Optional.of(new StockItemId(location, sku))
        : Optional.empty();
  }

  @Override
  public String toString() {
    return entityId();
  }
}

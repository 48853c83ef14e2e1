package io.stockhold.erp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stockhold.idempotency.Idempotency;
import io.stockhold.stock.StockItemId;
import io.stockhold.stock.Supply;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A goods receipt from the ERP: {@code quantity} units of {@code sku} arrived at {@code location},
 * against the item's incoming entry {@code incomingId} when it names one (null otherwise). Applied
 * once per {@code receiptId}.
 */
public record Receipt(
    String receiptId, StockItemId item, long quantity, String reference, String incomingId) {

  public Receipt(String receiptId, StockItemId item, long quantity, String reference) {
    this(receiptId, item, quantity, reference, null);
  }

  /** The same ceiling the HTTP API puts on quantities. */
  static final long MAX_QUANTITY = 1_000_000_000L;

  /** A receipt is a few hundred bytes; the REST API's body limit is ample and bounds the parse. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private static final Set<String> FIELDS =
      Set.of("receiptId", "location", "sku", "quantity", "reference", "incomingId");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A message that is not a valid receipt, with every reason found. */
  public static final class InvalidReceipt extends Exception {
    InvalidReceipt(String message) {
      super(message);
    }
  }

  /**
   * Parses strictly: unknown fields, wrong types, fractions and out-of-range values are refused.
   */
  public static Receipt parse(byte[] body) throws InvalidReceipt {
    if (body.length > MAX_BODY_BYTES) {
      throw new InvalidReceipt(
          "body is " + body.length + " bytes; a receipt is at most " + MAX_BODY_BYTES);
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (Exception e) {
      throw new InvalidReceipt("body is not JSON");
    }
    if (json == null || !json.isObject()) throw new InvalidReceipt("body is not a JSON object");
    List<String> errors = new ArrayList<>();
    for (Iterator<String> names = json.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) errors.add(name + ": unknown field");
    }
    String receiptId = text(json, "receiptId", true, errors);
    if (receiptId != null && !Idempotency.KEY.matcher(receiptId).matches()) {
      errors.add("receiptId: must be 1 to 255 visible ASCII characters");
    }
    String location = text(json, "location", true, errors);
    if (location != null && !StockItemId.isLocation(location))
      errors.add("location: invalid location");
    String sku = text(json, "sku", true, errors);
    if (sku != null && !StockItemId.isSku(sku)) errors.add("sku: invalid sku");
    long quantity = 0;
    JsonNode q = json.get("quantity");
    if (q == null || q.isNull()) {
      errors.add("quantity: required");
    } else if (!q.isIntegralNumber() || !q.canConvertToLong()) {
      errors.add("quantity: must be a whole number");
    } else {
      quantity = q.longValue();
      if (quantity < 1 || quantity > MAX_QUANTITY)
        errors.add("quantity: must be between 1 and " + MAX_QUANTITY);
    }
    String reference = text(json, "reference", false, errors);
    if (reference != null && reference.length() > 200)
      errors.add("reference: must be at most 200 characters");
    String incomingId = text(json, "incomingId", false, errors);
    if (incomingId != null && !Supply.INCOMING_ID.matcher(incomingId).matches())
      errors.add("incomingId: must match " + Supply.INCOMING_ID.pattern());
    if (!errors.isEmpty()) throw new InvalidReceipt(String.join("; ", errors));
    return new Receipt(receiptId, new StockItemId(location, sku), quantity, reference, incomingId);
  }

  private static String text(JsonNode json, String field, boolean required, List<String> errors) {
    JsonNode node = json.get(field);
    if (node == null || node.isNull()) {
      if (required) errors.add(field + ": required");
      return null;
    }
    if (!node.isTextual()) {
      errors.add(field + ": must be a string");
      return null;
    }
    return node.textValue();
  }

  /** Tells a redelivered receipt from a different one that reuses its id. */
  public String fingerprint() {
    String body =
        String.join(
            "\n",
            receiptId,
            item.entityId(),
            Long.toString(quantity),
            reference == null ? "" : reference);
    // a receipt without an incoming entry keeps the fingerprint it had before entries existed
    return Idempotency.fingerprint(incomingId == null ? body : body + "\n" + incomingId);
  }
}

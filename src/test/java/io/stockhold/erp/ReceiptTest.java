package io.stockhold.erp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceiptTest {

  private static Receipt parse(String json) throws Receipt.InvalidReceipt {
    return Receipt.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String refused(String json) {
    return assertThrows(Receipt.InvalidReceipt.class, () -> parse(json)).getMessage();
  }

  @Test
  void aValidReceipt() throws Exception {
    Receipt r =
        parse(
            "{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"sku.9\",\"quantity\":40,\"reference\":\"PO-4711\"}");
    assertEquals("GR-1", r.receiptId());
    assertEquals("wh-1/sku.9", r.item().entityId());
    assertEquals(40, r.quantity());
    assertEquals("PO-4711", r.reference());
    assertNull(
        parse("{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"s\",\"quantity\":1}")
            .reference());
  }

  @Test
  void everyProblemIsNamed() {
    assertEquals("body is not JSON", refused("{\"receiptId\":"));
    assertEquals("body is not a JSON object", refused("[1]"));
    String all = refused("{\"receiptId\":7,\"location\":\"a.b\",\"quantity\":\"5\",\"extra\":1}");
    assertTrue(all.contains("extra: unknown field"), all);
    assertTrue(all.contains("receiptId: must be a string"), all);
    assertTrue(all.contains("location: invalid location"), all);
    assertTrue(all.contains("sku: required"), all);
    assertTrue(all.contains("quantity: must be a whole number"), all);
  }

  @Test
  void anOversizedBodyIsRefusedBeforeItIsParsed() {
    String padded =
        "{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"s\",\"quantity\":1,\"reference\":\""
            + "x".repeat(Receipt.MAX_BODY_BYTES)
            + "\"}";
    assertTrue(refused(padded).contains("a receipt is at most 65536"), refused(padded));
  }

  @Test
  void quantitiesAreWholeAndPositive() {
    String base = "{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"s\",\"quantity\":";
    assertTrue(refused(base + "1.5}").contains("whole number"));
    assertTrue(refused(base + "0}").contains("between 1 and"));
    assertTrue(refused(base + "-3}").contains("between 1 and"));
    assertTrue(refused(base + "1000000001}").contains("between 1 and"));
    assertTrue(refused(base + "99999999999999999999999}").contains("whole number"));
    assertTrue(refused(base + "null}").contains("quantity: required"));
  }

  @Test
  void theFingerprintTellsARetryFromAReuse() throws Exception {
    Receipt a =
        parse("{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"s\",\"quantity\":5}");
    Receipt sameFieldsOtherOrder =
        parse("{\"quantity\":5,\"sku\":\"s\",\"location\":\"wh-1\",\"receiptId\":\"GR-1\"}");
    Receipt other =
        parse("{\"receiptId\":\"GR-1\",\"location\":\"wh-1\",\"sku\":\"s\",\"quantity\":6}");
    assertEquals(a.fingerprint(), sameFieldsOtherOrder.fingerprint());
    assertNotEquals(a.fingerprint(), other.fingerprint());
  }

  @Test
  void aReceiptMayNameTheIncomingEntryItBringsIn() throws Exception {
    String base = "{\"receiptId\":\"GR-2\",\"location\":\"wh-1\",\"sku\":\"s\",\"quantity\":5";
    Receipt against = parse(base + ",\"incomingId\":\"PO-4711/1\"}");
    assertEquals("PO-4711/1", against.incomingId());
    assertNull(parse(base + "}").incomingId());
    assertNotEquals(parse(base + "}").fingerprint(), against.fingerprint());
    assertTrue(refused(base + ",\"incomingId\":\" bad\"}").contains("incomingId: must match"));
    assertTrue(refused(base + ",\"incomingId\":4}").contains("incomingId: must be a string"));
  }
}

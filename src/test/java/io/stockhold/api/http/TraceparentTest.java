package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** W3C trace context: a caller's trace is continued, anything else begins one. */
class TraceparentTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  @Test
  void aValidTraceIsContinuedWithASpanOfItsOwn() {
    Traceparent t = Traceparent.of(Optional.of("00-" + TRACE + "-00f067aa0ba902b7-01"));
    assertEquals(TRACE, t.traceId());
    assertEquals("01", t.flags());
    assertNotEquals("00f067aa0ba902b7", t.spanId());
    assertTrue(t.toString().matches("00-" + TRACE + "-[0-9a-f]{16}-01"), t.toString());
  }

  @Test
  void noneOrAnInvalidOneBeginsANewTrace() {
    for (String bad :
        new String[] {
          "",
          "garbage",
          "01-" + TRACE + "-00f067aa0ba902b7-01",
          "00-" + "0".repeat(32) + "-00f067aa0ba902b7-01",
          "00-" + TRACE + "-" + "0".repeat(16) + "-01",
          "00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01"
        }) {
      Traceparent t = Traceparent.of(Optional.of(bad));
      assertNotEquals(TRACE, t.traceId(), bad);
      assertTrue(t.toString().matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00"), bad + " -> " + t);
    }
    Traceparent fresh = Traceparent.of(Optional.empty());
    assertNotEquals(fresh.traceId(), Traceparent.of(Optional.empty()).traceId());
  }
}

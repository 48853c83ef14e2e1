package io.stockhold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code stockhold demo}, as the README shows it, in a smaller sale. */
class FlashSaleDemoIT {

  @Test
  void theDemoSellsEveryUnitOnceAndLeavesNoStoreBehind() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int exit = FlashSaleDemo.run(5, 60, new PrintStream(printed, true, StandardCharsets.UTF_8));
    String out = printed.toString(StandardCharsets.UTF_8);

    assertEquals(0, exit, out);
    assertTrue(out.contains("Nothing was oversold."), out);
    assertTrue(Pattern.compile("sold \\(reserved \\+ committed\\)\\s+5 ").matcher(out).find(), out);
    assertTrue(Pattern.compile("rejected: sold out\\s+55\\n").matcher(out).find(), out);
    Matcher store = Pattern.compile("fresh embedded store \\((.+)\\)").matcher(out);
    assertTrue(store.find(), out);
    assertFalse(
        Files.exists(Path.of(store.group(1))),
        "the demo's temporary store is still there: " + store.group(1));
  }
}

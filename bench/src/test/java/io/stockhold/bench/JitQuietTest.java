package io.stockhold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When the warm-up ends: a whole quiet window, not before its shortest time, and then for good. */
class JitQuietTest {

  private long nanos;
  private double compiling;

  /** Advances the clock by {@code seconds}, the compilers having worked {@code busy} of them. */
  private void pass(double seconds, double busy) {
    nanos += (long) (seconds * 1e9);
    compiling += busy;
  }

  @Test
  void endsOnlyAfterAWholeQuietWindowAndItsShortestTime() {
    JitQuiet quiet = new JitQuiet(20, () -> nanos, () -> compiling);
    // Busy compilers for 30 s: never quiet.
    for (int i = 0; i < 120; i++) {
      pass(0.25, 0.2);
      assertFalse(quiet.reached(), "at " + nanos / 1e9 + " s");
    }
    assertEquals(80, quiet.busyPercent(), 0.5);
    // Quiet from here: it ends once the busy seconds have left the 10 s window, not before.
    int polls = 0;
    do {
      pass(0.25, 0.001);
      polls++;
    } while (!quiet.reached() && polls < 100);
    double quietFor = polls * 0.25;
    assertTrue(quietFor > 8 && quietFor <= 10.25, "ended after " + quietFor + " quiet seconds");
    assertTrue(quiet.busyPercent() < JitQuiet.QUIET_PERCENT);
    // Once ended it stays ended, with the share that ended it, whatever the compilers do next.
    double ended = quiet.busyPercent();
    pass(5, 5);
    assertTrue(quiet.reached());
    assertEquals(ended, quiet.busyPercent());
  }

  @Test
  void aQuietStartStillWaitsForTheShortestTime() {
    JitQuiet quiet = new JitQuiet(20, () -> nanos, () -> compiling);
    assertTrue(Double.isNaN(quiet.busyPercent()));
    for (int i = 0; i < 79; i++) {
      pass(0.25, 0);
      assertFalse(quiet.reached(), "at " + nanos / 1e9 + " s");
    }
    pass(0.25, 0);
    assertTrue(quiet.reached(), "at 20 s");
    assertEquals(0, quiet.busyPercent());
  }
}

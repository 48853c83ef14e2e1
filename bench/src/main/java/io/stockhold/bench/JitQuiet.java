package io.stockhold.bench;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Ends the warm-up once the JIT compilers have gone quiet: busy less than {@value #QUIET_PERCENT} %
 * of the last {@value #WINDOW_SECONDS} s, and not before {@code atLeastSeconds}. On 2 cores the
 * compilers take about 100 s of load to settle, and a phase measured while they still work measures
 * them: a busy read path, for one, doubled its rate once they were done.
 *
 * <p>"Busy" is the CPU time of the node's compiler threads as a share of one core, summed over them
 * (so it can pass 100 %).
 */
final class JitQuiet implements LoadRun.Until {

  static final int WINDOW_SECONDS = 10;
  static final int QUIET_PERCENT = 10;

  private final LongSupplier nanoTime;
  private final DoubleSupplier compilingSeconds;
  private final double atLeastSeconds;
  private final long began;

  /**
   * {seconds since began, compilers' seconds so far}, the oldest at most a window ago and one more.
   */
  private final ArrayDeque<double[]> samples = new ArrayDeque<>();

  private double busyPercent = Double.NaN;
  private boolean reached;

  /** {@code compilingSeconds}: the CPU seconds the node's compiler threads have used so far. */
  JitQuiet(double atLeastSeconds, DoubleSupplier compilingSeconds) {
    this(atLeastSeconds, System::nanoTime, compilingSeconds);
  }

  /** For tests: a clock and the compilers' seconds so far. */
  JitQuiet(double atLeastSeconds, LongSupplier nanoTime, DoubleSupplier compilingSeconds) {
    this.atLeastSeconds = atLeastSeconds;
    this.nanoTime = nanoTime;
    this.compilingSeconds = compilingSeconds;
    this.began = nanoTime.getAsLong();
  }

  /** Once reached, stays reached: what it measured then is what the report says. */
  @Override
  public boolean reached() {
    if (reached) return true;
    double now = (nanoTime.getAsLong() - began) / 1e9;
    double compiling = compilingSeconds.getAsDouble();
    samples.addLast(new double[] {now, compiling});
    // Keep one sample at least a window old: the window is measured from it.
    while (samples.size() > 2 && now - secondOldest()[0] >= WINDOW_SECONDS) samples.removeFirst();
    double[] oldest = samples.peekFirst();
    if (now - oldest[0] < WINDOW_SECONDS) return false;
    busyPercent = 100 * (compiling - oldest[1]) / (now - oldest[0]);
    reached = now >= atLeastSeconds && busyPercent < QUIET_PERCENT;
    return reached;
  }

  private double[] secondOldest() {
    var it = samples.iterator();
    it.next();
    return it.next();
  }

  /** The compilers' share of the last window; NaN before a whole window has passed. */
  double busyPercent() {
    return busyPercent;
  }

  @Override
  public String status() {
    return Double.isNaN(busyPercent)
        ? "JIT: measuring"
        : String.format(
            Locale.ROOT,
            "JIT compiling %.0f%% of a core over the last %d s (ends below %d%%)",
            busyPercent,
            WINDOW_SECONDS,
            QUIET_PERCENT);
  }
}

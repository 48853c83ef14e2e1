package io.stockhold.ops.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.Locale;

/**
 * Ends the warm-up once the JIT compilers have gone quiet: busy less than {@value #QUIET_PERCENT} %
 * of the last {@value #WINDOW_SECONDS} s, and not before {@code atLeastSeconds}. On 2 cores the
 * compilers take 100 s and more of load to settle, and a phase measured while they still work
 * measures them: a busy read path, for one, doubled its rate once they were done.
 *
 * <p>"Busy" is the compilers' elapsed time ({@link CompilationMXBean}), summed over compiler
 * threads, so it can pass 100 %.
 */
final class JitQuiet implements LoadRun.Until {

  static final int WINDOW_SECONDS = 10;
  static final int QUIET_PERCENT = 10;

  private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
  private final double atLeastSeconds;
  private final long began = System.nanoTime();
  /** {seconds since began, compilers' seconds so far}, the oldest at most a window ago and one more. */
  private final ArrayDeque<double[]> samples = new ArrayDeque<>();
  private double busyPercent = Double.NaN;

  JitQuiet(double atLeastSeconds) {
    this.atLeastSeconds = atLeastSeconds;
  }

  /** Whether this JVM reports compilation time at all; without it the warm-up runs its full time. */
  static boolean measurable() {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    return jit != null && jit.isCompilationTimeMonitoringSupported();
  }

  @Override
  public boolean reached() {
    double now = (System.nanoTime() - began) / 1e9;
    double compiling = jit.getTotalCompilationTime() / 1e3;
    samples.addLast(new double[] {now, compiling});
    // Keep one sample at least a window old: the window is measured from it.
    while (samples.size() > 2 && now - secondOldest()[0] >= WINDOW_SECONDS) samples.removeFirst();
    double[] oldest = samples.peekFirst();
    if (now - oldest[0] < WINDOW_SECONDS) return false;
    busyPercent = 100 * (compiling - oldest[1]) / (now - oldest[0]);
    return now >= atLeastSeconds && busyPercent < QUIET_PERCENT;
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
    return Double.isNaN(busyPercent) ? "JIT: measuring"
        : String.format(Locale.ROOT, "JIT busy %.0f%% of the last %d s (ends below %d%%)", busyPercent,
            WINDOW_SECONDS, QUIET_PERCENT);
  }
}

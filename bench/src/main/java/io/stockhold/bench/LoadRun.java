package io.stockhold.bench;

import io.stockhold.bench.Seller.Outcome;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * One phase of load: {@code connections} workers, each a platform thread with a seller (a
 * connection) of its own, buy one unit after another for a fixed time (a closed loop: a worker
 * sends its next request when the previous one is answered). One progress line, updated in place.
 *
 * <p>What is kept is what the report needs afterwards: every request's latency (micros, per-worker
 * arrays merged and sorted at the end), when each item's last sale was started, and every rejection
 * with its item and when it was answered — to judge later whether units remained.
 */
final class LoadRun {

  interface SellerFactory {
    Seller open() throws Exception;
  }

  /**
   * Ends a phase before its time is up (the warm-up, once the JIT is quiet); asked every 250 ms.
   */
  interface Until {
    boolean reached();

    /** Shown on the progress line. */
    String status();
  }

  /** What one phase measured. Times are micros since the phase began. */
  record Result(
      String system,
      Workload workload,
      double seconds,
      long sold,
      long soldOut,
      long turnedAway,
      long unknown,
      long reads,
      long[] sortedLatencyMicros,
      long[] lastSaleStartMicros,
      long lastSaleEndMicros,
      long[] rejections,
      String firstError,
      CpuMeter.Split cpu) {

    long requests() {
      return sold + soldOut + turnedAway + unknown + reads;
    }

    /** Latency at quantile {@code q} in milliseconds (nearest rank), NaN without requests. */
    double latencyMillis(double q) {
      long[] s = sortedLatencyMicros;
      if (s.length == 0) return Double.NaN;
      int rank = (int) Math.ceil(q * s.length);
      return s[Math.max(0, Math.min(s.length - 1, rank - 1))] / 1000.0;
    }
  }

  // A rejection is packed in one long: answered-at micros (43 bits), turned-away flag, item (20
  // bits).
  static long rejection(int item, long answeredMicros, boolean turnedAway) {
    return (answeredMicros << 21) | (turnedAway ? 1L << 20 : 0) | item;
  }

  static int item(long rejection) {
    return (int) (rejection & (Workload.MAX_ITEMS - 1));
  }

  static long answeredMicros(long rejection) {
    return rejection >>> 21;
  }

  static boolean soldOut(long rejection) {
    return (rejection & (1L << 20)) == 0;
  }

  private LoadRun() {}

  static Result run(
      String label,
      String system,
      Workload workload,
      int connections,
      Duration duration,
      SellerFactory factory,
      CpuMeter cpu,
      PrintStream out)
      throws Exception {
    return run(label, system, workload, connections, duration, null, factory, cpu, out);
  }

  /** As above, but over as soon as {@code until} is reached ({@code duration} is then the most). */
  static Result run(
      String label,
      String system,
      Workload workload,
      int connections,
      Duration duration,
      Until until,
      SellerFactory factory,
      CpuMeter cpu,
      PrintStream out)
      throws Exception {
    List<Seller> sellers = open(connections, factory);
    try {
      return new LoadRun.Phase(label, system, workload, duration, until, sellers).run(cpu, out);
    } finally {
      sellers.forEach(Seller::close);
    }
  }

  /**
   * Opens the buyers' connections 16 at a time: a PostgreSQL connection costs a backend process
   * (tens of milliseconds on a busy machine), and 64 in a row would add seconds to every phase.
   */
  private static List<Seller> open(int connections, SellerFactory factory) throws Exception {
    List<Future<Seller>> opening = new ArrayList<>(connections);
    List<Seller> sellers = new ArrayList<>(connections);
    Exception failure = null;
    try (ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.min(16, connections), r -> new Thread(r, "bench-opener"))) {
      for (int i = 0; i < connections; i++) opening.add(pool.submit(factory::open));
      for (Future<Seller> f : opening) {
        try {
          sellers.add(f.get());
        } catch (ExecutionException e) {
          if (failure == null) failure = e.getCause() instanceof Exception cause ? cause : e;
        }
      }
    }
    if (failure != null) {
      sellers.forEach(Seller::close);
      throw failure;
    }
    return sellers;
  }

  /** The shared state of one running phase. */
  private static final class Phase {
    final String label;
    final String system;
    final Workload workload;
    final Duration duration;
    final Until until;
    final List<Seller> sellers;
    final CountDownLatch start = new CountDownLatch(1);

    /**
     * Workers count down when their loop ends, then wait for {@code release}: alive at the CPU
     * sample.
     */
    final CountDownLatch finished;

    final CountDownLatch release = new CountDownLatch(1);
    final LongAdder sold = new LongAdder();
    final LongAdder soldOut = new LongAdder();
    final LongAdder turnedAway = new LongAdder();
    final LongAdder unknown = new LongAdder();
    final LongAdder reads = new LongAdder();
    final AtomicLongArray lastSaleStart;
    final AtomicReference<String> firstError = new AtomicReference<>();
    volatile long begin;
    volatile long deadline;

    Phase(
        String label,
        String system,
        Workload workload,
        Duration duration,
        Until until,
        List<Seller> sellers) {
      this.label = label;
      this.system = system;
      this.workload = workload;
      this.duration = duration;
      this.until = until;
      this.sellers = sellers;
      this.finished = new CountDownLatch(sellers.size());
      this.lastSaleStart = new AtomicLongArray(workload.items());
      for (int i = 0; i < workload.items(); i++) lastSaleStart.set(i, -1);
    }

    Result run(CpuMeter cpu, PrintStream out) throws InterruptedException {
      List<Worker> workers = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < sellers.size(); i++) {
        Worker w = new Worker(sellers.get(i));
        workers.add(w);
        Thread t = new Thread(w, "bench-" + system + "-" + i);
        t.setDaemon(true);
        threads.add(t);
        t.start();
      }
      CpuMeter.Sample before = cpu.sample();
      begin = System.nanoTime();
      deadline = begin + duration.toNanos();
      start.countDown();

      long giveUpAt = deadline + Duration.ofSeconds(30).toNanos();
      while (!finished.await(250, TimeUnit.MILLISECONDS)) {
        // The workers read the deadline before each request: an earlier one ends the phase.
        if (until != null && until.reached() && deadline > System.nanoTime()) {
          deadline = System.nanoTime();
          giveUpAt = deadline + Duration.ofSeconds(30).toNanos();
        }
        progress(out, false);
        if (System.nanoTime() > giveUpAt) threads.forEach(Thread::interrupt);
      }
      long end = System.nanoTime();
      // Sampled while every worker thread still lives: a finished thread's CPU time can no longer
      // be read.
      CpuMeter.Split split = cpu.between(before, cpu.sample());
      release.countDown();
      for (Thread t : threads) t.join();
      progress(out, true);

      long[] latencies = new long[workers.stream().mapToInt(w -> w.latencies.size).sum()];
      long[] rejections = new long[workers.stream().mapToInt(w -> w.rejections.size).sum()];
      int l = 0;
      int r = 0;
      long lastSaleEnd = -1;
      for (Worker w : workers) {
        System.arraycopy(w.latencies.values, 0, latencies, l, w.latencies.size);
        l += w.latencies.size;
        System.arraycopy(w.rejections.values, 0, rejections, r, w.rejections.size);
        r += w.rejections.size;
        lastSaleEnd = Math.max(lastSaleEnd, w.lastSaleEnd);
      }
      Arrays.sort(latencies);
      long[] lastSaleStarts = new long[workload.items()];
      for (int i = 0; i < lastSaleStarts.length; i++) lastSaleStarts[i] = lastSaleStart.get(i);
      return new Result(
          system,
          workload,
          (end - begin) / 1e9,
          sold.sum(),
          soldOut.sum(),
          turnedAway.sum(),
          unknown.sum(),
          reads.sum(),
          latencies,
          lastSaleStarts,
          lastSaleEnd,
          rejections,
          firstError.get(),
          split);
    }

    private void progress(PrintStream out, boolean last) {
      double elapsed = Math.min((System.nanoTime() - begin) / 1e9, duration.toNanos() / 1e9);
      long answered = sold.sum() + soldOut.sum() + turnedAway.sum() + reads.sum();
      String counts =
          reads.sum() > 0
              ? String.format(Locale.ROOT, "reads %,d", reads.sum())
              : String.format(
                  Locale.ROOT,
                  "sold %,d  sold out %,d  turned away %,d",
                  sold.sum(),
                  soldOut.sum(),
                  turnedAway.sum());
      out.printf(
          Locale.ROOT,
          "\r  %s  %4.1f/%.1f s  %s  unknown %,d  %,.0f answers/s%s   %s",
          label,
          elapsed,
          duration.toNanos() / 1e9,
          counts,
          unknown.sum(),
          elapsed > 0 ? answered / elapsed : 0.0,
          until == null ? "" : "  " + until.status(),
          last ? System.lineSeparator() : "");
      out.flush();
    }

    /** One buyer connection, buying as fast as it is answered. */
    private final class Worker implements Runnable {
      final Seller seller;
      final LongList latencies = new LongList();
      final LongList rejections = new LongList();
      long lastSaleEnd = -1;

      Worker(Seller seller) {
        this.seller = seller;
      }

      @Override
      public void run() {
        try {
          start.await();
          buy();
        } catch (InterruptedException e) {
          // stopped: the phase is long over
        } finally {
          finished.countDown();
        }
        try {
          release.await();
        } catch (InterruptedException e) {
          // exiting anyway
        }
      }

      private void buy() throws InterruptedException {
        while (System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
          int item = workload.pick();
          long started = System.nanoTime();
          Outcome outcome;
          boolean failed = false;
          try {
            outcome = seller.sell(item);
          } catch (Exception e) {
            outcome = Outcome.UNKNOWN;
            failed = true;
            firstError.compareAndSet(null, e.toString());
          }
          long answered = System.nanoTime();
          latencies.add((answered - started) / 1000);
          long startedMicros = (started - begin) / 1000;
          long answeredMicros = (answered - begin) / 1000;
          switch (outcome) {
            case SOLD -> {
              sold.increment();
              lastSaleStart.accumulateAndGet(item, startedMicros, Math::max);
              lastSaleEnd = answeredMicros;
            }
            case SOLD_OUT -> {
              soldOut.increment();
              rejections.add(rejection(item, answeredMicros, false));
            }
            case TURNED_AWAY -> {
              turnedAway.increment();
              rejections.add(rejection(item, answeredMicros, true));
            }
            case UNKNOWN -> unknown.increment();
            case READ -> reads.increment();
          }
          // A broken connection fails at once; don't let it spin through millions of errors.
          if (failed) Thread.sleep(10);
        }
      }
    }
  }

  /** A growable array of longs, without boxing. */
  static final class LongList {
    long[] values = new long[4096];
    int size;

    void add(long v) {
      if (size == values.length) values = Arrays.copyOf(values, size * 2);
      values[size++] = v;
    }
  }
}

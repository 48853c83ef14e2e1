package io.stockhold.bench;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the machine's CPU went during a phase: the bench's own client threads (load workers and
 * their HTTP clients), the Stockhold engine (every other thread of this JVM), the JVM itself (GC,
 * JIT: process time no Java thread accounts for), PostgreSQL and Redis (from {@code /proc}), other
 * processes, and idle. All as a share of the whole machine, so the parts add up to 100%.
 *
 * <p>Without {@code /proc} (not Linux) only the JVM's own split is known; the rest reads 0.
 */
final class CpuMeter {

  /** Linux reports process times in USER_HZ ticks, 100 per second on every mainstream build. */
  private static final double TICKS_PER_SECOND = 100.0;

  private final ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
  private final OperatingSystemMXBean os =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** CPU seconds used so far, by whom. */
  record Sample(
      long wallNanos,
      double machineBusy,
      double machineTotal,
      double process,
      Map<Long, ThreadCpu> threads,
      double postgres,
      double redis,
      double jit) {}

  record ThreadCpu(String name, double seconds) {}

  /** Shares of the machine (percent of all cores over the phase). */
  record Split(
      double clients,
      double engine,
      double jvm,
      double jit,
      double postgres,
      double redis,
      double others,
      double idle,
      List<Map.Entry<String, Double>> busiestEngineThreads) {

    static final Split UNKNOWN = new Split(0, 0, 0, 0, 0, 0, 0, 0, List.of());

    String oneLine() {
      return String.format(
          "bench clients %.0f%%, engine %.0f%%, JVM GC/JIT %.0f%%, PostgreSQL %.0f%%, Redis %.0f%%,"
              + " other processes %.0f%%, idle %.0f%%",
          clients, engine, jvm, postgres, redis, others, idle);
    }
  }

  /** The thread that created the meter runs the phases and prints progress: a client thread too. */
  private final long orchestrator = Thread.currentThread().threadId();

  Sample sample() {
    double[] machine = machine();
    Map<Long, ThreadCpu> perThread = new HashMap<>();
    long[] ids = threads.getAllThreadIds();
    long[] cpu = threads.getThreadCpuTime(ids);
    ThreadInfo[] infos = threads.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      if (infos[i] != null && cpu[i] >= 0)
        perThread.put(ids[i], new ThreadCpu(infos[i].getThreadName(), cpu[i] / 1e9));
    }
    return new Sample(
        System.nanoTime(),
        machine[0],
        machine[1],
        os.getProcessCpuTime() / 1e9,
        perThread,
        processes("postgres"),
        processes("redis-server"),
        jit.getTotalCompilationTime() / 1e3);
  }

  Split between(Sample a, Sample b) {
    double total = b.machineTotal() - a.machineTotal();
    if (total <= 0) {
      // No /proc/stat: measure against wall time × cores instead.
      total = (b.wallNanos() - a.wallNanos()) / 1e9 * Runtime.getRuntime().availableProcessors();
    }
    if (total <= 0) return Split.UNKNOWN;
    double clients = 0;
    double engine = 0;
    Map<String, Double> engineGroups = new HashMap<>();
    for (var entry : b.threads().entrySet()) {
      ThreadCpu before = a.threads().get(entry.getKey());
      double used = entry.getValue().seconds() - (before == null ? 0 : before.seconds());
      String name = entry.getValue().name();
      if (isClient(name) || entry.getKey() == orchestrator) {
        clients += used;
      } else {
        engine += used;
        engineGroups.merge(name.replaceAll("\\d+", "#"), used, Double::sum);
      }
    }
    double jvm = Math.max(0, (b.process() - a.process()) - clients - engine);
    // The compilers' elapsed time: a share of the JVM's, near 0 once the warm-up did its work.
    double compiling = Math.min(jvm, b.jit() - a.jit());
    double postgres = b.postgres() - a.postgres();
    double redis = b.redis() - a.redis();
    double busy = b.machineBusy() - a.machineBusy();
    double others = Math.max(0, busy - (b.process() - a.process()) - postgres - redis);
    double idle = Math.max(0, total - busy);
    double scale = 100.0 / total;
    List<Map.Entry<String, Double>> busiest =
        engineGroups.entrySet().stream()
            .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .limit(6)
            .map(e -> Map.entry(e.getKey(), e.getValue() * scale))
            .toList();
    return new Split(
        clients * scale,
        engine * scale,
        jvm * scale,
        compiling * scale,
        postgres * scale,
        redis * scale,
        others * scale,
        idle * scale,
        busiest);
  }

  /** The bench's load workers ("bench-…"); each does its own I/O on its own connection. */
  static boolean isClient(String threadName) {
    return threadName.startsWith("bench-");
  }

  /** Busy and total CPU seconds of the whole machine, from the first line of /proc/stat. */
  private static double[] machine() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) total += Long.parseLong(f[i]); // user..steal
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
      return new double[] {(total - idle) / TICKS_PER_SECOND, total / TICKS_PER_SECOND};
    } catch (IOException | RuntimeException e) {
      return new double[] {0, 0};
    }
  }

  /**
   * CPU seconds of every process with this command name, with the times of children they have
   * reaped: a PostgreSQL backend that exits mid-phase is counted in the postmaster's.
   */
  private static double processes(String command) {
    double ticks = 0;
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc :
          procs
              .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
              .toList()) {
        try {
          String stat = Files.readString(proc.resolve("stat"));
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          if (!stat.substring(open + 1, close).equals(command)) continue;
          String[] f = stat.substring(close + 2).split(" ");
          // After "(comm) ": state is f[0]; utime, stime, cutime, cstime are fields 14..17.
          ticks +=
              Long.parseLong(f[11])
                  + Long.parseLong(f[12])
                  + Long.parseLong(f[13])
                  + Long.parseLong(f[14]);
        } catch (IOException | RuntimeException e) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return ticks / TICKS_PER_SECOND;
  }

  /** For a report: the busiest engine thread groups as "name 12%". */
  static String describe(List<Map.Entry<String, Double>> groups) {
    List<String> parts = new ArrayList<>();
    groups.stream()
        .sorted(Comparator.comparing(Map.Entry<String, Double>::getValue).reversed())
        .forEach(e -> parts.add(String.format("%s %.0f%%", e.getKey(), e.getValue())));
    return String.join(", ", parts);
  }
}

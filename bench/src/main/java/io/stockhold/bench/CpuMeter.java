package io.stockhold.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the machine's CPU went during a phase: the bench's own JVM (load workers, their HTTP, JDBC
 * and Redis clients), the Stockhold node processes (their engine threads, and their JVM's GC and
 * JIT threads apart), PostgreSQL, Redis and RabbitMQ, other processes, and idle — all from {@code
 * /proc}, as a share of the whole machine, so the parts add up to 100%.
 *
 * <p>Without {@code /proc} (not Linux) only the bench's own JVM is known; the rest reads 0.
 */
final class CpuMeter {

  /** Linux reports process times in USER_HZ ticks, 100 per second on every mainstream build. */
  private static final double TICKS_PER_SECOND = 100.0;

  private final OperatingSystemMXBean os =
      (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  /** The Stockhold nodes being measured (their process ids); none while no node runs. */
  private volatile List<Long> nodes = List.of();

  /** CPU seconds used so far, by whom. */
  record Sample(
      long wallNanos,
      double machineBusy,
      double machineTotal,
      double bench,
      NodeCpu nodes,
      double postgres,
      double redis,
      double rabbitmq) {}

  /** CPU seconds of the node processes: all of it, and their GC and JIT threads' part. */
  record NodeCpu(double all, double gc, double jit) {
    static final NodeCpu NONE = new NodeCpu(0, 0, 0);
  }

  /** Shares of the machine (percent of all cores over the phase). */
  record Split(
      double clients,
      double engine,
      double jvm,
      double jit,
      double postgres,
      double redis,
      double rabbitmq,
      double others,
      double idle) {

    static final Split UNKNOWN = new Split(0, 0, 0, 0, 0, 0, 0, 0, 0);

    String oneLine() {
      return String.format(
          "bench clients %.0f%%, Stockhold %.0f%%, its GC/JIT %.0f%%, PostgreSQL %.0f%%, Redis"
              + " %.0f%%, RabbitMQ %.0f%%, other processes %.0f%%, idle %.0f%%",
          clients, engine, jvm, postgres, redis, rabbitmq, others, idle);
    }
  }

  /** From now on, the node processes are these. */
  void watch(List<Long> nodePids) {
    nodes = List.copyOf(nodePids);
  }

  Sample sample() {
    double[] machine = machine();
    double gc = 0;
    double jit = 0;
    double all = 0;
    for (long pid : nodes) {
      all += ticks(Path.of("/proc", Long.toString(pid), "stat"), false);
      Path tasks = Path.of("/proc", Long.toString(pid), "task");
      try (Stream<Path> threads = Files.list(tasks)) {
        for (Path thread : threads.toList()) {
          String name = command(thread.resolve("stat"));
          if (name == null) continue;
          if (isCompiler(name)) jit += ticks(thread.resolve("stat"), false);
          else if (isGc(name)) gc += ticks(thread.resolve("stat"), false);
        }
      } catch (IOException e) {
        // the node ended while we looked
      }
    }
    return new Sample(
        System.nanoTime(),
        machine[0],
        machine[1],
        os.getProcessCpuTime() / 1e9,
        new NodeCpu(all / TICKS_PER_SECOND, gc / TICKS_PER_SECOND, jit / TICKS_PER_SECOND),
        processes("postgres"),
        processes("redis-server"),
        // RabbitMQ runs in the Erlang VM.
        processes("beam.smp"));
  }

  Split between(Sample a, Sample b) {
    double total = b.machineTotal() - a.machineTotal();
    if (total <= 0) {
      // No /proc/stat: measure against wall time × cores instead.
      total = (b.wallNanos() - a.wallNanos()) / 1e9 * Runtime.getRuntime().availableProcessors();
    }
    if (total <= 0) return Split.UNKNOWN;
    double clients = b.bench() - a.bench();
    double node = Math.max(0, b.nodes().all() - a.nodes().all());
    double gc = Math.max(0, b.nodes().gc() - a.nodes().gc());
    double jit = Math.max(0, b.nodes().jit() - a.nodes().jit());
    double engine = Math.max(0, node - gc - jit);
    double postgres = b.postgres() - a.postgres();
    double redis = b.redis() - a.redis();
    double rabbitmq = b.rabbitmq() - a.rabbitmq();
    double busy = b.machineBusy() - a.machineBusy();
    double others = Math.max(0, busy - clients - node - postgres - redis - rabbitmq);
    double idle = Math.max(0, total - busy);
    double scale = 100.0 / total;
    return new Split(
        clients * scale,
        engine * scale,
        (gc + jit) * scale,
        jit * scale,
        postgres * scale,
        redis * scale,
        rabbitmq * scale,
        others * scale,
        idle * scale);
  }

  /** HotSpot's compiler threads, as the kernel names them (15 characters at most). */
  static boolean isCompiler(String threadName) {
    return threadName.startsWith("C1 CompilerThre") || threadName.startsWith("C2 CompilerThre");
  }

  /** HotSpot's garbage collector threads (G1's workers, refinement, service and marking). */
  static boolean isGc(String threadName) {
    return threadName.startsWith("GC Thread") || threadName.startsWith("G1 ");
  }

  /** The command (or thread) name in a {@code /proc/…/stat} file; null when it is gone. */
  private static String command(Path stat) {
    try {
      String s = Files.readString(stat);
      return s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * User and system ticks in a {@code /proc/…/stat} file (and, with {@code children}, those of the
   * children it reaped); 0 when it is gone.
   */
  private static long ticks(Path stat, boolean children) {
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // After "(comm) ": state is f[0]; utime, stime, cutime, cstime are fields 14..17.
      long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      if (children) t += Long.parseLong(f[13]) + Long.parseLong(f[14]);
      return t;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
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
        if (command.equals(command(proc.resolve("stat"))))
          ticks += ticks(proc.resolve("stat"), true);
      }
    } catch (IOException e) {
      return 0;
    }
    return ticks / TICKS_PER_SECOND;
  }
}

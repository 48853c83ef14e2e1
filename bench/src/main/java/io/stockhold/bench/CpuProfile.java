package io.stockhold.bench;

import com.sun.tools.attach.AgentInitializationException;
import com.sun.tools.attach.AgentLoadException;
import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code bench --profile}: CPU samples of the Stockhold node's JVM during one phase, taken by
 * async-profiler loaded into the node's process (the attach API, as {@code asprof} does), and what
 * they were spent on.
 *
 * <p>Each sample is one millisecond of CPU (perf events, or the interval timer where the kernel
 * refuses those), with its thread and stack. A sample goes to the first {@link Part} whose pattern
 * its thread name or one of its frames matches, so the order of {@link #PARTS} decides ties: a
 * projection's JDBC read counts as projection, not as a socket read.
 */
final class CpuProfile {

  /** Milliseconds of CPU per sample. */
  static final int INTERVAL_MS = 1;

  /** What a share of the CPU was spent on, and the frames (or thread name) that tell it. */
  record Part(String name, Pattern stack) {
    Part(String name, String regex) {
      this(name, Pattern.compile(regex));
    }
  }

  static final List<Part> PARTS =
      List.of(
          new Part("JIT compilers", "^\\[C[12] CompilerThre"),
          new Part("GC", "^\\[(GC Thread|G1 )"),
          new Part(
              "projections (read model, ERP)",
              "org/apache/pekko/projection/|persistence/jdbc/query/"
                  + "|io/stockhold/(readmodel|erp|events)/|io/stockhold/storage/PostgresReadJournalDao|JacksonSerializer\\.fromBinary"),
          new Part(
              "journal writes",
              "io/stockhold/storage/PostgresJournalDao|persistence/jdbc/journal/"
                  + "|persistence/journal/AsyncWriteJournal|^\\[db-|slick/"),
          new Part(
              "stock items (gate, decisions, events)", "io/stockhold/stock/|persistence/typed/"),
          new Part("cluster sharding", "cluster/sharding/"),
          new Part("HTTP (parse, routes, JSON, render)", "pekko/http/|io/stockhold/api/"),
          new Part("TCP sockets (pekko-io)", "pekko/io/|TcpConnectionStage|SocketDispatcher|EPoll"),
          new Part("idle threads parking and waking", "Unsafe\\.(park|unpark)"),
          new Part("streams and actors, other", "pekko/stream/|pekko/actor/|pekko/dispatch/"));

  static final String OTHER = "other";

  /** Samples per part, in the order of {@link #PARTS} and then {@value #OTHER}. */
  record Samples(Map<String, Long> byPart, long total, String event) {}

  private final long pid;
  private final Path library;
  private final String event;

  private CpuProfile(long pid, Path library, String event) {
    this.pid = pid;
    this.library = library;
    this.event = event;
  }

  /**
   * Starts sampling process {@code pid}; throws with the reason when this machine cannot (no native
   * library for it, no attaching, or neither perf events nor the interval timer allowed).
   */
  static CpuProfile start(long pid) throws IOException {
    Path library = library();
    IOException refused = null;
    for (String event : List.of("cpu", "itimer")) {
      try {
        command(pid, library, "start,event=" + event + ",interval=" + INTERVAL_MS + "ms,threads");
        return new CpuProfile(pid, library, event);
      } catch (IOException e) {
        if (refused == null) refused = e;
        else refused.addSuppressed(e);
      }
    }
    throw refused;
  }

  /**
   * Stops sampling, keeps the stacks in {@code collapsed} (one line per stack, as flame graphs read
   * them).
   */
  Samples stop(Path collapsed) throws IOException {
    command(pid, library, "stop,file=" + collapsed.toAbsolutePath() + ",collapsed,threads");
    return parts(Files.readAllLines(collapsed), event);
  }

  /** Loads the profiler into process {@code pid} with {@code arguments}: one command each time. */
  private static void command(long pid, Path library, String arguments) throws IOException {
    VirtualMachine vm;
    try {
      vm = VirtualMachine.attach(Long.toString(pid));
    } catch (AttachNotSupportedException e) {
      throw new IOException("cannot attach to the node (pid " + pid + "): " + e.getMessage(), e);
    }
    try {
      vm.loadAgentPath(library.toString(), arguments);
    } catch (AgentLoadException | AgentInitializationException e) {
      throw new IOException("async-profiler refused '" + arguments + "': " + e.getMessage(), e);
    } finally {
      vm.detach();
    }
  }

  private static Path extracted;

  /** async-profiler's native library for this machine, out of the bench's jar into a temp file. */
  private static synchronized Path library() throws IOException {
    if (extracted != null) return extracted;
    String arch = System.getProperty("os.arch");
    String platform =
        !System.getProperty("os.name").startsWith("Linux")
            ? null
            : arch.equals("amd64") || arch.equals("x86_64")
                ? "linux-x64"
                : arch.equals("aarch64") ? "linux-arm64" : null;
    if (platform == null) throw new IOException("no async-profiler library for this machine");
    try (InputStream in =
        CpuProfile.class.getResourceAsStream("/" + platform + "/libasyncProfiler.so")) {
      if (in == null) throw new IOException("async-profiler's library is not in the bench's jar");
      Path file = Files.createTempFile("async-profiler-", ".so");
      file.toFile().deleteOnExit();
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      extracted = file;
      return file;
    }
  }

  /** Sorts collapsed stacks ({@code thread;frame;…;frame count}) into {@link #PARTS}. */
  static Samples parts(List<String> lines, String event) {
    Map<String, Long> byPart = new LinkedHashMap<>();
    for (Part p : PARTS) byPart.put(p.name(), 0L);
    byPart.put(OTHER, 0L);
    long total = 0;
    for (String line : lines) {
      int space = line.lastIndexOf(' ');
      if (space < 0) continue;
      long count;
      try {
        count = Long.parseLong(line.substring(space + 1));
      } catch (NumberFormatException e) {
        continue;
      }
      String stack = line.substring(0, space);
      String part = OTHER;
      for (Part p : PARTS) {
        if (p.stack().matcher(stack).find()) {
          part = p.name();
          break;
        }
      }
      byPart.merge(part, count, Long::sum);
      total += count;
    }
    return new Samples(byPart, total, event);
  }
}

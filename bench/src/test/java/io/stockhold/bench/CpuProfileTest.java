package io.stockhold.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code bench --profile} sorts its samples into parts. */
class CpuProfileTest {

  @Test
  void eachStackCountsOnceForTheFirstPartThatClaimsIt() {
    CpuProfile.Samples s =
        CpuProfile.parts(
            List.of(
                // A projection's JDBC read goes through a socket, but it is the projection's cost.
                "[stockhold-pekko.projection.jdbc.blocking-jdbc-dispatcher-3"
                    + " tid=41];java/lang/Thread.run;io/stockhold/storage/PostgresReadJournalDao.rows;sun/nio/ch/SocketDispatcher.read0"
                    + " 7",
                "[stockhold-pekko.actor.internal-dispatcher-5"
                    + " tid=12];org/apache/pekko/io/TcpConnection.aroundReceive;sun/nio/ch/SocketDispatcher.write0"
                    + " 5",
                "[db-2 tid=30];java/lang/Thread.run;io/stockhold/storage/PostgresJournalDao.insert"
                    + " 4",
                "[stockhold-pekko.actor.default-dispatcher-4"
                    + " tid=9];java/util/concurrent/ForkJoinPool.awaitWork;jdk/internal/misc/Unsafe.park"
                    + " 3",
                "[stockhold-pekko.actor.default-dispatcher-7"
                    + " tid=60];io/stockhold/stock/StockItem.onSubmit;java/util/ArrayDeque.add"
                    + " 2",
                "[C2 CompilerThread0 tid=8];Compile::Compile 2",
                "[stockhold-scheduler-1 tid=7];java/lang/Thread.sleep 1",
                "a line that is no stack",
                ""),
            "cpu");

    assertEquals(24, s.total());
    assertEquals(7, s.byPart().get("projections (read model, ERP)"));
    assertEquals(5, s.byPart().get("TCP sockets (pekko-io)"));
    assertEquals(4, s.byPart().get("journal writes"));
    assertEquals(3, s.byPart().get("idle threads parking and waking"));
    assertEquals(2, s.byPart().get("stock items (gate, decisions, events)"));
    assertEquals(2, s.byPart().get("JIT compilers"));
    assertEquals(1, s.byPart().get(CpuProfile.OTHER));
    assertEquals(0, s.byPart().get("GC"));
    // Every part has a row, in the order they are tried, with "other" last.
    List<String> names = List.copyOf(s.byPart().keySet());
    assertEquals(CpuProfile.PARTS.size() + 1, names.size());
    assertEquals(CpuProfile.PARTS.get(0).name(), names.get(0));
    assertEquals(CpuProfile.OTHER, names.get(names.size() - 1));
    assertEquals(s.total(), s.byPart().values().stream().mapToLong(Long::longValue).sum());
  }
}

package io.stockhold.node;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.stockhold.stock.StockItemObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The node's metrics, one registry per actor system, scraped as Prometheus text at {@code /metrics}
 * on the management port ({@link MetricsRoute}). Other parts of Stockhold add their own through
 * {@link #gauge}, {@link #timer} or {@link #registry()}; names follow Micrometer's dotted style and
 * come out as Prometheus snake case ({@code stockhold.queue.depth} becomes {@code
 * stockhold_queue_depth}).
 */
public final class Metrics implements Extension {

  /**
   * A shard region busy starting or handing off may be slow to answer; the last counts stay until
   * it does.
   */
  private static final Duration POLL_TIMEOUT = Duration.ofSeconds(5);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, Timer> httpTimers = new ConcurrentHashMap<>();
  private final Map<String, Timer> reservationTimers = new ConcurrentHashMap<>();
  private final LongAdder queued = new LongAdder();
  private final DistributionSummary batchSizes;
  private final Timer journalWrites;
  private final Map<String, AtomicInteger> shards = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> entities = new ConcurrentHashMap<>();

  private Metrics(ActorSystem<?> system) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    system.getWhenTerminated().thenRun(gc::close);

    batchSizes =
        DistributionSummary.builder("stockhold.stockitem.batch.size")
            .description("Requests decided by one journal write of a stock item (group commit)")
            .baseUnit("requests")
            .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
            .register(registry);
    journalWrites =
        Timer.builder("stockhold.stockitem.journal.write")
            .description(
                "From a batch sent to the stock item's ledger to its events persisted and decided")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
    Gauge.builder("stockhold.stockitem.queue.depth", queued, LongAdder::sum)
        .description("Requests waiting in the stock items' gates on this node, all items together")
        .register(registry);
    Gauge.builder(
            "stockhold.cluster.members.up",
            system,
            s ->
                StreamSupport.stream(Cluster.get(s).state().getMembers().spliterator(), false)
                    .filter(m -> m.status() == MemberStatus.up())
                    .count())
        .description("Cluster members this node sees as Up")
        .register(registry);
  }

  public static Metrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** For code that needs more than a gauge or a timer. */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * A value read at each scrape, e.g. a projection's lag. {@code tags} are name, value pairs; keep
   * their values few (never an item or reservation id).
   */
  public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    Gauge.builder(name, value).description(description).tags(tags).register(registry);
  }

  /** A gauge of several series whose set may change (see {@link MultiGauge#register}). */
  public MultiGauge multiGauge(String name, String description) {
    return MultiGauge.builder(name).description(description).register(registry);
  }

  public Timer timer(String name, String description, String... tags) {
    return Timer.builder(name).description(description).tags(tags).register(registry);
  }

  /** Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** The stock-item gates report batches and queue changes here. */
  public StockItemObserver stockItems() {
    return new StockItemObserver() {
      @Override
      public void batchWritten(int requests, long nanos) {
        batchSizes.record(requests);
        journalWrites.record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void queued(int delta) {
        queued.add(delta);
      }
    };
  }

  /** One HTTP request, by route template (never the raw path), method and status class. */
  /**
   * A gRPC call answered: by method (the POS service's, or {@code other}: a path is the caller's to
   * choose, and the series must stay few) and gRPC status.
   */
  void grpcCall(String path, String status, long nanos) {
    String method = path.startsWith(POS_SERVICE) ? path.substring(POS_SERVICE.length()) : "other";
    grpcTimers
        .computeIfAbsent(
            method + ' ' + status,
            k ->
                Timer.builder("stockhold.grpc.requests")
                    .description("gRPC calls by method and status, to their response")
                    .tags(Tags.of("method", method, "status", status))
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(30))
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  private static final String POS_SERVICE = "/stockhold.pos.v1.PointOfSale/";

  private final Map<String, Timer> grpcTimers = new ConcurrentHashMap<>();

  /**
   * A REST request answered, as Micrometer names HTTP server requests: {@code
   * http_server_requests_seconds{method,uri,status,outcome}}, {@code uri} the route template, a
   * histogram.
   */
  void httpRequest(String method, String route, int status, long nanos) {
    String outcome = statusClass(status);
    httpTimers
        .computeIfAbsent(
            method + ' ' + route + ' ' + status,
            k ->
                Timer.builder("http.server.requests")
                    .description("REST API requests by route template and status")
                    .tags(
                        Tags.of(
                            "method",
                            method,
                            "uri",
                            route,
                            "status",
                            Integer.toString(status),
                            "outcome",
                            outcomeOf(status)))
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(30))
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
    if (route.equals("/v1/reservations") && method.equals("POST")) {
      reservationTimers
          .computeIfAbsent(
              outcome,
              k ->
                  Timer.builder("stockhold.reservation.latency")
                      .description("POST /v1/reservations from request to response")
                      .tag("outcome", outcome)
                      .publishPercentileHistogram()
                      .minimumExpectedValue(Duration.ofMillis(1))
                      .maximumExpectedValue(Duration.ofSeconds(30))
                      .register(registry))
          .record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Micrometer's outcome of an HTTP status. */
  private static String outcomeOf(int status) {
    return switch (status / 100) {
      case 1 -> "INFORMATIONAL";
      case 2 -> "SUCCESS";
      case 3 -> "REDIRECTION";
      case 4 -> "CLIENT_ERROR";
      default -> "SERVER_ERROR";
    };
  }

  private static String statusClass(int status) {
    return switch (status / 100) {
      case 1 -> "1xx";
      case 2 -> "2xx";
      case 3 -> "3xx";
      case 4 -> "4xx";
      default -> "5xx";
    };
  }

  /**
   * Shards and entities of each entity type hosted on this node, asked of the local shard region
   * every {@code interval} (a local message, no cluster-wide query) and served from the last
   * answer.
   */
  public void pollShards(ActorSystem<?> system, List<EntityTypeKey<?>> keys, Duration interval) {
    for (EntityTypeKey<?> key : keys) {
      AtomicInteger shardCount = shards.computeIfAbsent(key.name(), k -> new AtomicInteger());
      AtomicInteger entityCount = entities.computeIfAbsent(key.name(), k -> new AtomicInteger());
      Gauge.builder("stockhold.sharding.shards", shardCount, AtomicInteger::get)
          .description("Shards hosted on this node")
          .tag("entity", key.name())
          .register(registry);
      Gauge.builder("stockhold.sharding.entities", entityCount, AtomicInteger::get)
          .description("Entities alive on this node")
          .tag("entity", key.name())
          .register(registry);
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    system
        .scheduler()
        .scheduleWithFixedDelay(
            Duration.ZERO,
            interval,
            () -> {
              for (EntityTypeKey<?> key : keys) {
                AskPattern.<GetShardRegionState, ShardRegion.CurrentShardRegionState>ask(
                        sharding.shardState().<GetShardRegionState>narrow(),
                        replyTo -> new GetShardRegionState(key, replyTo),
                        POLL_TIMEOUT,
                        system.scheduler())
                    .thenAccept(
                        state -> {
                          // A shard too busy to answer in time (starting, recovering its entities)
                          // is still hosted here: counted among the shards, its entities unknown
                          // until it answers.
                          shards
                              .get(key.name())
                              .set(state.getShards().size() + state.getFailed().size());
                          entities
                              .get(key.name())
                              .set(
                                  state.getShards().stream()
                                      .mapToInt(s -> s.getEntityIds().size())
                                      .sum());
                        });
              }
            },
            system.executionContext());
  }

  private static final class Id extends ExtensionId<Metrics> {
    static final Id INSTANCE = new Id();

    @Override
    public Metrics createExtension(ActorSystem<?> system) {
      return new Metrics(system);
    }
  }
}

package io.stockhold.node;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.stockhold.access.Access;
import io.stockhold.access.KeyRing;
import io.stockhold.access.MasterKey;
import io.stockhold.api.grpc.PointOfSaleService;
import io.stockhold.api.grpc.PosEndpoint;
import io.stockhold.api.grpc.PosSettings;
import io.stockhold.api.http.ApiTls;
import io.stockhold.api.http.Cors;
import io.stockhold.api.http.HttpApi;
import io.stockhold.api.http.HttpDrain;
import io.stockhold.erp.Broker;
import io.stockhold.erp.ErpLag;
import io.stockhold.erp.ErpProjection;
import io.stockhold.erp.ErpSettings;
import io.stockhold.erp.ReceiptsConsumer;
import io.stockhold.readmodel.StockHistory;
import io.stockhold.readmodel.StockLevelProjection;
import io.stockhold.readmodel.StockLevels;
import io.stockhold.reservation.Kits;
import io.stockhold.reservation.Pools;
import io.stockhold.reservation.Reservation;
import io.stockhold.reservation.ReservationService;
import io.stockhold.reservation.Reservations;
import io.stockhold.stock.StockItem;
import io.stockhold.stock.StockItemSettings;
import io.stockhold.stock.StockItems;
import io.stockhold.stock.StockTags;
import io.stockhold.storage.Storage;
import io.stockhold.transfer.Transfer;
import io.stockhold.transfer.Transfers;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.HttpsConnectionContext;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.ServerBuilder;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.stream.SystemMaterializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Stockhold node: storage ready, in the cluster, stock items sharded, HTTP and
 * management served. {@code serve}, {@code demo} and the tests all start it the same way.
 */
public final class StockholdNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StockholdNode.class);

  private final ActorSystem<Void> system;
  private final Storage storage;
  private final StockItems items;
  private final ServerBinding binding;
  private final int managementPort;
  private final ErpLag erpLag;
  private final PointOfSaleService pointOfSale;

  private StockholdNode(
      ActorSystem<Void> system,
      Storage storage,
      StockItems items,
      ServerBinding binding,
      int managementPort,
      ErpLag erpLag,
      PointOfSaleService pointOfSale) {
    this.system = system;
    this.storage = storage;
    this.items = items;
    this.binding = binding;
    this.managementPort = managementPort;
    this.erpLag = erpLag;
    this.pointOfSale = pointOfSale;
  }

  public static StockholdNode start(Config config) throws Exception {
    Storage storage = Storage.from(config);
    Config full = storage.asConfig().withFallback(config).resolve();
    // Before anything starts: a node that may not serve (no usable master key) stops here.
    boolean checking = full.getBoolean("stockhold.auth.enabled");
    Optional<MasterKey.Resolved> master =
        checking
            ? Optional.of(
                MasterKey.resolve(
                    full, storage.embedded(), Path.of(full.getString("stockhold.data-dir"))))
            : Optional.empty();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "stockhold", full);
    // Every table this node creates where missing is created under the lock: the journal's, the
    // projections', the read model's, the ERP's, the keys', the pools', the kits'.
    Storage.SchemaLock schema = storage.lockSchema();
    try {
      Storage.createTables(system);
      try {
        storage.statisticsWarning().ifPresent(LOG::warn);
      } catch (SQLException e) {
        // Advice, not a condition of running: the journal's tables were just created or found.
        LOG.warn("Could not read PostgreSQL's autovacuum setting: {}", e.getMessage());
      }

      Cluster cluster = Cluster.get(system);
      if (full.getList("pekko.cluster.seed-nodes").isEmpty()
          && !ClusterFormation.bootstraps(full)) {
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
      }

      // The node's one clock: holds' deadlines, reservations' and offline sales' times, ERP lag.
      Clock clock = Clock.systemUTC();
      Metrics metrics = Metrics.get(system);
      StockItem.init(system, StockItemSettings.from(full), clock, metrics.stockItems());
      HikariDataSource readModel =
          StockLevelProjection.dataSource(storage, full.getInt("stockhold.projections.pool-size"));
      system.getWhenTerminated().thenRun(readModel::close);
      StockLevelProjection.init(system, readModel);
      Access access = access(system, full, readModel, master, clock);
      Pools pools = pools(system, full, readModel, clock);
      Kits kits = kits(system, full, readModel, clock);
      StockItems items = new StockItems(system, full.getDuration("stockhold.ask-timeout"));
      ErpSettings erp = ErpSettings.from(full);
      ErpLag erpLag =
          ErpProjection.init(
              system, readModel, erp, ErpProjection.publishers(erp, metrics.registry()), clock);
      schema.close();
      erpLagGauges(system, metrics, erpLag, StockTags.all(full));
      if (erp.amqpUri().isPresent()) {
        ReceiptsConsumer.start(system, new Broker(erp, metrics.registry(), "receipts"), items);
      }
      Reservation.init(system, Reservation.Settings.from(full), clock);
      Transfer.init(system, Transfer.Settings.from(full), clock);
      Transfers transfers =
          new Transfers(system, full.getDuration("stockhold.reservations.ask-timeout"));
      ReservationService reservations =
          new ReservationService(
              items,
              new Reservations(system, full.getDuration("stockhold.reservations.ask-timeout")),
              pools,
              kits);
      Duration defaultTtl = full.getDuration("stockhold.reservations.default-ttl");
      metrics.pollShards(
          system,
          List.of(StockItem.ENTITY_KEY, Reservation.ENTITY_KEY, Transfer.ENTITY_KEY),
          full.getDuration("stockhold.metrics.shard-poll-interval"));

      StockLevels levels = new StockLevels(system, readModel);
      // REST, gRPC (POS terminals) and gRPC-Web on one port, HTTP/1.1 and HTTP/2 alike.
      PointOfSaleService pos =
          new PointOfSaleService(
              system, items, reservations, levels, PosSettings.from(full), clock, access);
      ServerBuilder server =
          Http.get(system)
              .newServerAt(
                  full.getString("stockhold.http.interface"), full.getInt("stockhold.http.port"));
      Optional<HttpsConnectionContext> tls = ApiTls.from(full);
      if (tls.isPresent()) server = server.enableHttps(tls.get());
      Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
      Route rest =
          HttpDrain.get(system)
              .around(
                  new HttpMetrics(metrics)
                      .around(
                          new HttpApi(
                                  items,
                                  reservations,
                                  new StockHistory(system),
                                  levels,
                                  defaultTtl,
                                  access,
                                  blocking,
                                  clock,
                                  transfers)
                              .route()));
      Function<HttpRequest, CompletionStage<HttpResponse>> port =
          Cors.from(full)
              .around(
                  new GrpcMetrics(metrics).around(PosEndpoint.handler(rest, pos, access, system)),
                  SystemMaterializer.get(system).materializer());
      ServerBinding binding =
          server
              .bind(port)
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS)
              // On SIGTERM: after HttpDrain's notice, stop accepting connections, let the requests
              // in progress finish (answering new ones on open connections 503), and only then
              // hand the shards off and leave.
              .addToCoordinatedShutdown(full.getDuration("stockhold.http.drain-timeout"), system);
      var management =
          PekkoManagement.get(system).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
      int managementPort = management.getPort();
      ClusterFormation.startBootstrapIfOn(system, full);

      InetSocketAddress http = binding.localAddress();
      // Management listens on bind-hostname when one is set (k8s, compose: every interface).
      String managementBind = full.getString("pekko.management.http.bind-hostname");
      String managementHost =
          managementBind.isBlank()
              ? full.getString("pekko.management.http.hostname")
              : managementBind;
      LOG.info(
          "Stockhold node up: storage {}, ERP events to {}, HTTP {}:{}, management {}:{}, remoting"
              + " {}",
          storage.description(),
          erp.description(),
          http.getHostString(),
          http.getPort(),
          managementHost,
          managementPort,
          cluster.selfMember().address());
      LOG.info(
          "POS gRPC, gRPC-Web and REST share port {}, {}; {}",
          http.getPort(),
          tls.isPresent() ? "over TLS" : "in plain text (HTTP/2 with prior knowledge for gRPC)",
          master
              .map(m -> "API keys checked, the master key from " + m.source())
              .orElse("API keys NOT checked (STOCKHOLD_AUTH=off)"));
      return new StockholdNode(system, storage, items, binding, managementPort, erpLag, pos);
    } catch (Exception e) {
      schema.close();
      system.terminate();
      throw e;
    }
  }

  /**
   * Who may call the API: the keys (a table in the journal's database, read again every {@code
   * stockhold.auth.refresh-interval} so every node soon knows another's changes) and, with checking
   * on, the master key.
   */
  private static Access access(
      ActorSystem<?> system,
      Config config,
      DataSource database,
      Optional<MasterKey.Resolved> master,
      Clock clock)
      throws SQLException {
    KeyRing keys = KeyRing.open(database, clock);
    readAgain(system, config, "the API keys", keys::refresh);
    if (master.isEmpty()) {
      LOG.warn(
          "STOCKHOLD_AUTH=off: every call on the API port is served to anybody, with every scope."
              + " For experiments only.");
      return Access.off(keys);
    }
    return Access.checking(master.get().key(), keys, clock);
  }

  /** The pools: a table read again as often as the keys, so every node soon knows another's. */
  private static Pools pools(ActorSystem<?> system, Config config, DataSource database, Clock clock)
      throws SQLException {
    Pools pools =
        Pools.open(database, system.dispatchers().lookup(DispatcherSelector.blocking()), clock);
    readAgain(system, config, "the pools", pools::refresh);
    return pools;
  }

  /**
   * The ERP slices' lag as gauges, one series per slice that runs on this node: a slice running on
   * another node has no series here rather than a NaN one. Looked at again every few seconds, as
   * slices move between nodes.
   */
  private static void erpLagGauges(
      ActorSystem<?> system, Metrics metrics, ErpLag erpLag, List<String> slices) {
    MultiGauge events =
        metrics.multiGauge(
            "stockhold.erp.lag.events",
            "Events of an ERP slice running on this node not yet published");
    MultiGauge seconds =
        metrics.multiGauge(
            "stockhold.erp.lag.seconds",
            "Age of the oldest unpublished event of an ERP slice running on this node");
    Runnable update =
        () -> {
          List<MultiGauge.Row<?>> eventRows = new ArrayList<>();
          List<MultiGauge.Row<?>> secondRows = new ArrayList<>();
          for (String slice : slices) {
            if (Double.isNaN(erpLag.events(slice))) continue;
            Tags tags = Tags.of("slice", slice);
            eventRows.add(MultiGauge.Row.of(tags, () -> erpLag.events(slice)));
            secondRows.add(MultiGauge.Row.of(tags, () -> erpLag.seconds(slice)));
          }
          events.register(eventRows, true);
          seconds.register(secondRows, true);
        };
    update.run();
    system
        .scheduler()
        .scheduleWithFixedDelay(
            Duration.ofSeconds(2), Duration.ofSeconds(2), update, system.executionContext());
  }

  /** The kits: a table read again as often as the pools. */
  private static Kits kits(ActorSystem<?> system, Config config, DataSource database, Clock clock)
      throws SQLException {
    Kits kits =
        Kits.open(database, system.dispatchers().lookup(DispatcherSelector.blocking()), clock);
    readAgain(system, config, "the kits", kits::refresh);
    return kits;
  }

  /** A table every node mirrors in memory: what to read again from it. */
  private interface Reread {
    void run() throws SQLException;
  }

  /**
   * Reads {@code what} again every {@code stockhold.auth.refresh-interval}, on the blocking
   * dispatcher; a failed read keeps what was read last.
   */
  private static void readAgain(ActorSystem<?> system, Config config, String what, Reread read) {
    Duration every = config.getDuration("stockhold.auth.refresh-interval");
    system
        .scheduler()
        .scheduleWithFixedDelay(
            every,
            every,
            () -> {
              try {
                read.run();
              } catch (SQLException e) {
                LOG.warn(
                    "Could not read {} again (the last ones read stay): {}", what, e.getMessage());
              }
            },
            system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public StockItems items() {
    return items;
  }

  /** The POS service the API port serves over gRPC, for in-process use. */
  public PointOfSaleService pointOfSale() {
    return pointOfSale;
  }

  public Storage storage() {
    return storage;
  }

  public int httpPort() {
    return binding.localAddress().getPort();
  }

  public int managementPort() {
    return managementPort;
  }

  /** How far behind the journal the ERP slices running on this node are. */
  public ErpLag erpLag() {
    return erpLag;
  }

  /** Leaves the cluster and stops; returns when everything is closed. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("node did not stop within 60 s", e);
    }
  }
}

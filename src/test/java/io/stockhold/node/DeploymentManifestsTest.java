package io.stockhold.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.stockhold.cli.Main;
import io.stockhold.erp.ErpSettings;
import io.stockhold.storage.Storage;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files against the code: every port, probe path, label and setting that k8s/,
 * docker/Dockerfile and docker/compose.yaml name is checked against the config a node actually
 * loads from them. The kustomization is rendered by kubectl as {@code kubectl apply -k} would; no
 * Kubernetes cluster or Docker engine is needed.
 */
class DeploymentManifestsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final String POD_IP = "10.1.2.3";
  private static final Set<String> RENDERINGS =
      Set.of("k8s", "k8s/overlays/scale-5", "k8s/overlays/prometheus");

  /** Variables a manifest may set that no HOCON file reads, and who reads them instead. */
  private static final Map<String, String> READ_OUTSIDE_CONFIG =
      Map.of("JDK_JAVA_OPTIONS", "the java launcher");

  /** What every deployment must give a node: its database and its broker. */
  private static final List<String> REQUIRED =
      List.of(
          "STOCKHOLD_DB_URL", "STOCKHOLD_DB_USER", "STOCKHOLD_DB_PASSWORD", "STOCKHOLD_AMQP_URI");

  private static final Map<String, List<Map<String, Object>>> RENDERED = new ConcurrentHashMap<>();

  // ---------------------------------------------------------------- conf/k8s.conf on its own

  @Test
  void k8sConfLoadsWithThePodsEnvironment() {
    Config config = loadAsNode("conf/k8s.conf", podEnv(base()));

    assertTrue(config.getBoolean("stockhold.cluster.bootstrap"));
    assertEquals(
        List.of(),
        config.getList("pekko.cluster.seed-nodes").unwrapped(),
        "seed nodes would bypass cluster bootstrap");
    assertEquals(
        "kubernetes-api",
        config.getString(
            "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
    assertEquals(POD_IP, config.getString("pekko.remote.artery.canonical.hostname"));
    // Bootstrap recognises itself among the discovered pods by the management address.
    assertEquals(POD_IP, config.getString("pekko.management.http.hostname"));
    assertEquals("0.0.0.0", config.getString("pekko.management.http.bind-hostname"));
    assertEquals("", config.getString("pekko.management.http.base-path"));

    assertEquals(
        "lease-majority", config.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals(
        "pekko.coordination.lease.kubernetes",
        config.getString("pekko.cluster.split-brain-resolver.lease-majority.lease-implementation"));
    assertTrue(config.getBoolean("pekko.cluster.split-brain-resolver.down-all-when-unstable"));
    assertEquals(
        "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        config.getString("pekko.cluster.downing-provider-class"));

    Storage storage = Storage.from(config);
    assertFalse(storage.embedded(), "a pod must never fall back to the embedded store");
    assertEquals("jdbc:postgresql://postgres:5432/stockhold", storage.url());
    assertEquals(
        Optional.of("secret-amqp-uri"),
        ErpSettings.from(config).amqpUri(),
        "the broker, from the Secret");
  }

  @Test
  void k8sConfRefusesToStartWithoutTheDatabaseTheBrokerOrThePodAddress() {
    for (String missing :
        List.of(
            "STOCKHOLD_DB_URL",
            "STOCKHOLD_DB_PASSWORD",
            "STOCKHOLD_AMQP_URI",
            "STOCKHOLD_REMOTE_HOST",
            "STOCKHOLD_MANAGEMENT_HOST")) {
      Map<String, String> env = new HashMap<>(podEnv(base()));
      env.remove(missing);
      ConfigException e =
          assertThrows(
              ConfigException.UnresolvedSubstitution.class, () -> loadAsNode("conf/k8s.conf", env));
      assertTrue(
          e.getMessage().contains(missing) && e.getMessage().contains("k8s.conf"), e.getMessage());
    }
  }

  @Test
  void classesK8sConfNamesAreOnTheClasspath() throws Exception {
    Config config = loadAsNode("conf/k8s.conf", podEnv(base()));
    String discovery =
        config.getString(
            "pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method");
    String lease =
        config.getString("pekko.cluster.split-brain-resolver.lease-majority.lease-implementation");
    for (String name :
        List.of(
            config.getString("pekko.discovery." + discovery + ".class"),
            config.getString(lease + ".lease-class"),
            config.getString("pekko.management.cluster.bootstrap.join-decider.class"),
            config.getString("pekko.cluster.downing-provider-class"),
            "org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap")) {
      Class.forName(name);
    }
  }

  // ---------------------------------------------------------------- the kustomization

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void containerPortsAreTheOnesTheNodeListensOn(String dir) {
    List<Map<String, Object>> docs = rendered(dir);
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    Map<String, Integer> ports = new HashMap<>();
    for (Object port : list(container(docs), "ports")) {
      ports.put(string(port, "name"), integer(port, "containerPort"));
    }
    assertEquals(
        Map.of(
            "http", config.getInt("stockhold.http.port"),
            "remoting", config.getInt("pekko.remote.artery.canonical.port"),
            "management", config.getInt("pekko.management.http.port")),
        ports);
    // Bootstrap asks the Kubernetes API for the container port of this name.
    assertEquals(
        "management",
        config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.port-name"));
    assertEquals(
        string(container(docs), "name"),
        config.getString("pekko.discovery.kubernetes-api.container-name"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void probesAskPekkoManagementOnThePortNamedManagement(String dir) {
    List<Map<String, Object>> docs = rendered(dir);
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    String ready = "/" + config.getString("pekko.management.health-checks.readiness-path");
    String alive = "/" + config.getString("pekko.management.health-checks.liveness-path");
    assertEquals("/ready", ready);
    assertEquals("/alive", alive);
    Map<String, Object> c = container(docs);
    assertEquals(alive, string(c, "livenessProbe", "httpGet", "path"));
    assertEquals(alive, string(c, "startupProbe", "httpGet", "path"));
    for (String probe : List.of("livenessProbe", "startupProbe")) {
      assertEquals("management", string(c, probe, "httpGet", "port"), probe);
    }
    // Readiness over gRPC's health service on the API port, which answers SERVING exactly while
    // /ready does 200 (GrpcHealthIT): the port the node serves REST and gRPC on.
    assertEquals(
        config.getInt("stockhold.http.port"), integer(c, "readinessProbe", "grpc", "port"));
    assertFalse(map(c, "readinessProbe").containsKey("httpGet"), "one handler per probe");
    // Prometheus scrapes /metrics on the management port.
    Map<String, Object> annotations =
        map(deployment(docs), "spec", "template", "metadata", "annotations");
    assertEquals("true", annotations.get("prometheus.io/scrape"));
    assertEquals("/metrics", annotations.get("prometheus.io/path"));
    assertEquals(
        String.valueOf(config.getInt("pekko.management.http.port")),
        annotations.get("prometheus.io/port"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void podLabelsMatchTheBootstrapSelector(String dir) {
    List<Map<String, Object>> docs = rendered(dir);
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    String selector =
        config
            .getString("pekko.discovery.kubernetes-api.pod-label-selector")
            .replace(
                "%s",
                config.getString(
                    "pekko.management.cluster.bootstrap.contact-point-discovery.service-name"));
    Map<String, Object> podLabels = map(deployment(docs), "spec", "template", "metadata", "labels");
    for (String term : selector.split(",")) {
      String[] kv = term.split("=", 2);
      assertEquals(2, kv.length, "only key=value selectors are checked here: " + selector);
      assertEquals(
          kv[1].trim(),
          podLabels.get(kv[0].trim()),
          "pod label for bootstrap's selector " + selector);
    }
    assertSelects(
        podLabels, map(deployment(docs), "spec", "selector", "matchLabels"), "Deployment");
    assertSelects(podLabels, map(service(docs, false), "spec", "selector"), "Service");
    assertSelects(podLabels, map(service(docs, true), "spec", "selector"), "headless Service");
    assertSelects(
        podLabels, map(one(docs, "PodDisruptionBudget"), "spec", "selector", "matchLabels"), "PDB");
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void everyVariableSetIsReadAndTheRequiredOnesComeFromTheConfigMapAndSecret(String dir)
      throws IOException {
    List<Map<String, Object>> docs = rendered(dir);
    Map<String, String> sources = envSources(docs);
    Set<String> read = variablesTheConfigReads();
    for (String name : sources.keySet()) {
      assertTrue(
          read.contains(name) || READ_OUTSIDE_CONFIG.containsKey(name),
          name + " is set by the Deployment but read by no config file");
    }
    for (String name : REQUIRED) {
      assertTrue(sources.containsKey(name), name + " is not set");
    }
    assertTrue(sources.get("STOCKHOLD_DB_URL").startsWith("configMap"), sources.toString());
    assertTrue(sources.get("STOCKHOLD_DB_USER").startsWith("configMap"), sources.toString());
    // Credentials only from the Secret.
    assertTrue(sources.get("STOCKHOLD_DB_PASSWORD").startsWith("secret"), sources.toString());
    assertTrue(sources.get("STOCKHOLD_AMQP_URI").startsWith("secret"), sources.toString());
    assertEquals("fieldRef status.podIP", sources.get("STOCKHOLD_REMOTE_HOST"));
    assertEquals("fieldRef status.podIP", sources.get("STOCKHOLD_MANAGEMENT_HOST"));
    // The ConfigMap envFrom names is the one rendered (kustomize appends a hash to both).
    for (Object from : list(container(docs), "envFrom")) {
      String name = string(from, "configMapRef", "name");
      assertTrue(
          docs.stream()
              .anyMatch(
                  d ->
                      "ConfigMap".equals(d.get("kind"))
                          && name.equals(string(d, "metadata", "name"))),
          "no ConfigMap " + name);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void rbacLetsTheServiceAccountListPodsAndTakeTheLease(String dir) {
    List<Map<String, Object>> docs = rendered(dir);
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    String account = string(deployment(docs), "spec", "template", "spec", "serviceAccountName");
    assertEquals(account, string(one(docs, "ServiceAccount"), "metadata", "name"));
    Map<String, Object> binding = one(docs, "RoleBinding");
    assertEquals(string(one(docs, "Role"), "metadata", "name"), string(binding, "roleRef", "name"));
    assertEquals("Role", string(binding, "roleRef", "kind"));
    assertTrue(
        list(binding, "subjects").stream()
            .anyMatch(
                s ->
                    "ServiceAccount".equals(string(s, "kind"))
                        && account.equals(string(s, "name"))),
        "binding names " + account);

    List<Object> rules = list(one(docs, "Role"), "rules");
    assertAllowed(rules, "", "pods", List.of("get", "watch", "list"));
    // The CRD-backed lease (the default lease-class) lives in pekko.apache.org; the native one in
    // coordination.k8s.io.
    String leaseClass =
        config.getString(
            config.getString(
                    "pekko.cluster.split-brain-resolver.lease-majority.lease-implementation")
                + ".lease-class");
    String leaseGroup =
        leaseClass.endsWith(".NativeKubernetesLease") ? "coordination.k8s.io" : "pekko.apache.org";
    assertAllowed(rules, leaseGroup, "leases", List.of("get", "create", "update", "list"));
    if (leaseGroup.equals("pekko.apache.org")) {
      assertEquals(
          "leases.pekko.apache.org",
          string(one(docs, "CustomResourceDefinition"), "metadata", "name"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void replicasDisruptionsAndRollingUpdatesKeepAMajority(String dir) {
    List<Map<String, Object>> docs = rendered(dir);
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    Map<String, Object> deployment = deployment(docs);
    int replicas = integer(deployment, "spec", "replicas");
    int majority = replicas / 2 + 1;
    assertEquals(dir.endsWith("scale-5") ? 5 : 3, replicas);

    assertEquals("RollingUpdate", string(deployment, "spec", "strategy", "type"));
    assertEquals(0, integer(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
    assertEquals(1, integer(deployment, "spec", "strategy", "rollingUpdate", "maxSurge"));

    int minAvailable = integer(one(docs, "PodDisruptionBudget"), "spec", "minAvailable");
    assertTrue(
        minAvailable >= majority, "PDB minAvailable " + minAvailable + " < majority " + majority);
    assertTrue(minAvailable < replicas, "PDB minAvailable " + minAvailable + " blocks every drain");

    int contacts =
        config.getInt(
            "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr");
    assertTrue(
        contacts >= majority && contacts <= replicas,
        "bootstrap forms a cluster from " + contacts + " of " + replicas + " pods");
  }

  @ParameterizedTest
  @ValueSource(strings = {"k8s", "k8s/overlays/scale-5"})
  void resourcesAndHeap(String dir) {
    Map<String, Object> c = container(rendered(dir));
    Map<String, Object> requests = map(c, "resources", "requests");
    Map<String, Object> limits = map(c, "resources", "limits");
    assertNotNull(requests.get("cpu"), "a CPU request");
    assertFalse(limits.containsKey("cpu"), "no CPU limit: throttling stalls cluster heartbeats");
    assertNotNull(limits.get("memory"));
    assertEquals(requests.get("memory"), limits.get("memory"), "memory limit = request");
    assertTrue(
        podEnv(rendered(dir))
            .getOrDefault("JDK_JAVA_OPTIONS", "")
            .contains("-XX:MaxRAMPercentage="),
        "heap sized from the container's memory limit");
  }

  @Test
  void aHeadlessServiceGivesGrpcClientsEveryPodAndPodsRunUnderTheDefaultSeccompProfile() {
    List<Map<String, Object>> docs = rendered("k8s");
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    Map<String, Object> headless = service(docs, true);
    Map<String, Object> podLabels = map(deployment(docs), "spec", "template", "metadata", "labels");
    for (Map.Entry<String, Object> e : map(headless, "spec", "selector").entrySet()) {
      assertEquals(podLabels.get(e.getKey()), e.getValue(), "selects the pods: " + e.getKey());
    }
    Object port = list(headless, "spec", "ports").get(0);
    assertEquals(config.getInt("stockhold.http.port"), integer(port, "port"));
    assertEquals("http", string(port, "targetPort"));
    assertEquals("kubernetes.io/h2c", string(port, "appProtocol"));
    assertEquals(
        "RuntimeDefault",
        string(
            deployment(docs),
            "spec",
            "template",
            "spec",
            "securityContext",
            "seccompProfile",
            "type"));
  }

  @Test
  void thePrometheusOverlaysServiceMonitorScrapesMetricsOnTheManagementPort() {
    List<Map<String, Object>> docs = rendered("k8s/overlays/prometheus");
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    Map<String, Object> monitor = one(docs, "ServiceMonitor");
    assertEquals("monitoring.coreos.com/v1", monitor.get("apiVersion"));
    Object endpoint = list(monitor, "spec", "endpoints").get(0);
    assertEquals("/metrics", string(endpoint, "path"));
    String portName = string(endpoint, "port");
    Map<String, Object> wanted = map(monitor, "spec", "selector", "matchLabels");
    List<Map<String, Object>> selected =
        docs.stream()
            .filter(d -> "Service".equals(d.get("kind")))
            .filter(d -> map(d, "metadata", "labels").entrySet().containsAll(wanted.entrySet()))
            .toList();
    assertEquals(1, selected.size(), "the ServiceMonitor selects one Service");
    Object port =
        list(selected.get(0), "spec", "ports").stream()
            .filter(p -> portName.equals(asMap(p).get("name")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no Service port named " + portName));
    assertEquals(config.getInt("pekko.management.http.port"), integer(port, "port"));
    assertEquals("management", string(port, "targetPort"), "the container's management port");
    assertEquals(
        rendered("k8s").size() + 1, docs.size(), "the overlay adds the ServiceMonitor only");
  }

  @Test
  void serviceServesHttpAndGrpcOnTheHttpPort() {
    List<Map<String, Object>> docs = rendered("k8s");
    Config config = loadAsNode(configFileOf(docs), podEnv(docs));
    List<Object> ports = list(service(docs, false), "spec", "ports");
    assertEquals(1, ports.size());
    Object port = ports.get(0);
    assertEquals(config.getInt("stockhold.http.port"), integer(port, "port"));
    assertEquals("http", string(port, "targetPort"), "targets the container port named http");
    assertEquals("kubernetes.io/h2c", string(port, "appProtocol"), "HTTP/2 cleartext for gRPC");
  }

  // ---------------------------------------------------------------- docker/Dockerfile

  @Test
  void dockerfileRunsTheShadedJarOnAJre25AsNonRoot() throws IOException {
    List<String[]> instructions = dockerfile();
    List<String> from = arguments(instructions, "FROM");
    assertEquals(2, from.size(), "a build stage and a runtime stage: " + from);
    assertTrue(from.get(0).startsWith("maven:") && from.get(0).contains("temurin-25"), from.get(0));
    assertTrue(from.get(1).startsWith("eclipse-temurin:25-jre"), from.get(1));

    List<String> user = arguments(instructions, "USER");
    assertEquals(1, user.size());
    String uid = user.get(0).split(":")[0];
    assertFalse(uid.equals("root") || uid.equals("0"), "runs as " + uid);
    List<Map<String, Object>> deployment = base();
    assertEquals(
        String.valueOf(
            integer(
                deployment(deployment),
                "spec",
                "template",
                "spec",
                "securityContext",
                "runAsUser")),
        uid,
        "the Deployment's runAsUser is the image's user");

    // The same launcher as bin/stockhold: java -jar target/stockhold.jar <command> [--config FILE].
    List<String> entrypoint = execForm(instructions, "ENTRYPOINT");
    assertEquals("java", entrypoint.get(0));
    int jar = entrypoint.indexOf("-jar");
    assertTrue(jar > 0, entrypoint.toString());
    assertEquals("target/stockhold.jar", entrypoint.get(jar + 1));
    assertTrue(read("bin/stockhold").contains("jar=target/stockhold.jar"));
    assertTrue(read("pom.xml").contains("<finalName>stockhold</finalName>"));
    assertEquals(List.of("serve"), execForm(instructions, "CMD"));
    // conf/ is in the image, so `serve --config conf/k8s.conf` (k8s) finds its file.
    assertTrue(arguments(instructions, "COPY").contains("conf conf"), "COPY conf conf");
    assertTrue(Files.isRegularFile(ROOT.resolve(configFileOf(deployment))));

    Config defaults = loadAsNode(null, Map.of());
    Set<Integer> exposed = new TreeSet<>();
    for (String ports : arguments(instructions, "EXPOSE")) {
      for (String p : ports.trim().split("\\s+")) exposed.add(Integer.parseInt(p));
    }
    assertEquals(
        new TreeSet<>(
            Set.of(
                defaults.getInt("stockhold.http.port"),
                defaults.getInt("pekko.remote.artery.canonical.port"),
                defaults.getInt("pekko.management.http.port"))),
        exposed);

    List<String> healthcheck = arguments(instructions, "HEALTHCHECK");
    assertEquals(1, healthcheck.size());
    String check = healthcheck.get(0);
    assertTrue(
        check.contains(
            ":${STOCKHOLD_MANAGEMENT_PORT:-"
                + defaults.getInt("pekko.management.http.port")
                + "}/"
                + defaults.getString("pekko.management.health-checks.readiness-path")),
        check);
  }

  // ---------------------------------------------------------------- conf/node*.conf (bin/stockhold
  // cluster)

  @Test
  void theLocalClusterSharesOneSeedListAndNode1RejoinsWithoutItself() {
    List<String> seeds =
        loadAsNode("conf/node1.conf", Map.of()).getStringList("pekko.cluster.seed-nodes");
    for (int n = 1; n <= 3; n++) {
      Config node = loadAsNode("conf/node" + n + ".conf", Map.of());
      assertEquals(seeds, node.getStringList("pekko.cluster.seed-nodes"), "node" + n);
      assertEquals(
          "pekko://stockhold@127.0.0.1:" + node.getInt("pekko.remote.artery.canonical.port"),
          seeds.get(n - 1),
          "node" + n + " is seed " + n);
    }
    // node1 restarted while the others run: the same node, joining only through the others.
    Config node1 = loadAsNode("conf/node1.conf", Map.of());
    Config rejoin = loadAsNode("conf/node1-rejoin.conf", Map.of());
    for (String path :
        List.of(
            "pekko.remote.artery.canonical.port",
            "stockhold.http.port",
            "pekko.management.http.port",
            "stockhold.data-dir",
            "stockhold.db.url")) {
      assertEquals(node1.getValue(path).unwrapped(), rejoin.getValue(path).unwrapped(), path);
    }
    assertEquals(seeds.subList(1, seeds.size()), rejoin.getStringList("pekko.cluster.seed-nodes"));
  }

  // ---------------------------------------------------------------- docker/compose.yaml

  @Test
  void composeRunsThreeNodesOfOneClusterOnTheComposeDatabaseAndBroker() throws IOException {
    Map<String, Object> compose;
    try (InputStream in = Files.newInputStream(ROOT.resolve("docker/compose.yaml"))) {
      compose = new Yaml().load(in);
    }
    Map<String, Object> services = map(compose, "services");
    List<String> nodes =
        services.keySet().stream().filter(s -> s.startsWith("node")).sorted().toList();
    assertEquals(List.of("node1", "node2", "node3"), nodes);

    Set<String> hostnames = new HashSet<>();
    Set<String> hostPorts = new HashSet<>();
    Set<Object> seedLists = new HashSet<>();
    Set<String> read = variablesTheConfigReads();
    for (String node : nodes) {
      Map<String, Object> service = map(services, node);
      assertEquals("docker/Dockerfile", string(service, "build", "dockerfile"));
      Map<String, String> env = new LinkedHashMap<>();
      map(service, "environment").forEach((k, v) -> env.put(k, String.valueOf(v)));
      for (String name : env.keySet()) {
        assertTrue(
            read.contains(name) || READ_OUTSIDE_CONFIG.containsKey(name),
            node + ": " + name + " is read by nothing");
      }
      for (String name : REQUIRED) assertTrue(env.containsKey(name), node + " lacks " + name);

      List<Object> command = list(service, "command");
      String configFile = String.valueOf(command.get(command.indexOf("--config") + 1));
      Config config = loadAsNode(configFile, env);
      String host = string(service, "hostname");
      assertTrue(hostnames.add(host), "hostname " + host + " twice");
      assertEquals(host, config.getString("pekko.remote.artery.canonical.hostname"));

      List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
      seedLists.add(seeds);
      assertTrue(
          seeds.contains(
              "pekko://stockhold@"
                  + host
                  + ":"
                  + config.getInt("pekko.remote.artery.canonical.port")),
          node + " is not among the seeds " + seeds);
      assertFalse(config.getBoolean("stockhold.cluster.bootstrap"));

      // Published ports reach the ports the node listens on, on every interface.
      Set<Integer> containerPorts = new HashSet<>();
      for (Object mapping : list(service, "ports")) {
        String[] parts = String.valueOf(mapping).split(":");
        assertTrue(hostPorts.add(parts[0]), "host port " + parts[0] + " twice");
        containerPorts.add(Integer.parseInt(parts[1]));
      }
      assertEquals(
          Set.of(config.getInt("stockhold.http.port"), config.getInt("pekko.management.http.port")),
          containerPorts);
      assertEquals("0.0.0.0", config.getString("stockhold.http.interface"));
      assertEquals("0.0.0.0", config.getString("pekko.management.http.bind-hostname"));

      // The compose PostgreSQL and RabbitMQ, with the credentials they were started with.
      URI db = URI.create(config.getString("stockhold.db.url").substring("jdbc:".length()));
      Map<String, Object> postgres = map(services, db.getHost());
      assertTrue(
          string(postgres, "image").startsWith("postgres:"), db.getHost() + " is not PostgreSQL");
      assertEquals(5432, db.getPort());
      assertEquals("/" + string(postgres, "environment", "POSTGRES_DB"), db.getPath());
      assertEquals(
          string(postgres, "environment", "POSTGRES_USER"), config.getString("stockhold.db.user"));
      assertEquals(
          string(postgres, "environment", "POSTGRES_PASSWORD"),
          config.getString("stockhold.db.password"));
      URI amqp = URI.create(ErpSettings.from(config).amqpUri().orElseThrow());
      Map<String, Object> rabbit = map(services, amqp.getHost());
      assertTrue(
          string(rabbit, "image").startsWith("rabbitmq:"), amqp.getHost() + " is not RabbitMQ");
      assertEquals(5672, amqp.getPort());
      assertEquals(
          string(rabbit, "environment", "RABBITMQ_DEFAULT_USER")
              + ":"
              + string(rabbit, "environment", "RABBITMQ_DEFAULT_PASS"),
          amqp.getUserInfo());

      // A node starts once what it needs answers: the first seed waits for the database and the
      // broker, the others for the first seed (which creates the tables).
      Map<String, Object> dependsOn = map(service, "depends_on");
      assertFalse(dependsOn.isEmpty(), node + " depends on nothing");
      dependsOn.forEach(
          (dependency, condition) -> {
            assertEquals(
                "service_healthy", string(condition, "condition"), node + " -> " + dependency);
            Map<String, Object> needed = map(services, dependency);
            // A node's own health is the Dockerfile's HEALTHCHECK (its /ready).
            assertTrue(
                needed.containsKey("healthcheck") || builtFromOurDockerfile(needed),
                dependency + " has no healthcheck");
          });
    }
    assertEquals(1, seedLists.size(), "every node lists the same seeds: " + seedLists);
    assertNotNull(map(services, "postgres").get("healthcheck"));
    assertNotNull(map(services, "rabbitmq").get("healthcheck"));
  }

  private static boolean builtFromOurDockerfile(Map<String, Object> service) {
    Object build = service.get("build");
    return build != null && "docker/Dockerfile".equals(string(build, "dockerfile"));
  }

  // ---------------------------------------------------------------- loading, as the node does

  /**
   * The config a node started as {@code serve --config FILE} with this environment runs with: what
   * {@link Main#config} builds (the file over application.conf over every reference.conf), resolved
   * against {@code env} instead of this JVM's environment. {@code file} null: no --config.
   */
  private static Config loadAsNode(String file, Map<String, String> env) {
    Config application = ConfigFactory.defaultApplication();
    Config laid =
        file == null
            ? application
            : ConfigFactory.parseFile(ROOT.resolve(file).toFile()).withFallback(application);
    return laid.withFallback(ConfigFactory.defaultReference())
        .withFallback(ConfigFactory.parseMap(env))
        .resolve(ConfigResolveOptions.noSystem());
  }

  /**
   * {@code ${NAME}} and {@code ${?NAME}} in our config files and every reference.conf on the
   * classpath.
   */
  private static Set<String> variablesTheConfigReads() throws IOException {
    Pattern variable = Pattern.compile("\\$\\{\\??([A-Z][A-Z0-9_]*)}");
    List<String> sources = new ArrayList<>();
    for (String dir : List.of("conf", "src/main/resources")) {
      try (var files = Files.list(ROOT.resolve(dir))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".conf")).toList())
          sources.add(Files.readString(f));
      }
    }
    Enumeration<URL> references =
        DeploymentManifestsTest.class.getClassLoader().getResources("reference.conf");
    while (references.hasMoreElements()) {
      try (InputStream in = references.nextElement().openStream()) {
        sources.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Set<String> names = new TreeSet<>();
    for (String source : sources) {
      Matcher m = variable.matcher(source);
      while (m.find()) names.add(m.group(1));
    }
    return names;
  }

  // ---------------------------------------------------------------- the rendered kustomization

  /**
   * The base Deployment and its ConfigMap read without kubectl, for the tests that need only the
   * pod's environment and so run where kubectl does not: the configMapGenerator's env file becomes
   * the ConfigMap the Deployment names (unhashed, as in the source).
   */
  private static List<Map<String, Object>> base() {
    try (InputStream in = Files.newInputStream(ROOT.resolve("k8s/base/deployment.yaml"))) {
      Map<String, Object> deployment = asMap(new Yaml().load(in));
      Map<String, Object> data = new LinkedHashMap<>();
      for (String line : Files.readAllLines(ROOT.resolve("k8s/base/stockhold.env"))) {
        if (line.isBlank() || line.startsWith("#")) continue;
        String[] kv = line.split("=", 2);
        data.put(kv[0].trim(), kv[1].trim());
      }
      Map<String, Object> configMap =
          Map.of("kind", "ConfigMap", "metadata", Map.of("name", "stockhold-config"), "data", data);
      return List.of(deployment, configMap);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Map<String, Object>> rendered(String dir) {
    assertTrue(RENDERINGS.contains(dir), dir);
    String kubectl = onPath("kubectl");
    Assumptions.assumeTrue(
        kubectl != null,
        "kubectl is not on PATH: the kustomization in k8s/ cannot be rendered, so it is not"
            + " checked");
    return RENDERED.computeIfAbsent(dir, d -> render(kubectl, d));
  }

  private static List<Map<String, Object>> render(String kubectl, String dir) {
    try {
      Path errors = Files.createTempFile("kustomize", ".err");
      try {
        Process p =
            new ProcessBuilder(kubectl, "kustomize", ROOT.resolve(dir).toString())
                .redirectError(errors.toFile())
                .start();
        String yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + dir + " did not finish");
        assertEquals(
            0, p.exitValue(), "kubectl kustomize " + dir + ": " + Files.readString(errors));
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(yaml)) {
          if (doc != null) docs.add(asMap(doc));
        }
        return docs;
      } finally {
        Files.deleteIfExists(errors);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, command);
      if (Files.isExecutable(candidate)) return candidate.toString();
    }
    return null;
  }

  private static Map<String, Object> one(List<Map<String, Object>> docs, String kind) {
    List<Map<String, Object>> found =
        docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
    assertEquals(1, found.size(), "one " + kind);
    return found.get(0);
  }

  /** The Service clients use ({@code headless} false) or the one listing every pod (true). */
  private static Map<String, Object> service(List<Map<String, Object>> docs, boolean headless) {
    List<Map<String, Object>> found =
        docs.stream()
            .filter(d -> "Service".equals(d.get("kind")))
            .filter(d -> headless == "None".equals(asMap(d.get("spec")).get("clusterIP")))
            .toList();
    assertEquals(1, found.size(), (headless ? "one headless" : "one") + " Service");
    return found.get(0);
  }

  private static Map<String, Object> deployment(List<Map<String, Object>> docs) {
    return one(docs, "Deployment");
  }

  private static Map<String, Object> container(List<Map<String, Object>> docs) {
    List<Object> containers = list(deployment(docs), "spec", "template", "spec", "containers");
    assertEquals(1, containers.size());
    return asMap(containers.get(0));
  }

  /** The file after {@code --config} in the container's arguments. */
  private static String configFileOf(List<Map<String, Object>> docs) {
    List<Object> args = list(container(docs), "args");
    int at = args.indexOf("--config");
    assertTrue(at >= 0 && at + 1 < args.size(), "no --config in " + args);
    return String.valueOf(args.get(at + 1));
  }

  /**
   * Each variable the container gets, and where from: "value", "configMap NAME", "secret NAME/KEY",
   * "fieldRef PATH".
   */
  private static Map<String, String> envSources(List<Map<String, Object>> docs) {
    Map<String, String> sources = new LinkedHashMap<>();
    Map<String, Object> c = container(docs);
    for (Object from : c.containsKey("envFrom") ? list(c, "envFrom") : List.of()) {
      String name = string(from, "configMapRef", "name");
      for (String key : configMapData(docs, name).keySet()) sources.put(key, "configMap " + name);
    }
    for (Object var : c.containsKey("env") ? list(c, "env") : List.of()) {
      Map<String, Object> v = asMap(var);
      String name = string(v, "name");
      if (v.containsKey("value")) {
        sources.put(name, "value");
      } else if (map(v, "valueFrom").containsKey("secretKeyRef")) {
        sources.put(
            name,
            "secret "
                + string(v, "valueFrom", "secretKeyRef", "name")
                + "/"
                + string(v, "valueFrom", "secretKeyRef", "key"));
      } else if (map(v, "valueFrom").containsKey("fieldRef")) {
        sources.put(name, "fieldRef " + string(v, "valueFrom", "fieldRef", "fieldPath"));
      } else {
        sources.put(name, "configMap " + string(v, "valueFrom", "configMapKeyRef", "name"));
      }
    }
    return sources;
  }

  /** The environment the container would see, secrets replaced by a placeholder. */
  private static Map<String, String> podEnv(List<Map<String, Object>> docs) {
    Map<String, String> env = new LinkedHashMap<>();
    Map<String, Object> c = container(docs);
    for (Object from : c.containsKey("envFrom") ? list(c, "envFrom") : List.of()) {
      configMapData(docs, string(from, "configMapRef", "name"))
          .forEach((k, v) -> env.put(k, String.valueOf(v)));
    }
    for (Object var : c.containsKey("env") ? list(c, "env") : List.of()) {
      Map<String, Object> v = asMap(var);
      String name = string(v, "name");
      if (v.containsKey("value")) {
        env.put(name, String.valueOf(v.get("value")));
      } else if (map(v, "valueFrom").containsKey("fieldRef")) {
        assertEquals("status.podIP", string(v, "valueFrom", "fieldRef", "fieldPath"), name);
        env.put(name, POD_IP);
      } else if (map(v, "valueFrom").containsKey("secretKeyRef")) {
        env.put(name, "secret-" + string(v, "valueFrom", "secretKeyRef", "key"));
      } else {
        fail("unexpected source of " + name + ": " + v);
      }
    }
    return env;
  }

  private static Map<String, Object> configMapData(List<Map<String, Object>> docs, String name) {
    return docs.stream()
        .filter(
            d -> "ConfigMap".equals(d.get("kind")) && name.equals(string(d, "metadata", "name")))
        .findFirst()
        .map(d -> map(d, "data"))
        .orElseThrow(() -> new AssertionError("no ConfigMap " + name));
  }

  private static void assertSelects(
      Map<String, Object> podLabels, Map<String, Object> selector, String who) {
    assertFalse(selector.isEmpty(), who + " selects every pod");
    selector.forEach((k, v) -> assertEquals(v, podLabels.get(k), who + " selector " + k + "=" + v));
  }

  private static void assertAllowed(
      List<Object> rules, String group, String resource, List<String> verbs) {
    boolean allowed =
        rules.stream()
            .anyMatch(
                r ->
                    list(r, "apiGroups").contains(group)
                        && list(r, "resources").contains(resource)
                        && list(r, "verbs").containsAll(verbs));
    assertTrue(allowed, "Role allows " + verbs + " on " + resource + " in '" + group + "'");
  }

  // ---------------------------------------------------------------- the Dockerfile's instructions

  /** [INSTRUCTION, arguments], comments dropped and continuation lines joined. */
  private static List<String[]> dockerfile() throws IOException {
    List<String[]> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(ROOT.resolve("docker/Dockerfile"))) {
      String trimmed = line.trim();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) continue;
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      current.append(trimmed);
      String joined = current.toString().trim();
      current.setLength(0);
      if (joined.isEmpty()) continue;
      String[] parts = joined.split("\\s+", 2);
      instructions.add(new String[] {parts[0].toUpperCase(), parts.length > 1 ? parts[1] : ""});
    }
    return instructions;
  }

  private static List<String> arguments(List<String[]> instructions, String keyword) {
    List<String> found = new ArrayList<>();
    for (String[] i : instructions) {
      if (!i[0].equals(keyword)) continue;
      // FROM image AS stage: the image.
      found.add(keyword.equals("FROM") ? i[1].split("\\s+")[0] : i[1]);
    }
    return found;
  }

  /** The JSON array of an exec-form instruction (the only form that gets signals as PID 1). */
  private static List<String> execForm(List<String[]> instructions, String keyword) {
    List<String> args = arguments(instructions, keyword);
    assertEquals(1, args.size(), "one " + keyword);
    String json = args.get(0).trim();
    assertTrue(json.startsWith("[") && json.endsWith("]"), keyword + " in exec form: " + json);
    List<String> words = new ArrayList<>();
    for (Object o : new Yaml().<List<Object>>load(json)) words.add(String.valueOf(o));
    return words;
  }

  // ---------------------------------------------------------------- YAML navigation

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object node) {
    assertTrue(node instanceof Map, "not a mapping: " + node);
    return (Map<String, Object>) node;
  }

  private static Object at(Object node, String... path) {
    Object here = node;
    for (String key : path) {
      Object next = asMap(here).get(key);
      assertNotNull(next, "no " + String.join(".", path) + " (at " + key + ")");
      here = next;
    }
    return here;
  }

  private static Map<String, Object> map(Object node, String... path) {
    return asMap(at(node, path));
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node, String... path) {
    Object value = at(node, path);
    assertTrue(value instanceof List, String.join(".", path) + " is not a list");
    return (List<Object>) value;
  }

  private static String string(Object node, String... path) {
    return String.valueOf(at(node, path));
  }

  private static int integer(Object node, String... path) {
    Object value = at(node, path);
    assertTrue(value instanceof Integer, String.join(".", path) + " is not an integer: " + value);
    return (Integer) value;
  }

  private static String read(String file) throws IOException {
    return Files.readString(ROOT.resolve(file));
  }
}

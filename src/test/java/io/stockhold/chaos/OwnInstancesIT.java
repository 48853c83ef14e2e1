package io.stockhold.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.MessageProperties;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The chaos run's own PostgreSQL and RabbitMQ keep what was committed across a restart, and leave
 * nothing behind when closed.
 */
class OwnInstancesIT {

  @Test
  void aRowCommittedBeforeAPostgresRestartIsThereAfterIt() throws Exception {
    Assumptions.assumeTrue(OwnPostgres.unavailable() == null, OwnPostgres.unavailable());
    int port;
    try (OwnPostgres postgres = OwnPostgres.create(System.out)) {
      port = postgres.port();
      try (Connection connection = connect(postgres);
          Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE holds (id text PRIMARY KEY, units int NOT NULL)");
        statement.execute("INSERT INTO holds VALUES ('hold-1', 3)");
      }
      postgres.restart();
      try (Connection connection = connect(postgres);
          Statement statement = connection.createStatement();
          ResultSet row = statement.executeQuery("SELECT units FROM holds WHERE id = 'hold-1'")) {
        assertTrue(row.next(), "the row survives the restart");
        assertEquals(3, row.getInt(1));
      }
    }
    List<String> ports = clusterPorts();
    assertFalse(ports.contains(Integer.toString(port)), "no cluster on " + port + ": " + ports);
    assertNothingListens(port);
  }

  @Test
  void aPersistentMessagePublishedBeforeARabbitRestartIsThereAfterIt() throws Exception {
    Assumptions.assumeTrue(OwnRabbit.unavailable() == null, OwnRabbit.unavailable());
    Path dir = Files.createTempDirectory("own-rabbit");
    int port;
    try (OwnRabbit rabbit = OwnRabbit.start(dir, System.out)) {
      port = rabbit.port();
      ConnectionFactory factory = new ConnectionFactory();
      factory.setUri(rabbit.amqpUri());
      try (com.rabbitmq.client.Connection connection = factory.newConnection();
          Channel channel = connection.createChannel()) {
        channel.queueDeclare("erp", true, false, false, null);
        channel.confirmSelect();
        channel.basicPublish(
            "",
            "erp",
            MessageProperties.PERSISTENT_TEXT_PLAIN,
            "hold-1".getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(10_000);
      }
      rabbit.restart();
      try (com.rabbitmq.client.Connection connection = factory.newConnection();
          Channel channel = connection.createChannel()) {
        GetResponse message = channel.basicGet("erp", true);
        assertNotNull(message, "the message survives the restart");
        assertEquals("hold-1", new String(message.getBody(), StandardCharsets.UTF_8));
      }
    }
    assertFalse(Files.exists(dir), dir + " is deleted");
    assertNothingListens(port);
    // the Erlang VM runs with -home <dir>, its HOME
    assertEquals(
        List.of(),
        ProcessHandle.allProcesses()
            .filter(process -> process.info().commandLine().orElse("").contains(dir.toString()))
            .map(ProcessHandle::pid)
            .toList(),
        "no process of the node remains");
  }

  private static Connection connect(OwnPostgres postgres) throws Exception {
    return DriverManager.getConnection(postgres.jdbcUrl(), postgres.user(), "");
  }

  /** The ports of the clusters pg_lsclusters lists (its third column). */
  private static List<String> clusterPorts() throws Exception {
    Process lsclusters =
        new ProcessBuilder("pg_lsclusters", "--no-header").redirectErrorStream(true).start();
    String rows = new String(lsclusters.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(lsclusters.waitFor(30, TimeUnit.SECONDS), "pg_lsclusters finishes");
    return rows.lines()
        .map(row -> row.strip().split("\\s+"))
        .filter(columns -> columns.length > 2)
        .map(columns -> columns[2])
        .toList();
  }

  private static void assertNothingListens(int port) {
    assertThrows(
        ConnectException.class,
        () -> new Socket("127.0.0.1", port).close(),
        "nothing listens on port " + port);
  }
}

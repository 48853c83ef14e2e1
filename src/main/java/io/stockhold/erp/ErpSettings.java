package io.stockhold.erp;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** The {@code stockhold.erp} section: where inventory events go and where receipts come from. */
public record ErpSettings(
    Optional<String> amqpUri,
    Path eventsFile,
    String exchange,
    String erpQueue,
    String receiptsQueue,
    String deadLetterExchange,
    String deadLetterQueue,
    int groupSize,
    Duration groupWithin,
    Duration confirmTimeout,
    int receiptsPrefetch,
    Duration reconnectBackoff,
    Duration lagInterval) {

  public static ErpSettings from(Config config) {
    Config erp = config.getConfig("stockhold.erp");
    String uri = erp.getString("amqp-uri").trim();
    Path dataDir = Path.of(config.getString("stockhold.data-dir"));
    return new ErpSettings(
        uri.isEmpty() ? Optional.empty() : Optional.of(uri),
        dataDir.resolve(erp.getString("events-file")).toAbsolutePath().normalize(),
        erp.getString("exchange"),
        erp.getString("erp-queue"),
        erp.getString("receipts-queue"),
        erp.getString("dead-letter-exchange"),
        erp.getString("dead-letter-queue"),
        erp.getInt("group-size"),
        erp.getDuration("group-within"),
        erp.getDuration("confirm-timeout"),
        erp.getInt("receipts-prefetch"),
        erp.getDuration("reconnect-backoff"),
        erp.getDuration("lag-interval"));
  }

  /** For the start-up log line: the broker without its credentials, or the file. */
  public String description() {
    return amqpUri
        .map(ErpSettings::withoutCredentials)
        .map(u -> "RabbitMQ " + u)
        .orElse("file " + eventsFile);
  }

  static String withoutCredentials(String uri) {
    return uri.replaceFirst("//[^@/]*@", "//");
  }
}

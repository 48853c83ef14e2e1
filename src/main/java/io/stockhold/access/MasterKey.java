package io.stockhold.access;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The master key: {@code stockhold.auth.master-key} ({@code STOCKHOLD_MASTER_KEY}), at least
 * {@value #MIN_LENGTH} characters. Without one, a node on the embedded store makes one on its first
 * start and keeps it in {@code <data dir>/master.key}; a node on PostgreSQL — a shared store, where
 * each node would make its own — refuses to start.
 */
public final class MasterKey {

  public static final int MIN_LENGTH = 16;
  static final String FILE = "master.key";

  /** The key, and where it came from, for the node's start-up line. */
  public record Resolved(String key, String source) {}

  /** A master key the node cannot start with; the message says what to set. */
  public static final class Refused extends RuntimeException {
    public Refused(String message) {
      super(message);
    }
  }

  private MasterKey() {}

  /**
   * The master key from {@code config}, or from (or newly into) {@code dataDir} when {@code
   * embedded}.
   */
  public static Resolved resolve(Config config, boolean embedded, Path dataDir) {
    String configured = config.getString("stockhold.auth.master-key");
    if (!configured.isEmpty()) {
      if (configured.length() < MIN_LENGTH) {
        throw new Refused(
            "STOCKHOLD_MASTER_KEY (stockhold.auth.master-key) must be at least "
                + MIN_LENGTH
                + " characters, not "
                + configured.length());
      }
      return new Resolved(configured, "STOCKHOLD_MASTER_KEY");
    }
    if (!embedded) {
      throw new Refused(
          "set STOCKHOLD_MASTER_KEY (at least "
              + MIN_LENGTH
              + " characters): nodes sharing a PostgreSQL store need the same master key");
    }
    Path file = dataDir.resolve(FILE);
    try {
      if (!Files.exists(file)) create(file);
      String key = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (key.length() < MIN_LENGTH)
        throw new Refused(file + " holds no master key of at least " + MIN_LENGTH + " characters");
      return new Resolved(key, file.toAbsolutePath().normalize().toString());
    } catch (IOException e) {
      throw new Refused(
          "cannot read or create the master key file " + file + ": " + e.getMessage());
    }
  }

  /** A new master key: 32 random bytes, well over the {@value #MIN_LENGTH} characters required. */
  public static String generate() {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return "shm_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void create(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    String key = generate();
    try {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException raced) {
      return;
    } catch (UnsupportedOperationException notPosix) {
      Files.createFile(file);
    }
    Files.writeString(file, key + "\n", StandardCharsets.UTF_8);
  }
}

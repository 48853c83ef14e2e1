package io.stockhold.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Idempotency keys, shared by every transport. A key becomes the id of the operation it asks for
 * (a hold id, an adjustment id), derived per scope (a route), so that a retry reaches the stock
 * item as the same operation and is answered with the first outcome. The request body's
 * fingerprint travels with it, so a reused key with another body is told apart from a retry.
 */
public final class Idempotency {

  /** 1..255 visible ASCII characters. */
  public static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");

  public static final String RESERVATIONS = "POST /v1/reservations";
  public static final String ADJUSTMENTS = "POST /v1/stock/adjustments";
  /** Goods receipts from the ERP: the receiptId is the key. */
  public static final String RECEIPTS = "AMQP receipts";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Idempotency() {}

  /** A 22-character URL-safe id for {@code key} within {@code scope}. */
  public static String operationId(String scope, String key) {
    return digest(scope + "\n" + key);
  }

  /** A fresh random id, for a request that came without a key. */
  public static String freshId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return B64.encodeToString(bytes);
  }

  /** A short, stable digest of a request body in canonical form. */
  public static String fingerprint(String canonicalBody) {
    return digest(canonicalBody);
  }

  private static String digest(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return B64.encodeToString(hash).substring(0, 22);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package io.stockhold.idempotency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Idempotency keys, shared by every transport. A key becomes the id of the operation it asks for (a
 * hold id, an adjustment id), derived per scope (a route), so that a retry reaches the stock item
 * as the same operation and is answered with the first outcome. The request body's fingerprint
 * travels with it, so a reused key with another body is told apart from a retry.
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

  /**
   * A 22-character URL-safe id for {@code key} within {@code scope} and one caller's key space
   * ({@code principal}); an empty {@code principal} is the space every key shared before callers
   * had keys of their own, so ids derived then still match.
   */
  public static String operationId(String scope, String principal, String key) {
    return principal.isEmpty()
        ? operationId(scope, key)
        : digest(scope + "\n" + principal + "\n" + key);
  }

  /** A fresh random id, for a request that came without a key. */
  public static String freshId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return B64.encodeToString(bytes);
  }

  /** A short, stable digest of a request in canonical form (a text the intake defines). */
  public static String fingerprint(String canonicalRequest) {
    return digest(canonicalRequest);
  }

  /**
   * A short, stable digest of a JSON request: its text with every object's keys sorted and no
   * spaces, so that the same request written in another order or layout is the same request.
   */
  public static String fingerprint(JsonNode request) {
    return digest(sorted(request).toString());
  }

  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      Collections.sort(names);
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      for (String name : names) out.set(name, sorted(node.get(name)));
      return out;
    }
    if (node.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      node.forEach(child -> out.add(sorted(child)));
      return out;
    }
    return node;
  }

  private static String digest(String text) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return B64.encodeToString(hash).substring(0, 22);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

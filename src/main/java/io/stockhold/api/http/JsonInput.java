package io.stockhold.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.stockhold.api.http.Problem.FieldError;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads one JSON object field by field and collects every problem with a JSON Pointer to it.
 * Nothing is coerced: {@code "5"}, {@code 1.5} and {@code null} are not integers.
 */
final class JsonInput {

  private final JsonNode node;
  private final String pointer;
  private final List<FieldError> errors;

  private JsonInput(JsonNode node, String pointer, List<FieldError> errors) {
    this.node = node;
    this.pointer = pointer;
    this.errors = errors;
  }

  /** The top-level body; {@code null} when it is not an object (already reported). */
  static JsonInput body(JsonNode node, List<FieldError> errors) {
    if (!node.isObject()) {
      errors.add(new FieldError("", "the body must be a JSON object"));
      return null;
    }
    return new JsonInput(node, "", errors);
  }

  String pointer(String field) {
    return pointer + "/" + field;
  }

  boolean has(String field) {
    return node.has(field);
  }

  /** Reports every field not in {@code known}. */
  void allowOnly(Set<String> known) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) errors.add(new FieldError(pointer(name), "unknown field"));
    }
  }

  /** An integer in [min, max]; null (and reported, if required) when absent or bad. */
  Long integer(String field, boolean required, long min, long max) {
    JsonNode value = node.get(field);
    if (value == null) {
      if (required) errors.add(new FieldError(pointer(field), "is required"));
      return null;
    }
    if (!value.isIntegralNumber()) {
      errors.add(new FieldError(pointer(field), "must be an integer"));
      return null;
    }
    if (!value.canConvertToLong() || value.longValue() < min || value.longValue() > max) {
      errors.add(new FieldError(pointer(field), "must be between " + min + " and " + max));
      return null;
    }
    return value.longValue();
  }

  /** A boolean; null (and reported) when it is not one. */
  Boolean bool(String field) {
    JsonNode value = node.get(field);
    if (value == null) return null;
    if (!value.isBoolean()) {
      errors.add(new FieldError(pointer(field), "must be true or false"));
      return null;
    }
    return value.booleanValue();
  }

  /** An RFC 3339 timestamp with a zone ({@code 2026-12-15T09:00:00Z}); null when absent or bad. */
  Instant time(String field, boolean required) {
    String text =
        string(
            field,
            required,
            t -> {
              try {
                OffsetDateTime.parse(t);
                return true;
              } catch (DateTimeParseException e) {
                return false;
              }
            },
            "must be an RFC 3339 timestamp such as 2026-12-15T09:00:00Z");
    return text == null ? null : OffsetDateTime.parse(text).toInstant();
  }

  /** A string accepted by {@code valid} ({@code rule} says what that means). */
  String string(String field, boolean required, Predicate<String> valid, String rule) {
    JsonNode value = node.get(field);
    if (value == null) {
      if (required) errors.add(new FieldError(pointer(field), "is required"));
      return null;
    }
    if (!value.isTextual()) {
      errors.add(new FieldError(pointer(field), "must be a string"));
      return null;
    }
    if (!valid.test(value.textValue())) {
      errors.add(new FieldError(pointer(field), rule));
      return null;
    }
    return value.textValue();
  }

  /** The objects of an array field with {@code min..max} elements; empty when absent or bad. */
  List<JsonInput> objects(String field, int min, int max) {
    List<JsonInput> out = new ArrayList<>();
    JsonNode value = array(field, true, min, max);
    for (int i = 0; value != null && i < value.size(); i++) {
      JsonNode element = value.get(i);
      String at = pointer(field) + "/" + i;
      if (!element.isObject()) {
        errors.add(new FieldError(at, "must be an object"));
      } else {
        out.add(new JsonInput(element, at, errors));
      }
    }
    return out;
  }

  /**
   * The strings of an array field with {@code min..max} elements, each accepted by {@code valid};
   * empty when absent (and not {@code required}) or bad.
   */
  List<String> strings(
      String field, boolean required, int min, int max, Predicate<String> valid, String rule) {
    List<String> out = new ArrayList<>();
    JsonNode value = array(field, required, min, max);
    for (int i = 0; value != null && i < value.size(); i++) {
      JsonNode element = value.get(i);
      String at = pointer(field) + "/" + i;
      if (!element.isTextual()) {
        errors.add(new FieldError(at, "must be a string"));
      } else if (!valid.test(element.textValue())) {
        errors.add(new FieldError(at, rule));
      } else {
        out.add(element.textValue());
      }
    }
    return out;
  }

  /** An array field of {@code min..max} elements, or null (with an error unless merely absent). */
  private JsonNode array(String field, boolean required, int min, int max) {
    JsonNode value = node.get(field);
    if (value == null) {
      if (required) errors.add(new FieldError(pointer(field), "is required"));
      return null;
    }
    if (!value.isArray()) {
      errors.add(new FieldError(pointer(field), "must be an array"));
      return null;
    }
    if (value.size() < min || value.size() > max) {
      errors.add(new FieldError(pointer(field), "must have " + min + " to " + max + " elements"));
      return null;
    }
    return value;
  }

  /** An object field, when present; a non-object is an error. */
  Optional<JsonInput> object(String field) {
    JsonNode value = node.get(field);
    if (value == null) return Optional.empty();
    if (!value.isObject()) {
      errors.add(new FieldError(pointer(field), "must be an object"));
      return Optional.empty();
    }
    return Optional.of(new JsonInput(value, pointer(field), errors));
  }

  String at() {
    return pointer;
  }

  /** The names of this object's fields, in the order sent. */
  List<String> names() {
    List<String> out = new ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }
}

package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProblemTest {

  @Test
  void oneBadFieldIsNamedInTheDetail() {
    assertEquals(
        "/lines/0/quantity: must be at least 1",
        Problem.invalid("/lines/0/quantity", "must be at least 1").detail());
  }

  @Test
  void aBadBodyAsAWholeHasItsDetailAlone() {
    assertEquals(
        "malformed JSON: unexpected end",
        Problem.invalid("", "malformed JSON: unexpected end").detail());
  }

  @Test
  void aMalformedBodySaysWhereTheParserStoppedAndWhyInTheClientsTerms() {
    assertEquals(
        "malformed JSON at line 1, column 17: Unexpected end-of-input: expected close marker for"
            + " Object (start marker at line 1, column 1)",
        malformed("{\"channel\":\"web\"").detail());
    assertEquals(
        "malformed JSON at line 2, column 4: Unexpected close marker '}': no open Object to close",
        malformed("{\n  }}").detail());
  }

  private static Problem malformed(String body) {
    try {
      Json.parse(body);
    } catch (JsonProcessingException e) {
      return ApiDirectives.malformed(e);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("parsed: " + body);
  }

  @Test
  void severalBadFieldsPointToTheList() {
    Problem p =
        Problem.invalid(
            List.of(new Problem.FieldError("/a", "x"), new Problem.FieldError("/b", "y")));
    assertEquals("2 problems with the request; see errors", p.detail());
    assertEquals(2, p.errors().size());
  }
}

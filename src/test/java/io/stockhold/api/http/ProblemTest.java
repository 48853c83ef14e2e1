package io.stockhold.api.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProblemTest {

  @Test
  void oneBadFieldIsNamedInTheDetail() {
    assertEquals("/lines/0/quantity: must be at least 1", Problem.invalid("/lines/0/quantity", "must be at least 1").detail());
  }

  @Test
  void aBadBodyAsAWholeHasItsDetailAlone() {
    assertEquals("malformed JSON: unexpected end", Problem.invalid("", "malformed JSON: unexpected end").detail());
  }

  @Test
  void severalBadFieldsPointToTheList() {
    Problem p = Problem.invalid(List.of(new Problem.FieldError("/a", "x"), new Problem.FieldError("/b", "y")));
    assertEquals("2 problems with the request; see errors", p.detail());
    assertEquals(2, p.errors().size());
  }
}

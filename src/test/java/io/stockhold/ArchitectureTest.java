package io.stockhold;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The packages' dependency rules (docs/architecture.md): the domain imports no transport, adapter,
 * storage, node wiring or command line; transports import no ERP adapter; no two packages need each
 * other. "Depend on" covers calls, fields, signatures and class literals alike.
 */
class ArchitectureTest {

  /** The rules for the packages under {@code root}. */
  static List<ArchRule> rules(String root) {
    return List.of(
        noClasses()
            .that()
            .resideInAnyPackage(root + ".stock..", root + ".reservation..", root + ".transfer..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                root + ".api..",
                root + ".erp..",
                root + ".storage..",
                root + ".node..",
                root + ".cli..")
            .as(
                "the domain (stock, reservation, transfer) depends on no transport, ERP, storage,"
                    + " node or CLI"),
        noClasses()
            .that()
            .resideInAPackage(root + ".api..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(root + ".erp..")
            .as("transports (api.*) depend on no ERP adapter"),
        slices()
            .matching(root + ".(**)")
            .should()
            .beFreeOfCycles()
            .as("no package cycles under " + root));
  }

  @Test
  void theNodesPackagesKeepTheRules() {
    JavaClasses node =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.stockhold");
    assertTrue(node.size() > 100, "the node's classes were found: " + node.size());
    for (ArchRule rule : rules("io.stockhold")) rule.check(node);
  }

  /**
   * The rules can fail: a small house of test classes breaks each one (a stock class using a route,
   * a route using the ERP adapter, two packages needing each other), and each rule says so.
   */
  @Test
  void eachRuleFailsOnAHouseThatBreaksIt() {
    JavaClasses badHouse = new ClassFileImporter().importPackages("io.stockhold.badhouse");
    List<EvaluationResult> results =
        rules("io.stockhold.badhouse").stream().map(rule -> rule.evaluate(badHouse)).toList();
    assertEquals(3, results.size());
    for (EvaluationResult result : results) {
      assertTrue(result.hasViolation(), "not caught: " + result.getFailureReport());
    }
    assertTrue(
        results.get(0).getFailureReport().getDetails().stream()
            .anyMatch(line -> line.contains("Shelf.route()") && line.contains("ShelfRoute")),
        "the domain rule names the stock class and the route it uses");
  }
}

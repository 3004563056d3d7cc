import Foundation
@testable import StudioTraining
import XCTest

/// Recipes the recipe fuzzer of Fuzz/ found (docs/fuzzing.md): the toml++ parser inside TOMLKit
/// aborted the process on them (an assertion, exit 134); now each is a `RecipeError` naming the file
/// and the place.
final class RecipeFuzzRegressionTests: XCTestCase {
    private func assertRefused(_ text: String, at place: String, _ words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try RecipeLoader.parse(text, path: "fuzz/recipe.toml"), file: file, line: line) { error in
            XCTAssertEqual("\(error)", "fuzz/recipe.toml: not valid TOML at \(place): \(words)", file: file, line: line)
        }
    }

    func testTheFoundRecipesAreCleanErrors() throws {
        let directory = try Fixtures.directory.appendingPathComponent("fuzz-regressions")
        for (name, place) in [("recipe-empty-table-header.toml", "line 1, column 1"), ("recipe-brace-in-array.toml", "line 21, column 4")] {
            let url = directory.appendingPathComponent(name)
            XCTAssertThrowsError(try RecipeLoader.load(url), name) { error in
                XCTAssertTrue("\(error)".hasPrefix("\(url.path): not valid TOML at \(place): "), "\(error)")
            }
        }
    }

    func testATableHeaderWithoutANameIsRefused() {
        let needsName = "a table header needs a name (letters, digits, '_', '-' or a quoted name) after '['"
        assertRefused("[\n", at: "line 1, column 1", needsName)
        assertRefused("[model]\nkind = \"gan\"\n  [[ \t# comment\n", at: "line 3, column 3", needsName)
        assertRefused("[ .a]", at: "line 1, column 1", needsName)
        assertRefused("[", at: "line 1, column 1", needsName)
    }

    func testAClosingBraceInsideAnArrayIsRefused() {
        let brace = "'}' inside an array, where a value or ']' was expected"
        assertRefused("a = [}", at: "line 1, column 6", brace)
        assertRefused("a = [1,\n# }\n  }", at: "line 3, column 3", brace)
        assertRefused("a = {b = [}]}", at: "line 1, column 11", brace)
    }

    /// Brackets and braces inside strings and comments, multi-line strings and arrays of inline tables
    /// are ordinary TOML: the check leaves them to the parser.
    func testOrdinaryTOMLPasses() {
        for text in ["a = \"[}\" # [\n", "a = '''\n[\n}'''\n", "a = \"\"\"\n[\n\"\\\"\"\"\"\nb = 1\n", "a = [{b = 1}, {c = [2]}]\n",
                     "[\"quoted table\"]\n[[x.y]]\n", "a = [\n  1, # }\n  2,\n]\n[t]\n"] {
            XCTAssertNil(TOMLPrecheck.problem(in: text), text)
        }
    }

    func testAnOverrideThatWouldAbortTheParserIsTakenAsText() throws {
        let url = try Fixtures.tinyRecipe
        XCTAssertThrowsError(try RecipeLoader.load(url, overrides: ["train.lr=[}"])) { error in
            XCTAssertTrue("\(error)".contains("train.lr"), "\(error)")
        }
    }
}

import XCTest
import CLISupport

/// The shared argument layer, in-process: every command gets these conventions from it.
final class ArgumentsTests: XCTestCase {
    func testMisspeltOptionIsNamedWithTheClosestKnownOne() throws {
        var a = Arguments(["x.faa", "--outptu", "y.csv"])
        XCTAssertThrowsError(try a.required("output")) { error in
            XCTAssertEqual(error as? ArgumentError, .unknownOption("--outptu", suggestion: "--output"))
            XCTAssertEqual("\(error)", "unknown option --outptu; did you mean --output?")
        }
        var b = Arguments(["spec.yaml", "--job", "2"])
        _ = try b.option("jobs", default: 1)
        XCTAssertThrowsError(try b.positionals()) { error in
            XCTAssertEqual(error as? ArgumentError, .unknownOption("--job", suggestion: "--jobs"))
        }
        var c = Arguments(["--zzzzzz=1"])
        _ = try c.option("jobs")
        XCTAssertThrowsError(try c.finish()) { error in
            XCTAssertEqual(error as? ArgumentError, .unknownOption("--zzzzzz", suggestion: nil))
        }
    }

    func testUnderscoresAndSpecNamesReadAsTheCLISpelling() throws {
        var a = Arguments(["--toks_per_batch", "100", "m", "--tokens-per-batch=7"])
        XCTAssertEqual(try a.options("toks-per-batch"), ["100", "7"])
        XCTAssertEqual(try a.positionals(), ["m"])
        var b = Arguments(["--format=dot", "--other", "x_y"])
        XCTAssertEqual(try b.option("format"), "dot")
        XCTAssertEqual(try b.option("other"), "x_y")     // values keep their underscores
    }

    func testSpaceSeparatedListsStopAtTheFirstNonMember() throws {
        var a = Arguments(["model", "x.faa", "out", "--repr_layers", "0", "-1", "--include", "mean", "per_tok", "--xx"])
        XCTAssertEqual(try a.list("repr-layers") { Int($0) != nil }, ["0", "-1"])
        XCTAssertEqual(try a.list("include") { ["mean", "per_tok"].contains($0) }, ["mean", "per_tok"])
        _ = a.flag("xx")
        XCTAssertEqual(try a.positionals(), ["model", "x.faa", "out"])
        var b = Arguments(["--include", "mean", "m", "f", "o", "--repr-layers=1,2"])
        XCTAssertEqual(try b.list("include") { $0 == "mean" }, ["mean"])
        XCTAssertEqual(try b.list("repr-layers") { Int($0) != nil }, ["1", "2"])
        XCTAssertEqual(try b.positionals(), ["m", "f", "o"])
    }

    func testChoicesAreListedWithTheClosest() throws {
        var a = Arguments(["--format", "mermaid2"])
        XCTAssertThrowsError(try a.choice("format", ["dot", "mermaid"])) { error in
            XCTAssertEqual("\(error)", "unknown value 'mermaid2' for --format (expected one of: dot, mermaid); did you mean 'mermaid'?")
        }
        var b = Arguments([])
        XCTAssertEqual(try b.choice("format", ["dot", "mermaid"], default: "dot"), "dot")
    }

    func testPositionalCountNamesWhatIsMissing() throws {
        var a = Arguments(["m", "x.faa"])
        XCTAssertThrowsError(try a.positionals(["MODEL", "FASTA", "OUTPUT"])) { error in
            XCTAssertEqual("\(error)", "missing OUTPUT (expected MODEL FASTA OUTPUT, got 2 argument(s))")
        }
        var b = Arguments(["a", "b", "-", "-3"])
        XCTAssertEqual(try b.positionals(), ["a", "b", "-", "-3"])
    }
}

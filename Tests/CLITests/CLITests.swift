import XCTest
import _TestSupport

/// End-to-end checks of the `trellis` executable's top-level behaviour.
final class CLITests: XCTestCase {
    func testVersion() throws {
        let r = try TestSupport.runTrellis(["--version"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.hasPrefix("trellis "), r.stdout)
    }

    func testHelpListsCommands() throws {
        let r = try TestSupport.runTrellis(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("bench"), r.stdout)
    }

    func testUnknownCommandSuggests() throws {
        let r = try TestSupport.runTrellis(["bnech"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("did you mean 'bench'?"), r.stderr)
    }
}

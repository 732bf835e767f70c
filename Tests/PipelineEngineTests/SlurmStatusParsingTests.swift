import PipelineEngine
import XCTest

/// Parsing of the one status query per poll (`squeue --array --format=%i|%T`, `sacct --parsable2`).
final class SlurmStatusParsingTests: XCTestCase {
    func testSqueueLinesAndPendingRanges() {
        let text = """
        41_3|RUNNING
        41_[4-6,9%2]|PENDING
        41_0|COMPLETED
        42|FAILED

        """
        let s = SlurmCommand.parseStates(text)
        XCTAssertEqual(s["41_3"], "RUNNING")
        XCTAssertEqual(s["41_0"], "COMPLETED")
        for k in [4, 5, 6, 9] { XCTAssertEqual(s["41_\(k)"], "PENDING", "41_\(k)") }
        XCTAssertNil(s["41_7"])
        XCTAssertEqual(s["42"], "FAILED")
        XCTAssertEqual(s.count, 7)
    }

    func testSacctStatesKeepTheirFirstWord() {
        let s = SlurmCommand.parseStates("7_1|CANCELLED by 0\n7_2|OUT_OF_MEMORY\n7_[3-4]|PENDING\n")
        XCTAssertEqual(s["7_1"], "CANCELLED")
        XCTAssertEqual(s["7_4"], "PENDING")
        XCTAssertTrue(SlurmCommand.isTerminal("CANCELLED"))
        XCTAssertTrue(SlurmCommand.isTerminal("OUT_OF_MEMORY"))
        XCTAssertFalse(SlurmCommand.isTerminal("PENDING"))
        XCTAssertFalse(SlurmCommand.isTerminal("COMPLETING"))
    }
}

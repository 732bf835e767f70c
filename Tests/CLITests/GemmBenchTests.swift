import Foundation
import XCTest
import _TestSupport

/// `trellis bench gemm --json` prints one well-formed object per shape (format only; no timing asserts).
final class GemmBenchTests: XCTestCase {
    func testJSONLinesPerShape() throws {
        let r = try TestSupport.runTrellis(["bench", "gemm", "--json", "--rows", "1", "--threads", "1", "--rounds", "1",
                                            "--min-seconds", "0", "--no-reference"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, r.stdout)
        var shapes: [[Int]] = []
        for line in lines {
            let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let m = try XCTUnwrap(obj["m"] as? Int), k = try XCTUnwrap(obj["k"] as? Int)
            let n = try XCTUnwrap(obj["n"] as? Int)
            XCTAssertEqual(obj["threads"] as? Int, 1)
            let gflops = try XCTUnwrap(obj["gflops"] as? Double)
            XCTAssertGreaterThan(gflops, 0)
            shapes.append([m, k, n])
        }
        XCTAssertEqual(shapes, [[1, 768, 768], [1, 768, 3072], [1, 3072, 768]])
    }

    func testUnknownOptionIsAnError() throws {
        let r = try TestSupport.runTrellis(["bench", "gemm", "--bogus"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--bogus"), r.stderr)
    }
}

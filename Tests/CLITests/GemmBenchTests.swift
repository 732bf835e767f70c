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

    func testSizesReplaceTheShapeList() throws {
        let r = try TestSupport.runTrellis(["bench", "gemm", "--json", "--rows", "2", "--sizes", "40x24,16x8",
                                            "--threads", "1", "--rounds", "1", "--min-seconds", "0", "--no-reference"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let shapes = try r.stdout.split(separator: "\n").map { line -> [Int] in
            let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return [obj["m"] as? Int ?? -1, obj["k"] as? Int ?? -1, obj["n"] as? Int ?? -1]
        }
        XCTAssertEqual(shapes, [[2, 40, 24], [2, 16, 8]])
        for bad in ["1280", "1280x", "0x5", "ax5", "1280x5120x2"] {
            let e = try TestSupport.runTrellis(["bench", "gemm", "--sizes", bad, "--no-reference"])
            XCTAssertNotEqual(e.status, 0, bad)
            XCTAssertTrue(e.stderr.contains("--sizes") && e.stderr.contains("KxN"), "\(bad): \(e.stderr)")
        }
    }

    func testUnknownOptionIsAnError() throws {
        let r = try TestSupport.runTrellis(["bench", "gemm", "--bogus"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--bogus"), r.stderr)
    }
}

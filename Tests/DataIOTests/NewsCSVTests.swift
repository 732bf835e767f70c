import DataIO
import Foundation
import XCTest
import _TestSupport

/// The real news CSVs in ../shared: clean files read with exact row counts, and the two GossipCop files
/// with a missing record break are reported, not silently read as fewer rows.
final class NewsCSVTests: XCTestCase {
    /// Records per file as counted by Python's csv module (header included): each dataset's test file, and per
    /// shot count (16, 32, 64, 128) its full training, graph and social-context files; a k-shot training file
    /// `<dataset>_train_<k>.csv` holds k records.
    static let pythonCounts: [String: Int] = {
        let shots = [16, 32, 64, 128]
        var counts = ["fang/fang_test.csv": 536, "politifact/politifact_test.csv": 354]
        let perShot: [(file: String, records: [Int])] = [
            ("fang/fang_full_train%d.csv", [553, 569, 601, 665]), ("fang/fang_graph_%d.tsv", [8123, 8691, 9593, 11135]),
            ("fang/fang_socialcontext_train%d.csv", [46843, 48025, 48787, 50550]), ("fang/fang_train_%d.csv", shots),
            ("politifact/politifact_full_train%d.csv", [371, 387, 419, 483]),
            ("politifact/politifact_graph_%d.tsv", [21693, 22803, 26879, 32965]),
            ("politifact/politifact_train_%d.csv", shots), ("gossipcop-train-only/gossipcop_train_%d.csv", [16, 32]),
        ]
        for (file, records) in perShot {
            for (k, n) in zip(shots, records) { counts[String(format: file, k)] = n }
        }
        return counts
    }()

    func testCleanFilesReadWithExactCounts() throws {
        _ = try Fixture.shared("data/news")
        for (name, count) in Self.pythonCounts.sorted(by: { $0.key < $1.key }) {
            let path = try Fixture.shared("data/news/\(name)")
            let hasHeader = name.contains("full_train") || name.contains("socialcontext") || name.hasSuffix(".tsv")
            var options = name.hasSuffix(".tsv") ? CSVOptions.tsv : CSVOptions.csv
            options.hasHeader = hasHeader
            let reader = try CSVReader(path: path, options: options)
            var rows = 0
            try reader.forEach { _ in rows += 1 }
            XCTAssertEqual(rows + (hasHeader ? 1 : 0), count, name)
            if name.contains("train_") || name.hasSuffix("_test.csv") {
                XCTAssertNil(reader.header)
            }
        }
    }

    func testGossipCop64MissingRecordBreak() throws {
        let path = try Fixture.shared("data/news/gossipcop-train-only/gossipcop_train_64.csv")
        let e = expectDataIOError { _ = try CSVReader.readAll(path: path) }
        guard case .syntax(let pos, let expected)? = e else { return XCTFail("wrong case: \(String(describing: e))") }
        XCTAssertEqual(pos.line, 15)
        XCTAssertEqual(expected, "expected ',' or end of record after closing quote, found '1'")
        let problems = try CSVReader.validate(path: path)
        XCTAssertEqual(problems.map { $0.position?.line }, [15, 15])
        XCTAssertEqual(problems.last?.description, "\(path):15: expected 2 fields (as in the first record, line 1), found 3")
    }

    func testGossipCop128MissingRecordBreaks() throws {
        let path = try Fixture.shared("data/news/gossipcop-train-only/gossipcop_train_128.csv")
        let problems = try CSVReader.validate(path: path)
        for p in problems { print("reported: \(p)") }
        XCTAssertEqual(problems.map { $0.position?.line }, [15, 15, 31, 31])
        XCTAssertTrue(problems[0].description.hasSuffix("expected ',' or end of record after closing quote, found '1'"))
        XCTAssertTrue(problems[3].description.hasSuffix("expected 2 fields (as in the first record, line 1), found 3"))
    }
}

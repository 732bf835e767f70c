import DataIO
import Foundation
import XCTest
import _TestSupport

/// The real news CSVs in ../shared: clean files read with exact row counts, and the two GossipCop files
/// with a missing record break are reported, not silently read as fewer rows.
final class NewsCSVTests: XCTestCase {
    /// Records per file as counted by Python's csv module (header included), computed once.
    static let pythonCounts: [String: Int] = [
        "fang/fang_full_train128.csv": 665, "fang/fang_full_train16.csv": 553,
        "fang/fang_full_train32.csv": 569, "fang/fang_full_train64.csv": 601,
        "fang/fang_graph_128.tsv": 11135, "fang/fang_graph_16.tsv": 8123,
        "fang/fang_graph_32.tsv": 8691, "fang/fang_graph_64.tsv": 9593,
        "fang/fang_socialcontext_train128.csv": 50550, "fang/fang_socialcontext_train16.csv": 46843,
        "fang/fang_socialcontext_train32.csv": 48025, "fang/fang_socialcontext_train64.csv": 48787,
        "fang/fang_test.csv": 536, "fang/fang_train_128.csv": 128, "fang/fang_train_16.csv": 16,
        "fang/fang_train_32.csv": 32, "fang/fang_train_64.csv": 64,
        "gossipcop-train-only/gossipcop_train_16.csv": 16, "gossipcop-train-only/gossipcop_train_32.csv": 32,
        "politifact/politifact_full_train128.csv": 483, "politifact/politifact_full_train16.csv": 371,
        "politifact/politifact_full_train32.csv": 387, "politifact/politifact_full_train64.csv": 419,
        "politifact/politifact_graph_128.tsv": 32965, "politifact/politifact_graph_16.tsv": 21693,
        "politifact/politifact_graph_32.tsv": 22803, "politifact/politifact_graph_64.tsv": 26879,
        "politifact/politifact_test.csv": 354, "politifact/politifact_train_128.csv": 128,
        "politifact/politifact_train_16.csv": 16, "politifact/politifact_train_32.csv": 32,
        "politifact/politifact_train_64.csv": 64,
    ]

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

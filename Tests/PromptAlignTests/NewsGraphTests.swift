import _TestSupport
import PromptAlign
import XCTest

final class NewsGraphTests: XCTestCase {
    /// Articles a, b, c, d; threshold 2. Records: u1→a, u1→b, u1→b (a repeated repost), u2→b, u2→c,
    /// u3→c (one record: inactive), x→zzz (not an article: ignored).
    /// Active: u1 (3 records), u2 (2). d has no active user → dummy. B rows: u1 [1,2,0,0], u2 [0,1,1,0],
    /// dummy [0,0,0,1]. A = BᵀB = [[1,2,0,0],[2,5,1,0],[0,1,1,0],[0,0,0,1]], degrees 3, 8, 2, 1.
    func testSmallConstructionByHand() throws {
        var records = EngagementRecords()
        for (n, u) in [("a", "u1"), ("b", "u1"), ("b", "u1"), ("b", "u2"), ("c", "u2"), ("c", "u3"), ("zzz", "x")] {
            records.append(news: n, user: u)
        }
        let g = try NewsGraph.build(articles: ["a", "b", "c", "d"], records: records, minUserRecords: 2)
        let a: [[Float]] = [[1, 2, 0, 0], [2, 5, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]]
        let d: [Float] = [3, 8, 2, 1].map { Float(Foundation.pow(Double($0), -0.5)) }
        let dense = g.adjacency.dense()
        for i in 0..<4 {
            for j in 0..<4 { XCTAssertEqual(dense[i * 4 + j], a[i][j] == 0 ? 0 : (a[i][j] * d[j]) * d[i], "(\(i),\(j))") }
        }
        let s = g.statistics
        XCTAssertEqual(s.nodes, 4)
        XCTAssertEqual(s.edges, 2)            // a–b, b–c
        XCTAssertEqual(s.isolatedNodes, 1)    // d
        XCTAssertEqual(s.storedEntries, 8)
        XCTAssertEqual(s.construction, .init(records: 7, matchedRecords: 6, distinctUsers: 3, activeUsers: 2,
                                             dummyUsers: 1, minUserRecords: 2))
    }

    /// The sparse build equals the dense reference exactly on random inputs with repeats and dummies.
    func testSparseBuildEqualsDenseReference() throws {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<6 {
            let n = [1, 7, 30, 64][trial % 4]
            let articles = (0..<n).map { "n\($0)" }
            var records = EngagementRecords()
            for _ in 0..<(trial * 150 + 5) {
                let news = Int.random(in: 0..<(n + 2), using: &rng) // a few ids that are not articles
                let user = Int.random(in: 0..<(10 + trial * 5), using: &rng)
                records.append(news: "n\(news)", user: "u\(user)")
            }
            let threshold = 1 + trial % 4
            let fast = try NewsGraph.build(articles: articles, records: records, minUserRecords: threshold)
            let reference = NewsGraph.denseReference(articles: articles, records: records, minUserRecords: threshold)
            XCTAssertEqual(fast.adjacency.dense(), reference, "trial \(trial)")
            // A_T's pattern is symmetric and every row holds its diagonal.
            for i in 0..<n { XCTAssertGreaterThan(fast.adjacency[i, i], 0) }
        }
    }

    func testChunkedProductMatchesOnSyntheticRecords() throws {
        let records = SyntheticEngagements.generate(articles: 300, engagements: 20_000, users: 4_000, seed: 7)
        let g = try NewsGraph.build(nodeCount: 300, interned: records, minUserRecords: 5)
        var named = EngagementRecords()
        for r in 0..<records.count {
            named.append(news: "\(records.newsIndex[r])", user: "\(records.userIndex[r])")
        }
        let reference = NewsGraph.denseReference(articles: (0..<300).map(String.init), records: named)
        XCTAssertEqual(TestSupport.maxAbsDiff(g.adjacency.dense(), reference, label: "synthetic 300"), 0)
    }

    func testEdgeListRoundTripAndErrors() throws {
        let dir = try scratchDirectory("news-graph")
        var records = EngagementRecords()
        for (n, u) in [("a", "1"), ("b", "1"), ("c", "2"), ("a", "2")] { records.append(news: n, user: u) }
        let g = try NewsGraph.build(articles: ["a", "b", "c"], records: records, minUserRecords: 1)
        let url = dir.appendingPathComponent("g.tsv")
        try g.writeEdgeList(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("row\tcol\tweight\n0\t0\t"), text)
        let back = try NewsGraph.readEdgeList(url)
        XCTAssertEqual(back.adjacency, g.adjacency)
        XCTAssertEqual(back.statistics.edges, g.statistics.edges)

        func expectError(_ body: String, _ fragment: String, line: UInt = #line) throws {
            let bad = dir.appendingPathComponent("bad.tsv")
            try body.write(to: bad, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try NewsGraph.readEdgeList(bad, nodeCount: 3), line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line)
            }
        }
        try expectError("from\tto\tw\n", "bad.tsv:1")
        try expectError("row\tcol\tweight\n0\t0\t1\n0\t1\n", "bad.tsv:3: expected 3 fields")
        try expectError("row\tcol\tweight\n0\t7\t1\n", "bad.tsv:2: field 2: expected a node index in 0..<3")
        try expectError("row\tcol\tweight\n0\t1\tabc\n", "bad.tsv:2: field 3: expected a finite weight")
        try expectError("row\tcol\tweight\n0\t1\t1\n1\t1\t1\n0\t1\t2\n", "bad.tsv:4: expected each (row, col) once")
    }

    /// A graph given with only one triangle still counts each pair once and finds no isolated node.
    func testStatisticsOfOneSidedEdgeList() throws {
        var duplicate: Int?
        let m = SparseMatrix(rows: 3, columns: 3, entries: [(0, 0, 1), (0, 1, 0.5), (2, 1, 0.25), (1, 2, 0.25)],
                             duplicate: &duplicate)!
        let s = NewsGraph(adjacency: m).statistics
        XCTAssertEqual(s.edges, 2)
        XCTAssertEqual(s.isolatedNodes, 0)
        XCTAssertEqual(s.trace, 1)
    }
}

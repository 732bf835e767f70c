import _TestSupport
import PromptAlign
import XCTest

/// Parity with the P&A authors' data in ../shared/data/news (skipped when absent). Expected figures are
/// from ../shared/reference/prompt-and-align.md §3 and §8 unless marked as numpy: those come from
/// scripts/fixtures/authors_label_only.py, an independent numpy computation of the same formulas
/// (`/work/venv/bin/python scripts/fixtures/authors_label_only.py --shared ../shared`).
final class AuthorsDataTests: XCTestCase {
    struct GraphFacts { var edges, isolated, active, dummies, records, users: Int }
    static let fangFacts: [Int: GraphFacts] = [
        16: GraphFacts(edges: 3785, isolated: 179, active: 697, dummies: 159, records: 46842, users: 34632),
        32: GraphFacts(edges: 4061, isolated: 180, active: 714, dummies: 160, records: 48024, users: 35500),
        64: GraphFacts(edges: 4496, isolated: 184, active: 733, dummies: 165, records: 48786, users: 35984),
        128: GraphFacts(edges: 5235, isolated: 191, active: 764, dummies: 176, records: 50549, users: 37165),
    ]

    /// The FANG graph rebuilt from the raw CSVs equals the authors' graph for every K: bit for bit, and
    /// the written edge list is byte-identical to theirs.
    func testFANGGraphRebuildEqualsAuthors() throws {
        for k in [16, 32, 64, 128] {
            let articles = try NewsReader.readArticleIds(try TestSupport.sharedPath("data/news/fang/fang_full_train\(k).csv").path)
            let records = try EngagementRecords.read(try TestSupport.sharedPath("data/news/fang/fang_socialcontext_train\(k).csv").path)
            let graph = try NewsGraph.build(articles: articles, records: records)
            let shipped = try TestSupport.sharedPath("data/news/fang/fang_graph_\(k).tsv")
            let authors = try NewsGraph.readEdgeList(shipped, nodeCount: articles.count)
            let diff = TestSupport.maxAbsDiff(graph.adjacency.dense(), authors.adjacency.dense(), label: "FANG K=\(k) graph")
            XCTAssertLessThanOrEqual(diff, 1e-6)
            XCTAssertEqual(diff, 0, "bit-exact expected (Float(deg^-½ in Double), then (a·d_j)·d_i in Float)")
            XCTAssertEqual(graph.edgeListData(), try Data(contentsOf: shipped), "K=\(k) edge list bytes")

            let s = graph.statistics, facts = Self.fangFacts[k]!
            XCTAssertEqual(s.nodes, k + 536)
            XCTAssertEqual(s.edges, facts.edges, "K=\(k) edges")
            XCTAssertEqual(s.isolatedNodes, facts.isolated, "K=\(k) isolated")
            XCTAssertEqual(s.construction?.activeUsers, facts.active)
            XCTAssertEqual(s.construction?.dummyUsers, facts.dummies)
            XCTAssertEqual(s.construction?.records, facts.records)
            XCTAssertEqual(s.construction?.matchedRecords, facts.records)
            XCTAssertEqual(s.construction?.distinctUsers, facts.users)
            XCTAssertEqual(authors.statistics.edges, facts.edges)
            if k == 16 {
                XCTAssertEqual(s.storedEntries, 8122)
                XCTAssertEqual(s.trace, 264.5051, accuracy: 5e-5)
                XCTAssertEqual(s.weightSum, 462.2683, accuracy: 5e-5)
            }
        }
    }

    /// Label-only propagation (Y = [train one-hots; 0], Ŷ = A_T(A_T Y), argmax, ties → real) on the
    /// authors' FANG graphs reproduces §8(b): reached nodes, accuracy and macro-F1 (4 dp in the note; the
    /// full values are the numpy computation), and Ŷ of the first test node.
    func testFANGLabelOnlyMatchesNote() throws {
        let expected: [Int: (reached: Int, acc: Double, f1: Double, note: (Double, Double))] = [
            16: (316, 0.6007462686567164, 0.5982797024501632, (0.6007, 0.5983)),
            32: (345, 0.5988805970149254, 0.5971629420668296, (0.5989, 0.5972)),
            64: (355, 0.6026119402985075, 0.5986881650128125, (0.6026, 0.5987)),
            128: (376, 0.6007462686567164, 0.5993181310082718, (0.6007, 0.5993)),
        ]
        let test = try NewsReader.readSplit(try TestSupport.sharedPath("data/news/fang/fang_test.csv").path)
        XCTAssertEqual(test.count, 536)
        for k in [16, 32, 64, 128] {
            let train = try NewsReader.readSplit(try TestSupport.sharedPath("data/news/fang/fang_train_\(k).csv").path)
            let graph = try NewsGraph.readEdgeList(try TestSupport.sharedPath("data/news/fang/fang_graph_\(k).tsv"))
            let r = try Alignment.propagate(graph: graph.adjacency, trainLabels: train.map { $0.label! },
                                            testCount: test.count, testProbabilities: nil)
            let m = try ClassificationMetrics(truth: test.map { $0.label! }, predicted: r.testPredictions)
            let e = expected[k]!
            print("FANG K=\(k) label-only: reached \(r.reached) acc \(m.accuracy) macro-F1 \(m.macroF1)")
            XCTAssertEqual(r.reached, e.reached)
            XCTAssertEqual(m.accuracy, e.acc)
            XCTAssertEqual(m.macroF1, e.f1)
            XCTAssertEqual((m.accuracy * 1e4).rounded() / 1e4, e.note.0)
            XCTAssertEqual((m.macroF1 * 1e4).rounded() / 1e4, e.note.1)
            let first = Array(r.scores[2 * k ..< 2 * k + 2])
            if k == 16 { XCTAssertEqual(first[0], 0.018462, accuracy: 5e-7); XCTAssertEqual(first[1], 0.002013, accuracy: 5e-7) }
            if k == 128 { XCTAssertEqual(first[0], 0.115911, accuracy: 5e-7); XCTAssertEqual(first[1], 0.050981, accuracy: 5e-7) }
        }
    }

    /// PolitiFact has only the prebuilt graphs. The note gives no label-only figures ("about 80%"), so the
    /// expected values are numpy's; the graph statistics are the note's.
    func testPolitiFactLabelOnlyOnPrebuiltGraph() throws {
        let expected: [Int: (edges: Int, isolated: Int, reached: Int, acc: Double, f1: Double)] = [
            16: (10661, 60, 298, 0.7937853107344632, 0.7934143943209344),
            32: (11208, 65, 298, 0.8050847457627118, 0.8048963616757858),
            64: (13230, 64, 302, 0.7937853107344632, 0.7930570570570571),
            128: (16241, 73, 304, 0.8305084745762712, 0.8305030643513789),
        ]
        let test = try NewsReader.readSplit(try TestSupport.sharedPath("data/news/politifact/politifact_test.csv").path)
        XCTAssertEqual(test.count, 354)
        for k in [16, 32, 64, 128] {
            let train = try NewsReader.readSplit(try TestSupport.sharedPath("data/news/politifact/politifact_train_\(k).csv").path)
            let graph = try NewsGraph.readEdgeList(try TestSupport.sharedPath("data/news/politifact/politifact_graph_\(k).tsv"),
                                                   nodeCount: k + test.count)
            let r = try Alignment.propagate(graph: graph.adjacency, trainLabels: train.map { $0.label! },
                                            testCount: test.count, testProbabilities: nil)
            let m = try ClassificationMetrics(truth: test.map { $0.label! }, predicted: r.testPredictions)
            let e = expected[k]!
            print("PolitiFact K=\(k) label-only: reached \(r.reached) acc \(m.accuracy) macro-F1 \(m.macroF1)")
            XCTAssertEqual(graph.statistics.edges, e.edges)
            XCTAssertEqual(graph.statistics.isolatedNodes, e.isolated)
            XCTAssertEqual(r.reached, e.reached)
            XCTAssertEqual(m.accuracy, e.acc)
            XCTAssertEqual(m.macroF1, e.f1)
        }
    }

    /// The two GossipCop files with a missing record break are reported with their line, not read short.
    func testGossipCopDefectIsReportedWithLine() throws {
        for k in [64, 128] {
            let path = try TestSupport.sharedPath("data/news/gossipcop-train-only/gossipcop_train_\(k).csv").path
            XCTAssertThrowsError(try NewsReader.read(path)) { error in
                print("GossipCop K=\(k): \(error)")
                XCTAssertTrue("\(error)".contains("gossipcop_train_\(k).csv:15"), "\(error)")
            }
        }
        let clean = try NewsReader.read(try TestSupport.sharedPath("data/news/gossipcop-train-only/gossipcop_train_32.csv").path)
        XCTAssertEqual(clean.count, 32)
        XCTAssertEqual(clean.filter { $0.label == 1 }.count, 16)
    }
}

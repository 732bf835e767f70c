import PromptAlign
import XCTest

/// The alignment on a 5-node graph whose weights are dyadic, so every step can be done by hand exactly.
///
/// Nodes 0 (train, real) and 1 (train, fake), then test nodes 2, 3, 4 (true labels 0, 1, 1). A_T:
///
///            0     1     2     3     4
///      0   0.5   0     0.5   0     0
///      1   0     0.5   0     0.5   0
///      2   0.5   0     0.25  0     0.25
///      3   0     0.5   0     0.25  0.25
///      4   0     0     0.25  0.25  0.5
final class AlignmentTests: XCTestCase {
    let graph: SparseMatrix = {
        let dense: [[Float]] = [[0.5, 0, 0.5, 0, 0], [0, 0.5, 0, 0.5, 0], [0.5, 0, 0.25, 0, 0.25],
                                [0, 0.5, 0, 0.25, 0.25], [0, 0, 0.25, 0.25, 0.5]]
        var entries: [(row: Int32, column: Int32, value: Float)] = []
        for (i, row) in dense.enumerated() {
            for (j, v) in row.enumerated() where v != 0 { entries.append((Int32(i), Int32(j), v)) }
        }
        var duplicate: Int?
        return SparseMatrix(rows: 5, columns: 5, entries: entries, duplicate: &duplicate)!
    }()
    let train = [0, 1]

    func align(_ p: [SIMD2<Float>]?, steps: Int = 2, percentile: Double = 95) throws -> AlignmentResult {
        try Alignment.propagate(graph: graph, trainLabels: train, testCount: 3, testProbabilities: p,
                                parameters: AlignmentParameters(steps: steps, percentile: percentile))
    }

    func rows(_ flat: [Double]) -> [[Double]] { stride(from: 0, to: flat.count, by: 2).map { [flat[$0], flat[$0 + 1]] } }

    /// p = (0.9, 0.1), (0.4, 0.4), (0.25, 0.25).
    /// S₂ = softmax(0.9, 0.1) = [1/(1+e^-0.8), e^-0.8/(1+e^-0.8)] ≈ [0.68997, 0.31003], margin m ≈ 0.37995;
    /// S₃ = S₄ = [0.5, 0.5] exactly (e⁰ = 1), margins 0.
    /// Sorted margins [0, 0, m]; virtual index (3−1)·0.95 = 1.9, t = 0.9 ≥ 0.5, so numpy's lerp gives
    /// τ = m − (m − 0)·(1 − t) ≈ 0.9·m: only node 2 (S₀−S₁ = m ≥ τ) is hardened to [1, 0].
    /// Y = [1,0] [0,1] [1,0] [.5,.5] [.5,.5]
    /// A·Y   = [1,0] [.25,.75] [.875,.125] [.25,.75] [.625,.375]
    /// A·A·Y = [.9375,.0625] [.25,.75] [.875,.125] [.34375,.65625] [.59375,.40625]
    /// Test predictions 0, 1, 0 against truth 0, 1, 1.
    func testHandComputedExample() throws {
        let p: [SIMD2<Float>] = [SIMD2(0.9, 0.1), SIMD2(0.4, 0.4), SIMD2(0.25, 0.25)]
        let r = try align(p)
        let m = Double(abs(Alignment.softmax(p[0]).x - Alignment.softmax(p[0]).y))
        XCTAssertEqual(m, 0.37995, accuracy: 1e-5)
        let t = 1.9 - 1.0 // (n−1)·q − ⌊(n−1)·q⌋ in Double, = 0.8999999999999999
        XCTAssertEqual(r.threshold, m - (m - 0) * (1 - t))
        // The authors' code (torch 2.13 softmax, np.percentile) gives τ = 0.34195402264595026.
        XCTAssertEqual(r.threshold!, 0.34195402264595026, accuracy: 1e-7)
        print("tau ours \(r.threshold!) torch 0.34195402264595026")
        XCTAssertEqual(r.hardened, 1)
        XCTAssertEqual(rows(r.initial), [[1, 0], [0, 1], [1, 0], [0.5, 0.5], [0.5, 0.5]])
        XCTAssertEqual(rows(r.scores), [[0.9375, 0.0625], [0.25, 0.75], [0.875, 0.125], [0.34375, 0.65625],
                                        [0.59375, 0.40625]])
        XCTAssertEqual(r.testPredictions, [0, 1, 0])
        XCTAssertEqual(r.reached, 3)
        // One step: A·Y test rows [.875,.125] [.25,.75] [.625,.375] → 0, 1, 0.
        let one = try align(p, steps: 1)
        XCTAssertEqual(rows(one.scores)[2...].map { $0 }, [[0.875, 0.125], [0.25, 0.75], [0.625, 0.375]])
        // Zero steps: Ŷ = Y, node 3 and 4 tie at [.5,.5] → class 0 (numpy's first maximum).
        XCTAssertEqual(try align(p, steps: 0).testPredictions, [0, 0, 0])
    }

    /// Label-only (`prompt: none`): test rows of Y are 0.
    /// A·Y   = [.5,0] [0,.5] [.5,0] [0,.5] [0,0]
    /// A·A·Y test rows: [.375, 0] [0, .375] [.125, .125] → 0, 1, and a tie → 0.
    /// With one step node 4 is [0, 0] (unreached) → 0.
    func testLabelOnly() throws {
        let r = try align(nil)
        XCTAssertNil(r.threshold)
        XCTAssertEqual(r.hardened, 0)
        XCTAssertEqual(rows(r.initial), [[1, 0], [0, 1], [0, 0], [0, 0], [0, 0]])
        XCTAssertEqual(rows(r.scores)[2...].map { $0 }, [[0.375, 0], [0, 0.375], [0.125, 0.125]])
        XCTAssertEqual(r.testPredictions, [0, 1, 0])
        XCTAssertEqual(r.reached, 3)
        let one = try align(nil, steps: 1)
        XCTAssertEqual(one.testPredictions, [0, 1, 0])
        XCTAssertEqual(one.reached, 2)
    }

    /// All margins equal and non-zero: p = (0.7,0.2), (0.2,0.7), (0.7,0.2) give the same margin m (the
    /// softmax of swapped inputs is the swapped softmax). τ = lerp(m, m, 0.9) = m − 0·0.1 = m exactly, so
    /// every test node is hardened: [1,0] [0,1] [1,0].
    /// A·Y   = [1,0] [0,1] [1,0] [.25,.75] [.75,.25]
    /// A·A·Y test rows: [.9375,.0625] [.25,.75] [.6875,.3125] → 0, 1, 0.
    func testAllMarginsEqual() throws {
        let p: [SIMD2<Float>] = [SIMD2(0.7, 0.2), SIMD2(0.2, 0.7), SIMD2(0.7, 0.2)]
        let r = try align(p)
        let s = Alignment.softmax(p[0])
        XCTAssertEqual(r.threshold, Double(s.x - s.y))
        XCTAssertEqual(r.threshold!, 0.24491867423057556, accuracy: 1e-7) // the authors' code under torch
        XCTAssertEqual(r.hardened, 3)
        XCTAssertEqual(rows(r.initial)[2...].map { $0 }, [[1, 0], [0, 1], [1, 0]])
        XCTAssertEqual(rows(r.scores)[2...].map { $0 }, [[0.9375, 0.0625], [0.25, 0.75], [0.6875, 0.3125]])
        XCTAssertEqual(r.testPredictions, [0, 1, 0])
    }

    /// All margins 0: τ = 0 and the two sequential checks make every test node [1, 0] (S₀−S₁ = 0 ≥ 0
    /// first; then S₁−S₀ = −1 ≥ 0 fails).
    /// A·Y   = [1,0] [.5,.5] [1,0] [.5,.5] [1,0];  A·A·Y node 3 = .5·[.5,.5] + .25·[.5,.5] + .25·[1,0]
    /// = [.625, .375] → every prediction is 0.
    func testAllMarginsZero() throws {
        let p: [SIMD2<Float>] = [SIMD2(0.3, 0.3), SIMD2(0.5, 0.5), SIMD2(0.1, 0.1)]
        let r = try align(p)
        XCTAssertEqual(r.threshold, 0)
        XCTAssertEqual(r.hardened, 3)
        XCTAssertEqual(rows(r.initial)[2...].map { $0 }, [[1, 0], [1, 0], [1, 0]])
        XCTAssertEqual(rows(r.scores)[3], [0.625, 0.375])
        XCTAssertEqual(r.testPredictions, [0, 0, 0])
    }

    /// Ties at the threshold: margins [0, m, m] (sorted) give τ = lerp(m, m, 0.9) = m, and both nodes at m
    /// are hardened (≥): node 3 → [0,1], node 4 → [1,0]; node 2 keeps [.5,.5].
    /// A·Y   = [.75,.25] [0,1] [.875,.125] [.25,.75] [.625,.375]
    /// A·A·Y test rows: .5·[.75,.25] + .25·[.875,.125] + .25·[.625,.375] = [.75,.25];
    /// .5·[0,1] + .25·[.25,.75] + .25·[.625,.375] = [.21875,.78125];
    /// .25·[.875,.125] + .25·[.25,.75] + .5·[.625,.375] = [.59375,.40625] → 0, 1, 0.
    func testTiesAtThreshold() throws {
        let p: [SIMD2<Float>] = [SIMD2(0.3, 0.3), SIMD2(0.2, 0.7), SIMD2(0.7, 0.2)]
        let r = try align(p)
        let s = Alignment.softmax(p[2])
        XCTAssertEqual(r.threshold, Double(s.x - s.y))
        XCTAssertEqual(r.hardened, 2)
        XCTAssertEqual(rows(r.initial)[2...].map { $0 }, [[0.5, 0.5], [0, 1], [1, 0]])
        XCTAssertEqual(rows(r.scores)[2...].map { $0 }, [[0.75, 0.25], [0.21875, 0.78125], [0.59375, 0.40625]])
        XCTAssertEqual(r.testPredictions, [0, 1, 0])
    }

    func testMismatchedSizesAreErrors() {
        XCTAssertThrowsError(try Alignment.propagate(graph: graph, trainLabels: train, testCount: 2,
                                                     testProbabilities: nil)) { error in
            XCTAssertTrue("\(error)".contains("5 nodes"), "\(error)")
        }
        XCTAssertThrowsError(try align([SIMD2(0.5, 0.5)]))
        XCTAssertThrowsError(try align(nil, steps: -1))
        XCTAssertThrowsError(try align(nil, percentile: 101))
    }
}

import Foundation

/// Parameters of the confidence-informed alignment.
public struct AlignmentParameters: Equatable, Sendable {
    /// Propagation steps: Ŷ = A_T^steps · Y (the authors use 2).
    public var steps: Int
    /// Margin percentile above which test predictions are hardened into one-hots (the authors use 95).
    public var percentile: Double

    /// The authors' settings: 2 steps, 95th percentile.
    public init(steps: Int = 2, percentile: Double = 95) {
        self.steps = steps
        self.percentile = percentile
    }

    func validate() throws {
        guard steps >= 0 else {
            throw PromptAlignError.invalidParameter(name: "steps", value: String(steps), expected: "an integer ≥ 0")
        }
        guard percentile >= 0 && percentile <= 100 else {
            throw PromptAlignError.invalidParameter(name: "percentile", value: String(percentile),
                                                    expected: "a number in 0...100")
        }
    }
}

/// What alignment produced for one set of test articles.
public struct AlignmentResult: Sendable {
    /// The margin threshold τ (nil for the label-only baseline).
    public var threshold: Double?
    /// Test nodes hardened into one-hots.
    public var hardened: Int
    /// Y before propagation, train rows then test rows. // [N, 2]
    public var initial: [Double]
    /// Ŷ after propagation. // [N, 2]
    public var scores: [Double]
    /// argmax of Ŷ for every test node (ties go to class 0, numpy's first-maximum rule).
    public var testPredictions: [Int]
    /// Test nodes whose Ŷ row is not all zero.
    public var reached: Int
}

/// Prompt-and-Align's confidence-informed alignment (`prompt_and_align.py` L166–222), training-free.
public enum Alignment {
    /// The test rows of Y from the label-word probabilities p = (q(news), q(rumor)), as the authors do:
    /// S = softmax(p) in `Float` (a softmax of probabilities), margins d = |S₀ − S₁|, τ = numpy's linear
    /// percentile of d in `Double`; then with τ rounded to `Float` (torch compares a float32 tensor with a
    /// Python float in float32), a row with S₀ − S₁ ≥ τ becomes [1, 0], and then a row with S₁ − S₀ ≥ τ
    /// becomes [0, 1] (two sequential checks, so τ = 0 with equal S makes [1, 0]).
    public static func confidenceRows(probabilities p: [SIMD2<Float>], percentile: Double)
        -> (rows: [SIMD2<Float>], threshold: Double, hardened: Int)
    {
        guard !p.isEmpty else { return ([], 0, 0) }
        var s = p.map(softmax)
        let margins = s.map { Double(abs($0.x - $0.y)) }
        let tau = Percentile.linear(margins, percentile)
        let tau32 = Float(tau)
        var hardened = 0
        for i in s.indices {
            var changed = false
            if s[i].x - s[i].y >= tau32 { s[i] = SIMD2(1, 0); changed = true }
            if s[i].y - s[i].x >= tau32 { s[i] = SIMD2(0, 1); changed = true }
            if changed { hardened += 1 }
        }
        return (s, tau, hardened)
    }

    /// Softmax of two values in `Float`: exp(x − max) / Σ exp(x − max).
    public static func softmax(_ v: SIMD2<Float>) -> SIMD2<Float> {
        let m = max(v.x, v.y)
        let e0 = Foundation.exp(v.x - m), e1 = Foundation.exp(v.y - m)
        let sum = e0 + e1
        return SIMD2(e0 / sum, e1 / sum)
    }

    /// Aligns over `graph` (nodes: the train articles, then the test articles): Y holds one-hots of
    /// `trainLabels` (0 = real, 1 = fake) for the train nodes and, for the test nodes, the hardened
    /// softmax rows of `testProbabilities` — or zeros when it is nil (the label-only baseline,
    /// `prompt: none`). Ŷ = A_T(…(A_T Y)) over `steps` steps, accumulated in `Double`; the prediction is
    /// the argmax of each test row of Ŷ.
    public static func propagate(graph: SparseMatrix, trainLabels: [Int], testCount: Int,
                                 testProbabilities: [SIMD2<Float>]?,
                                 parameters: AlignmentParameters = AlignmentParameters()) throws -> AlignmentResult {
        try parameters.validate()
        let k = trainLabels.count
        guard graph.rows == k + testCount else {
            throw PromptAlignError.mismatch(what: "graph size",
                                            expected: "\(k + testCount) nodes (\(k) train + \(testCount) test articles)",
                                            found: "\(graph.rows) nodes")
        }
        if let p = testProbabilities, p.count != testCount {
            throw PromptAlignError.mismatch(what: "prompt predictions", expected: "\(testCount) rows (one per test article)",
                                            found: "\(p.count) rows")
        }
        var y = [Double](repeating: 0, count: graph.rows * 2) // [N, 2]
        for (i, label) in trainLabels.enumerated() {
            guard label == 0 || label == 1 else {
                throw PromptAlignError.invalidParameter(name: "train label", value: String(label), expected: "0 or 1")
            }
            y[2 * i + label] = 1
        }
        var threshold: Double?
        var hardened = 0
        if let p = testProbabilities {
            let c = confidenceRows(probabilities: p, percentile: parameters.percentile)
            threshold = c.threshold
            hardened = c.hardened
            for (i, row) in c.rows.enumerated() {
                y[2 * (k + i)] = Double(row.x)
                y[2 * (k + i) + 1] = Double(row.y)
            }
        }
        var scores = y
        for _ in 0..<parameters.steps { scores = graph.multiply(scores, width: 2) }
        var predictions = [Int](repeating: 0, count: testCount)
        var reached = 0
        for i in 0..<testCount {
            let a = scores[2 * (k + i)], b = scores[2 * (k + i) + 1]
            predictions[i] = b > a ? 1 : 0
            if a != 0 || b != 0 { reached += 1 }
        }
        return AlignmentResult(threshold: threshold, hardened: hardened, initial: y, scores: scores,
                               testPredictions: predictions, reached: reached)
    }
}

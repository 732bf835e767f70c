import Foundation
import Formats

/// The JSON written by `trellis align` (and the `align.propagate` stage): settings, headline metrics and
/// one entry per test article.
public struct AlignmentReport: Codable, Equatable, Sendable {
    /// One test article's outcome.
    public struct Article: Codable, Equatable, Sendable {
        /// 0-based row in the test file.
        public var index: Int
        /// True label, when known.
        public var label: Int?
        /// argmax of Ŷ.
        public var predicted: Int
        /// The article's row of Ŷ: [real, fake].
        public var scores: [Double]
    }

    /// `label-only` (no prompt predictions, `prompt: none`) or `prompt`.
    public var mode: String
    public var steps: Int
    public var percentile: Double
    /// τ, absent for label-only.
    public var threshold: Double?
    public var hardened: Int
    /// Test articles with a non-zero row of Ŷ.
    public var reached: Int
    public var trainCount: Int
    public var testCount: Int
    /// Headline figures (nil when the test file has no labels).
    public var accuracy: Double?
    public var macroF1: Double?
    public var metrics: ClassificationMetrics?
    public var articles: [Article]

    enum CodingKeys: String, CodingKey {
        case mode, steps, percentile, threshold, hardened, reached, trainCount = "train_count"
        case testCount = "test_count", accuracy, macroF1 = "macro_f1", metrics, articles
    }

    /// Assembles the report of `result`; `testLabels` may be nil or hold nil entries for unlabelled articles
    /// (metrics are then omitted).
    public init(result: AlignmentResult, parameters: AlignmentParameters, trainCount: Int,
                testLabels: [Int?], prompted: Bool) throws {
        mode = prompted ? "prompt" : "label-only"
        steps = parameters.steps
        percentile = parameters.percentile
        threshold = result.threshold
        hardened = result.hardened
        reached = result.reached
        self.trainCount = trainCount
        testCount = result.testPredictions.count
        articles = result.testPredictions.enumerated().map { i, p in
            let row = 2 * (trainCount + i)
            return Article(index: i, label: i < testLabels.count ? testLabels[i] : nil, predicted: p,
                           scores: [result.scores[row], result.scores[row + 1]])
        }
        let truth = testLabels.compactMap { $0 }
        if truth.count == testCount && testCount > 0 {
            let m = try ClassificationMetrics(truth: truth, predicted: result.testPredictions)
            metrics = m
            accuracy = m.accuracy
            macroF1 = m.macroF1
        }
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        Data(try JSONEncoding.bytes(self, pretty: true))
    }

    /// Writes the JSON to `url` atomically.
    public func write(to url: URL) throws {
        try writeAtomically(try jsonData(), to: url)
    }
}

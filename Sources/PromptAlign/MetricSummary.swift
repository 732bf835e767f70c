import Foundation
import Formats

/// Mean and spread of one metric over repeated runs.
public struct Spread: Codable, Equatable, Sendable {
    /// Σx / n, summed left to right: the authors' `sum(test_accs) / iterations`, so it reproduces the
    /// means written in their logs digit for digit.
    public var mean: Double
    /// Population standard deviation (ddof 0, numpy's `np.std` default).
    public var std: Double
    /// Sample standard deviation (ddof 1); 0 for a single run.
    public var stdSample: Double
    public var min: Double
    public var max: Double

    enum CodingKeys: String, CodingKey { case mean, std, stdSample = "std_sample", min, max }

    /// The spread of `values` (non-empty).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "spread of no values")
        let n = Double(values.count)
        let m = values.reduce(0, +) / n
        mean = m
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        std = (squares / n).squareRoot()
        stdSample = values.count > 1 ? (squares / (n - 1)).squareRoot() : 0
        min = values.min()!
        max = values.max()!
    }
}

/// Metrics over N runs (distinct seeds): the spread of each headline figure and the runs themselves.
public struct MetricSummary: Codable, Equatable, Sendable {
    public var runs: Int
    public var accuracy: Spread
    public var macroPrecision: Spread
    public var macroRecall: Spread
    public var macroF1: Spread
    /// Each run's metrics, in run order.
    public var perRun: [ClassificationMetrics]
    /// K, the number of labelled train articles of the runs, when known.
    public var trainCount: Int?

    enum CodingKeys: String, CodingKey {
        case runs, accuracy, macroPrecision = "macro_precision", macroRecall = "macro_recall"
        case macroF1 = "macro_f1", perRun = "per_run", trainCount = "train_count"
    }

    /// Summarises `runs` (non-empty).
    public init(_ runs: [ClassificationMetrics]) throws {
        guard !runs.isEmpty else {
            throw PromptAlignError.mismatch(what: "metric summary", expected: "at least one run", found: "none")
        }
        self.runs = runs.count
        accuracy = Spread(runs.map(\.accuracy))
        macroPrecision = Spread(runs.map(\.macroPrecision))
        macroRecall = Spread(runs.map(\.macroRecall))
        macroF1 = Spread(runs.map(\.macroF1))
        perRun = runs
    }

    /// Pretty-printed JSON with sorted keys.
    public func jsonData() throws -> Data {
        Data(try JSONEncoding.bytes(self, pretty: true))
    }

    /// A readable table, one line per metric: mean ± population std (sample std), min–max, in percent.
    public func table() -> String {
        func pct(_ x: Double) -> String { String(format: "%6.2f", 100 * x) }
        var lines = ["metric      mean ± std (pop)   std (sample)   min – max        (\(runs) runs, ×100)"]
        for (name, s) in [("accuracy", accuracy), ("macro-P", macroPrecision), ("macro-R", macroRecall),
                          ("macro-F1", macroF1)] {
            lines.append(name.padding(toLength: 10, withPad: " ", startingAt: 0)
                         + "\(pct(s.mean)) ± \(pct(s.std))    \(pct(s.stdSample))         \(pct(s.min)) – \(pct(s.max))")
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation

/// Classification metrics of one run, with scikit-learn's definitions as the authors used them
/// (`accuracy_score`, `precision_recall_fscore_support(average='macro')`, scikit-learn ≤ 1.2):
/// the classes are the sorted union of true and predicted labels; precision tp/(tp+fp) and recall
/// tp/(tp+fn) are 0 when their denominator is 0 (`zero_division='warn'` behaves as 0); F1 = 2·P·R/(P+R),
/// 0 when P+R = 0; macro figures are the unweighted means over classes.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    /// Figures for one class.
    public struct PerClass: Codable, Equatable, Sendable {
        public var label: Int
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Number of true instances.
        public var support: Int
    }

    public var accuracy: Double
    public var macroPrecision: Double
    public var macroRecall: Double
    public var macroF1: Double
    public var perClass: [PerClass]
    /// The class labels, in the order of `perClass` and of the confusion matrix axes.
    public var labels: [Int]
    /// confusion[i][j]: articles of true class labels[i] predicted as labels[j].
    public var confusion: [[Int]]
    /// Number of articles.
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case accuracy, macroPrecision = "macro_precision", macroRecall = "macro_recall", macroF1 = "macro_f1"
        case perClass = "per_class", labels, confusion, count
    }

    /// Computes the metrics; `truth` and `predicted` must have the same non-zero length.
    public init(truth: [Int], predicted: [Int]) throws {
        guard truth.count == predicted.count, !truth.isEmpty else {
            throw PromptAlignError.mismatch(what: "metrics input", expected: "as many predictions as labels (> 0)",
                                            found: "\(predicted.count) predictions for \(truth.count) labels")
        }
        let labels = Array(Set(truth).union(predicted)).sorted()
        let slot = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        var correct = 0
        for (t, p) in zip(truth, predicted) {
            confusion[slot[t]!][slot[p]!] += 1
            if t == p { correct += 1 }
        }
        func divide(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
        var perClass: [PerClass] = []
        for (i, label) in labels.enumerated() {
            let tp = confusion[i][i]
            let predictedCount = labels.indices.reduce(0) { $0 + confusion[$1][i] }
            let support = confusion[i].reduce(0, +)
            let p = divide(tp, predictedCount), r = divide(tp, support)
            let denominator = p + r
            let f = 2 * p * r / (denominator == 0 ? 1 : denominator)
            perClass.append(PerClass(label: label, precision: p, recall: r, f1: f, support: support))
        }
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        self.accuracy = Double(correct) / Double(truth.count)
        self.macroPrecision = mean(perClass.map(\.precision))
        self.macroRecall = mean(perClass.map(\.recall))
        self.macroF1 = mean(perClass.map(\.f1))
        self.perClass = perClass
        self.labels = labels
        self.confusion = confusion
        self.count = truth.count
    }

    /// A readable table: the headline figures, then one line per class, then the confusion matrix.
    public func table(classNames: [Int: String] = [0: "real", 1: "fake"]) -> String {
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        func name(_ l: Int) -> String { classNames[l].map { "\(l) \($0)" } ?? String(l) }
        var lines = ["accuracy \(f(accuracy))  macro-P \(f(macroPrecision))  macro-R \(f(macroRecall))  macro-F1 \(f(macroF1))  (n = \(count))",
                     "class     precision  recall  f1      support"]
        for c in perClass {
            lines.append(name(c.label).padding(toLength: 10, withPad: " ", startingAt: 0)
                         + "\(f(c.precision))     \(f(c.recall))  \(f(c.f1))  \(c.support)")
        }
        lines.append("confusion (rows true, columns predicted): " + confusion.map { "\($0)" }.joined(separator: " "))
        return lines.joined(separator: "\n")
    }
}

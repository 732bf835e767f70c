import Foundation

/// The figures of a few-shot experiment: label-only baseline, prompt-only and P&A, mean ± std over runs,
/// and time per run.
public struct FewShotSummary: Codable, Sendable {
    public var model: String
    public var mode: String
    public var trainCount: Int
    public var runs: Int
    public var labelOnly: ClassificationMetrics?
    public var promptOnly: MetricSummary
    public var aligned: MetricSummary?
    public var secondsPerRun: Spread
    public var fineTuneSeconds: Spread
    public var scoreSeconds: Spread

    enum CodingKeys: String, CodingKey {
        case model, mode, trainCount = "train_count", runs, labelOnly = "label_only", promptOnly = "prompt_only", aligned
        case secondsPerRun = "seconds_per_run", fineTuneSeconds = "fine_tune_seconds", scoreSeconds = "score_seconds"
    }

    public init(runs: [FewShotRun], labelOnly: ClassificationMetrics?, trainCount: Int, mode: PromptMode, model: String) throws {
        self.model = model
        self.mode = mode.rawValue
        self.trainCount = trainCount
        self.runs = runs.count
        self.labelOnly = labelOnly
        promptOnly = try MetricSummary(runs.map(\.promptOnly))
        let alignedRuns = runs.compactMap(\.aligned)
        aligned = alignedRuns.count == runs.count ? try MetricSummary(alignedRuns) : nil
        secondsPerRun = Spread(runs.map { $0.fineTuneSeconds + $0.scoreSeconds })
        fineTuneSeconds = Spread(runs.map(\.fineTuneSeconds))
        scoreSeconds = Spread(runs.map(\.scoreSeconds))
    }

    /// A readable table (percentages, mean ± population std).
    public func table() -> String {
        func pm(_ s: Spread) -> String { String(format: "%6.2f ± %5.2f", 100 * s.mean, 100 * s.std) }
        var out = "K = \(trainCount), \(runs) run(s), mode \(mode), model \(model)\n"
        out += "method        accuracy          macro-F1\n"
        if let l = labelOnly { out += String(format: "label-only    %6.2f            %6.2f\n", 100 * l.accuracy, 100 * l.macroF1) }
        out += "prompt-only   \(pm(promptOnly.accuracy))   \(pm(promptOnly.macroF1))\n"
        if let a = aligned { out += "P&A           \(pm(a.accuracy))   \(pm(a.macroF1))\n" }
        out += String(format: "time per run  %.1f s (fine-tune %.1f s, score %.1f s)\n", secondsPerRun.mean, fineTuneSeconds.mean,
                      scoreSeconds.mean)
        return out
    }
}

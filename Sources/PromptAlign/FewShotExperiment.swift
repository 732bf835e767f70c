import Foundation
import Transformers

/// One fine-tuning run of a few-shot experiment: the loss curve, the prompt's own test metrics (argmax of
/// the two label-word probabilities, before alignment) and the metrics after alignment.
public struct FewShotRun: Codable, Sendable {
    public var run: Int
    public var seed: UInt64
    public var fineTuneSeconds: Double
    public var scoreSeconds: Double
    public var steps: [FineTuneStep]
    public var promptOnly: ClassificationMetrics
    public var aligned: ClassificationMetrics?
    /// [p(real word), p(fake word)] per test article.
    public var probabilities: [[Float]]

    enum CodingKeys: String, CodingKey {
        case run, seed, fineTuneSeconds = "fine_tune_seconds", scoreSeconds = "score_seconds", steps
        case promptOnly = "prompt_only", aligned, probabilities
    }
}

/// The authors' experiment: N runs of fine-tune → score → align on one K-shot split, each run starting
/// again from the pretrained checkpoint with its own seed (run r uses `seed + r`; the authors seed
/// torch once and let runs share one stream, which cannot be replayed outside torch).
public struct FewShotExperiment {
    public var model: URL
    public var format: PromptFormat
    public var settings: FineTuneSettings
    public var alignment: AlignmentParameters
    public var scoreBatchSize: Int
    /// Where head-completed copies and per-run checkpoints are written.
    public var workDirectory: URL
    /// Keep each run's fine-tuned checkpoint (run-N/ in `workDirectory`) instead of deleting it after scoring.
    public var keepCheckpoints: Bool

    public init(model: URL, format: PromptFormat = PromptFormat(), settings: FineTuneSettings = FineTuneSettings(),
                alignment: AlignmentParameters = AlignmentParameters(), scoreBatchSize: Int = 8, workDirectory: URL,
                keepCheckpoints: Bool = false) {
        self.model = model
        self.format = format
        self.settings = settings
        self.alignment = alignment
        self.scoreBatchSize = scoreBatchSize
        self.workDirectory = workDirectory
        self.keepCheckpoints = keepCheckpoints
    }

    /// Runs `runs` runs (numbered from `firstRun`); `graph` nil skips the alignment. `log` gets progress
    /// lines, `onRun` each finished run.
    public func run(train: [NewsArticle], test: [NewsArticle], graph: SparseMatrix?, runs: Int, firstRun: Int = 0,
                    log: (String) -> Void = { _ in }, onRun: (FewShotRun) throws -> Void = { _ in }) throws -> [FewShotRun] {
        let labels = try train.enumerated().map { i, a -> Int in
            guard let l = a.label else { throw PromptAlignError.mismatch(what: "train article \(i + 1)", expected: "a label", found: "none") }
            return l
        }
        let truth = try test.enumerated().map { i, a -> Int in
            guard let l = a.label else { throw PromptAlignError.mismatch(what: "test article \(i + 1)", expected: "a label (for the metrics)", found: "none") }
            return l
        }
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let prepared = try MaskedLMHeadCompletion.prepare(modelDirectory: model, workDirectory: workDirectory)
        if let w = prepared.warning { log(w) }
        let base = try PromptScorer(modelDirectory: prepared.directory, format: format, mode: settings.mode)
        let encoder = base.encoder
        let trainInputs = try encoder.encode(train.map(\.text))
        let testInputs = try encoder.encode(test.map(\.text))
        log("\(train.count) train, \(test.count) test prompts; label ids \(encoder.labelIds); "
            + "\(settings.epochs(forK: train.count)) epochs, schedule over \(settings.scheduleSteps(trainCount: train.count)) steps, mode \(settings.mode.rawValue)")
        var out: [FewShotRun] = []
        for r in firstRun..<(firstRun + runs) {
            var s = settings
            s.seed = settings.seed &+ UInt64(r)
            let t0 = Date()
            let model = try PromptCheckpoint.loadTrainable(prepared.directory, seed: s.seed)
            let steps = try PromptFineTuner.train(model, inputs: trainInputs, labels: labels, labelIds: encoder.labelIds,
                                                  maxLength: format.maxLength, settings: s) { step in
                log(String(format: "run %d epoch %d step %d lr %.3g loss %.6f train acc %.3f", r, step.epoch, step.step,
                           step.learningRate, step.loss, step.accuracy))
            }
            let checkpoint = workDirectory.appendingPathComponent("run-\(r)")
            try PromptCheckpoint.save(model, to: checkpoint, tokenizerFrom: prepared.directory)
            let t1 = Date()
            let scorer = try PromptScorer(modelDirectory: checkpoint, format: format, mode: settings.mode)
            let p = try scorer.probabilities(testInputs, batchSize: scoreBatchSize)
            let t2 = Date()
            if !keepCheckpoints { try? FileManager.default.removeItem(at: checkpoint) }
            let promptOnly = try ClassificationMetrics(truth: truth, predicted: p.map { $0.y > $0.x ? 1 : 0 })
            var aligned: ClassificationMetrics?
            if let graph {
                let result = try Alignment.propagate(graph: graph, trainLabels: labels, testCount: test.count,
                                                     testProbabilities: p, parameters: alignment)
                aligned = try ClassificationMetrics(truth: truth, predicted: result.testPredictions)
            }
            let run = FewShotRun(run: r, seed: s.seed, fineTuneSeconds: t1.timeIntervalSince(t0), scoreSeconds: t2.timeIntervalSince(t1),
                                 steps: steps, promptOnly: promptOnly, aligned: aligned, probabilities: p.map { [$0.x, $0.y] })
            log(String(format: "run %d: prompt-only acc %.4f F1 %.4f", r, promptOnly.accuracy, promptOnly.macroF1)
                + (aligned.map { String(format: ", P&A acc %.4f F1 %.4f", $0.accuracy, $0.macroF1) } ?? "")
                + String(format: " (fine-tune %.1f s, score %.1f s)", run.fineTuneSeconds, run.scoreSeconds))
            try onRun(run)
            out.append(run)
        }
        return out
    }
}

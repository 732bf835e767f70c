import Foundation
import Transformers

/// The authors' few-shot protocol: AdamW (transformers' legacy form, lr 5e-5, ε 1e-6, no weight decay),
/// batch 16 drawn in a fresh shuffled order each epoch, linear decay to 0 without warm-up, 3 epochs for
/// K ≤ 32 and 5 above, BCE on the two label-word probabilities, all parameters trained (the tied head
/// included), dropout as configured, the model after the last epoch kept.
public struct FineTuneSettings: Sendable, Equatable {
    public var mode: PromptMode
    public var learningRate: Float
    public var batchSize: Int
    /// nil: 3 for K ≤ 32, 5 above (the authors' run.sh).
    public var epochs: Int?
    /// Dropout probability while training (BERT's hidden_dropout_prob, 0.1, in the authors' runs).
    public var dropout: Float
    /// Seed of the shuffling and dropout streams.
    public var seed: UInt64

    public init(mode: PromptMode = .reference, learningRate: Float = 5e-5, batchSize: Int = 16, epochs: Int? = nil,
                dropout: Float = 0.1, seed: UInt64 = 0) {
        self.mode = mode
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.epochs = epochs
        self.dropout = dropout
        self.seed = seed
    }

    /// Epochs for `k` training articles.
    public func epochs(forK k: Int) -> Int { epochs ?? (k <= 32 ? 3 : 5) }

    /// Optimiser steps the schedule decays over. `reference` keeps the authors' quirk: with exactly 16
    /// training articles the schedule is sized for 5 batches per epoch (15 steps over 3 epochs), so the
    /// 3 steps actually run use 15/15, 14/15 and 13/15 of the peak rate.
    public func scheduleSteps(trainCount k: Int) -> Int {
        let perEpoch = (k + batchSize - 1) / batchSize, e = epochs(forK: k)
        if mode == .reference && k == 16 { return 5 * e }
        return perEpoch * e
    }
}

/// One optimiser step of a fine-tuning run.
public struct FineTuneStep: Sendable, Codable, Equatable {
    public var epoch: Int
    public var step: Int
    public var learningRate: Float
    public var loss: Double
    /// Train accuracy of the batch (argmax of the two probabilities).
    public var accuracy: Double
}

/// Fine-tunes a masked LM on prompts with the authors' loop.
public enum PromptFineTuner {
    /// Trains `model` (a BERT or RoBERTa masked LM) in place on `inputs` with `labels` (0 real, 1 fake),
    /// padding with the model's own pad token. `order`, when given, fixes the item order of each epoch (to
    /// replay another implementation's shuffles); otherwise each epoch is a Fisher–Yates shuffle from
    /// `settings.seed`.
    @discardableResult
    public static func train(_ model: EncoderTrainingModel, inputs: [PromptInput], labels: [Int], labelIds: [Int],
                             maxLength: Int, settings: FineTuneSettings, order: [[Int]]? = nil,
                             onStep: (FineTuneStep) -> Void = { _ in }) throws -> [FineTuneStep] {
        guard inputs.count == labels.count, !inputs.isEmpty else {
            throw PromptAlignError.mismatch(what: "fine-tuning data", expected: "one label per article, at least one article",
                                            found: "\(inputs.count) articles, \(labels.count) labels")
        }
        try checkSizes(model, maxLength: maxLength, batchSize: settings.batchSize)
        let epochs = order?.count ?? settings.epochs(forK: inputs.count)
        let schedule = LinearSchedule(peak: settings.learningRate, warmup: 0, total: settings.scheduleSteps(trainCount: inputs.count))
        let optimizer = LegacyAdamW(count: model.parameters.count)
        model.dropout = settings.dropout
        var rng = SeededRandom(seed: settings.seed)
        var log: [FineTuneStep] = []
        for epoch in 0..<epochs {
            var perm = Array(inputs.indices)
            if let order { perm = order[epoch] } else { shuffle(&perm, &rng) }
            var start = 0
            while start < perm.count {
                let idx = Array(perm[start..<min(perm.count, start + settings.batchSize)])
                start += idx.count
                let batch = PromptBatch(idx.map { inputs[$0] }, mode: settings.mode, maxLength: maxLength, padId: Int(model.padTokenId))
                let tb = try trainingBatch(batch, count: idx.count, model: model)
                let y = idx.map { labels[$0] }
                let lr = schedule.lr(at: log.count)
                model.parameters.zeroGradients()
                var correct = 0
                let loss = model.trainStep(tb) { logits, rows, vocab, dlogits in
                    for r in 0..<rows {
                        let p = LabelWordScore.probabilities(logits + r * vocab, vocabulary: vocab, labelIds: labelIds, mode: settings.mode)
                        if (p.y > p.x ? 1 : 0) == y[r] { correct += 1 }
                    }
                    return LabelWordScore.bceLoss(logits: logits, rows: rows, vocabulary: vocab, labels: y, labelIds: labelIds,
                                                  mode: settings.mode, dlogits: dlogits)
                }
                optimizer.update(model.parameters, lr: lr)
                let step = FineTuneStep(epoch: epoch, step: log.count, learningRate: lr, loss: loss,
                                        accuracy: Double(correct) / Double(idx.count))
                log.append(step)
                onStep(step)
            }
        }
        return log
    }

    /// [p(real word), p(fake word)] of each prompt from the training model itself (dropout off).
    public static func probabilities(_ model: EncoderTrainingModel, inputs: [PromptInput], labelIds: [Int], maxLength: Int,
                                     mode: PromptMode, batchSize: Int = 8) throws -> [SIMD2<Float>] {
        try checkSizes(model, maxLength: maxLength, batchSize: batchSize)
        var out: [SIMD2<Float>] = []
        var start = 0
        while start < inputs.count {
            let chunk = Array(inputs[start..<min(inputs.count, start + batchSize)])
            start += chunk.count
            let batch = PromptBatch(chunk, mode: mode, maxLength: maxLength, padId: Int(model.padTokenId))
            let logits = model.forward(try trainingBatch(batch, count: chunk.count, model: model), training: false)
            let v = model.vocabularySize
            logits.withUnsafeBufferPointer { lp in
                for r in 0..<chunk.count {
                    out.append(LabelWordScore.probabilities(lp.baseAddress! + r * v, vocabulary: v, labelIds: labelIds, mode: mode))
                }
            }
        }
        return out
    }

    /// The training-side batch: the model's own position ids (BERT 0…T−1, RoBERTa counted from its padding
    /// token), bidirectional attention over each item's attended length.
    static func trainingBatch(_ b: PromptBatch, count: Int, model: EncoderTrainingModel) throws -> TrainingBatch {
        let positions = model.positionIds(b.ids, batch: count, length: b.length)
        if let top = positions.max(), Int(top) >= model.maxPositions {
            throw PromptAlignError.invalidParameter(name: "max_length", value: "\(b.length) (position ids up to \(top))",
                                                    expected: "prompts that fit the model's \(model.maxPositions) position embeddings")
        }
        return TrainingBatch(batch: count, length: b.length, ids: b.ids, positions: positions,
                             mask: TrainingMask(lengths: b.lengths, prefixes: b.lengths),
                             selected: b.selectedRows, targets: [Int32](repeating: 0, count: count))
    }

    /// Fisher–Yates with a seeded stream (the same order on every platform).
    static func shuffle(_ a: inout [Int], _ rng: inout SeededRandom) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }

    /// Batches are padded to `maxLength` in reference mode: it must fit the model's positions, and a batch must
    /// hold at least one prompt.
    static func checkSizes(_ model: EncoderTrainingModel, maxLength: Int, batchSize: Int) throws {
        guard maxLength <= model.maxPositions else {
            throw PromptAlignError.invalidParameter(name: "max_length", value: String(maxLength),
                                                    expected: "at most the model's \(model.maxPositions) positions")
        }
        guard batchSize >= 1 else {
            throw PromptAlignError.invalidParameter(name: "batch_size", value: String(batchSize), expected: "at least 1")
        }
    }
}

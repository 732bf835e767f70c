import Foundation
import Formats
import Tokenizers
import Transformers

/// One continued masked-LM training run end to end: complete the head of a bare encoder, read and filter the
/// text, cut it into blocks, train (resuming from the checkpoint when one is there), save the model in the
/// masked-LM layout it was loaded in, with its tokenizer, plus the log and a learning-curve SVG.
public struct MLMAdaptRun {
    public var model: URL
    public var text: [String]
    /// Articles kept out of the corpus (the test split of the dataset the adapted model will be evaluated on).
    public var exclude: [String] = []
    public var output: URL
    public var checkpoint: URL?
    /// Where a bare encoder's completed copy is written.
    public var workDirectory: URL
    public var heldOutFraction = 0.05
    public var options = MLMAdaptOptions()

    public init(model: URL, text: [String], output: URL, workDirectory: URL) {
        self.model = model
        self.text = text
        self.output = output
        self.workDirectory = workDirectory
    }

    /// What a run read, kept and reached.
    public struct Summary: Sendable {
        public var documents: Int, excluded: Int, duplicates: Int, empty: Int
        public var trainBlocks: Int, heldOutBlocks: Int
        public var steps: Int
        public var first: MLMEvaluation?, last: MLMEvaluation?
        public var seconds: Double
        public var log: URL, curve: URL

        public var json: [String: Any] {
            var out: [String: Any] = ["documents": documents, "excluded_test_articles": excluded, "duplicates": duplicates,
                                      "empty": empty, "train_blocks": trainBlocks, "heldout_blocks": heldOutBlocks,
                                      "steps": steps, "seconds": seconds]
            for (key, e) in [("start", first), ("end", last)] {
                if let e { out[key] = ["loss": e.loss, "perplexity": e.perplexity, "top1": e.top1, "top10": e.top10, "tokens": e.tokens] }
            }
            return out
        }
    }

    public func run(say: @escaping (String) -> Void = { _ in }, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let started = Date()
        // The text first: a bad input file fails before a bare encoder's head is written.
        let exclusion = try MLMExclusion(files: exclude)
        let filtered = exclusion.filter(try MLMCorpus.read(text))
        say("\(filtered.kept.count) documents kept; dropped \(filtered.excluded) test articles, \(filtered.duplicates) repeats, \(filtered.empty) empty")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let prepared = try MaskedLMHeadCompletion.prepare(modelDirectory: model, workDirectory: workDirectory)
        if let w = prepared.warning { say(w) }
        let tokenizer = try TokenizerLoader.load(path: prepared.directory.path)
        guard let maskId = tokenizer.id(of: "[MASK]") ?? tokenizer.id(of: "<mask>") else {
            throw PromptAlignError.invalidParameter(name: "tokenizer", value: tokenizer.kind, expected: "a vocabulary with [MASK] or <mask>")
        }
        let blocks = try MLMBlocks(documents: filtered.kept, tokenizer: tokenizer, maxLength: options.maxLength,
                                   heldOutFraction: heldOutFraction)
        say("\(blocks.train.count) training and \(blocks.heldOut.count) held-out blocks of at most \(options.maxLength) tokens")
        let fingerprint = try MLMFingerprint.of(model: model, documents: filtered.kept.map(\.text), options: options,
                                                heldOutFraction: heldOutFraction)
        var resuming = checkpoint.map(MLMAdapter.hasCheckpoint) ?? false
        if resuming, let checkpoint, MLMAdapter.fingerprint(of: checkpoint) != fingerprint {
            // Another model, text or setting: resuming would silently mix two runs. Start afresh; the next
            // checkpoint overwrites it.
            say("the checkpoint at \(checkpoint.path) was made by another configuration (model, text or settings differ); "
                + "starting afresh, it will be overwritten")
            resuming = false
        }
        let trainable = try PromptCheckpoint.loadTrainable(resuming ? checkpoint ?? prepared.directory : prepared.directory, seed: options.seed)
        let adapter = try MLMAdapter(model: trainable, blocks: blocks, maskId: maskId, options: options)
        adapter.say = say
        adapter.fingerprint = fingerprint
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let logURL = workDirectory.appendingPathComponent("mlm-adapt-log.jsonl")
        try? FileManager.default.removeItem(at: logURL)
        if resuming, let checkpoint {
            try adapter.resume(from: checkpoint, logURL: logURL)
            say("resumed from \(checkpoint.path) at step \(adapter.step)")
        }
        try adapter.train(logURL: logURL, checkpoint: checkpoint, tokenizerFrom: prepared.directory, progress: progress)
        try PromptCheckpoint.save(trainable, to: output, tokenizerFrom: prepared.directory)
        let finalLog = output.appendingPathComponent("mlm-adapt-log.jsonl"), curve = output.appendingPathComponent("mlm-adapt-curve.svg")
        try writeAtomically(FileManager.default.contents(atPath: logURL.path) ?? Data(), to: finalLog)
        try writeAtomically(Data(MLMCurve.svg(log: adapter.records, title: "MLM adaptation (\(options.mode.rawValue))").utf8), to: curve)
        let evals = adapter.records.compactMap { r -> MLMEvaluation? in
            guard let l = r["eval_loss"] as? Double, let a = r["eval_top1"] as? Double, let b = r["eval_top10"] as? Double else { return nil }
            return MLMEvaluation(loss: l, top1: a, top10: b, tokens: r["eval_tokens"] as? Int ?? 0)
        }
        return Summary(documents: filtered.kept.count, excluded: filtered.excluded, duplicates: filtered.duplicates, empty: filtered.empty,
                       trainBlocks: blocks.train.count, heldOutBlocks: blocks.heldOut.count, steps: adapter.step,
                       first: evals.first, last: evals.last, seconds: Date().timeIntervalSince(started), log: finalLog, curve: curve)
    }
}

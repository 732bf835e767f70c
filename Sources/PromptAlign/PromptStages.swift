import Foundation
import PipelineEngine
import Tokenizers

/// Parameters shared by `prompt.finetune` and `prompt.score`: the prompt wording and the mode.
enum PromptStageParameters {
    static let shared: [ParameterSpec] = [
        ParameterSpec("mode", .choice(PromptMode.allCases.map(\.rawValue)), default: .string("reference"),
                      doc: "reference: the authors' code and quirks; corrected: attention mask, renormalised label words"),
        ParameterSpec("template", .string, default: .string("[MASK]: <text>"),
                      doc: "prompt; [MASK] becomes the model's mask token, <text> the article"),
        ParameterSpec("real_word", .string, default: .string("news"), doc: "label word of real news"),
        ParameterSpec("fake_word", .string, default: .string("rumor"), doc: "label word of fake news"),
        ParameterSpec("max_length", .int, default: .int(512), doc: "tokens per prompt, special tokens included (the end of the article is cut)"),
    ]

    static func format(_ p: TypedParameters) -> PromptFormat {
        PromptFormat(template: p.string("template") ?? "[MASK]: <text>",
                     labelWords: [p.string("real_word") ?? "news", p.string("fake_word") ?? "rumor"],
                     maxLength: p.int("max_length") ?? 512)
    }

    static func mode(_ p: TypedParameters) -> PromptMode { PromptMode(rawValue: p.string("mode") ?? "reference") ?? .reference }

    /// `prompt.finetune`'s training settings (run 0's seed).
    static func settings(_ p: TypedParameters) -> FineTuneSettings {
        FineTuneSettings(mode: mode(p), learningRate: Float(p.double("lr") ?? 5e-5), batchSize: p.int("batch_size") ?? 16,
                         epochs: p.int("epochs"), dropout: Float(p.double("dropout") ?? 0.1), seed: UInt64(max(0, p.int("seed") ?? 0)))
    }

    static func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        do { try format(p).validate() } catch { return [("template", "\(error)")] }
        return []
    }

    /// A directory that must be a model, with a message saying what to pass when it is missing.
    static func modelDirectory(_ url: URL) throws -> URL {
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
            throw StageError("\(url.path): no model there (expected config.json, model.safetensors and tokenizer files of a BERT "
                             + "or RoBERTa masked LM); pass one, e.g. -p model=../shared/models/all-MiniLM-L6-v2")
        }
        return url
    }
}

/// `prompt.finetune`: N runs of the authors' few-shot fine-tuning, one checkpoint per run.
struct PromptFineTuneStage: StageType {
    let name = "prompt.finetune"
    let version = 1
    let summary = "fine-tune a BERT or RoBERTa masked LM on K prompts (the authors' protocol), N runs with distinct seeds"
    var parameters: [ParameterSpec] {
        [ParameterSpec("model", .model, required: true, doc: "pretrained BERT or RoBERTa masked LM (a bare encoder gets an initialised head, with a warning)"),
         ParameterSpec("train", .path, required: true, doc: "train split CSV (label,text): the K articles"),
         ParameterSpec("runs", .int, default: .int(1), doc: "fine-tuning runs; run r uses seed + r"),
         ParameterSpec("seed", .int, default: .int(0), doc: "seed of run 0 (shuffling and dropout)"),
         ParameterSpec("epochs", .int, doc: "default: 3 for K ≤ 32, 5 above"),
         ParameterSpec("lr", .float, default: .float(5e-5), doc: "peak learning rate (linear decay, no warm-up)"),
         ParameterSpec("batch_size", .int, default: .int(16), doc: "prompts per optimiser step"),
         ParameterSpec("dropout", .float, default: .float(0.1), doc: "dropout while training")]
            + PromptStageParameters.shared
    }
    let outputs = [OutputSpec("models", doc: "one fine-tuned checkpoint directory per run"),
                   OutputSpec("log", doc: "CSV: run, epoch, step, lr, loss, train accuracy")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out = PromptStageParameters.validate(p)
        if let r = p.int("runs"), r < 1 { out.append(("runs", "must be at least 1")) }
        if let e = p.int("epochs"), e < 1 { out.append(("epochs", "must be at least 1")) }
        if let b = p.int("batch_size"), b < 1 { out.append(("batch_size", "must be at least 1")) }
        if let d = p.double("dropout"), !(0..<1).contains(d) { out.append(("dropout", "must be in [0, 1)")) }
        return out
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let source = try PromptStageParameters.modelDirectory(p.url("model")!)
        let format = PromptStageParameters.format(p)
        let settings = PromptStageParameters.settings(p)
        let train = try NewsReader.readSplit(p.url("train")!.path)
        let labels = try train.enumerated().map { i, a -> Int in
            guard let l = a.label else { throw PromptAlignError.mismatch(what: "train article \(i + 1)", expected: "a label", found: "none") }
            return l
        }
        let prepared = try MaskedLMHeadCompletion.prepare(modelDirectory: source, workDirectory: context.scratchDirectory)
        if let w = prepared.warning { context.log(w); FileHandle.standardError.write(Data((w + "\n").utf8)) }
        let encoder = try PromptEncoder(format: format, tokenizer: try TokenizerLoader.load(path: prepared.directory.path))
        let inputs = try encoder.encode(train.map(\.text))
        let runs = p.int("runs") ?? 1
        let dirs = context.output("models", files: (0..<runs).map { "run-\($0)" })
        var csv = "run,epoch,step,lr,loss,train_accuracy\n"
        let totalSteps = runs * settings.epochs(forK: train.count) * ((train.count + settings.batchSize - 1) / settings.batchSize)
        var done = 0
        for r in 0..<runs {
            var s = settings
            s.seed = settings.seed &+ UInt64(r)
            let model = try PromptCheckpoint.loadTrainable(prepared.directory, seed: s.seed)
            try PromptFineTuner.train(model, inputs: inputs, labels: labels, labelIds: encoder.labelIds, maxLength: format.maxLength,
                                      settings: s) { step in
                csv += "\(r),\(step.epoch),\(step.step),\(step.learningRate),\(step.loss),\(step.accuracy)\n"
                context.log(String(format: "run %d epoch %d step %d lr %.3g loss %.6f", r, step.epoch, step.step, step.learningRate, step.loss))
                done += 1
                context.progress(done: done, total: totalSteps, unit: "steps", loss: Double(step.loss))
            }
            try PromptCheckpoint.save(model, to: dirs[r], tokenizerFrom: prepared.directory)
        }
        try writeAtomically(Data(csv.utf8), to: context.output("log", file: "finetune-log.csv"))
    }
}

/// `prompt.score`: label-word probabilities of the test articles under one or more models.
struct PromptScoreStage: StageType {
    let name = "prompt.score"
    let version = 2
    let summary = "score prompts with masked LMs: p(real word), p(fake word) per article (PRED.csv for align.propagate)"
    var parameters: [ParameterSpec] {
        [ParameterSpec("model", .list(.path), required: true, doc: "masked LM directories (e.g. prompt.finetune's models); one PRED.csv each"),
         ParameterSpec("test", .path, required: true, doc: "split CSV (label,text) or any news.read input: the articles to score"),
         ParameterSpec("batch_size", .int, default: .int(8), doc: "prompts per forward pass"),
         ParameterSpec("prior_articles", .path, doc: "articles (e.g. the K train articles; labels not read) whose mean label-word "
                       + "probabilities are the prior's row 1, for align.propagate's calibrate: articles"),
         ParameterSpec("output", .outputPath, doc: "PRED.csv path for a single model (default: inside the work directory)")]
            + PromptStageParameters.shared
    }
    let outputs = [OutputSpec("predictions", doc: "one CSV per model: index,p_real,p_fake"),
                   OutputSpec("prior", doc: "one CSV per model: row 0 the mean label-word probabilities of content-free prompts, "
                              + "row 1 those of prior_articles when given (for align.propagate's calibrate)"),
                   OutputSpec("accuracy", doc: "prompt-only accuracy (argmax) of the first model, when the articles are labelled")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out = PromptStageParameters.validate(p)
        if p.strings("model").count > 1 && p.string("output") != nil {
            out.append(("output", "only with a single model; several models write one file each inside the work directory"))
        }
        return out
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let format = PromptStageParameters.format(p), mode = PromptStageParameters.mode(p)
        let articles = try NewsReader.read(p.url("test")!.path)
        let priorTexts = try p.url("prior_articles").map { try NewsReader.read($0.path).map(\.text) }
        let models = p.strings("model").map { p.resolve($0) }
        let files: [URL] = models.count == 1 && p.string("output") != nil
            ? [context.publish("predictions", to: p.string("output")!)]
            : context.output("predictions", files: models.indices.map { "predictions-\($0).csv" })
        let priorFiles = context.output("prior", files: models.indices.map { "prior-\($0).csv" })
        var firstAccuracy: Double?
        for (i, dir) in models.enumerated() {
            let prepared = try MaskedLMHeadCompletion.prepare(modelDirectory: try PromptStageParameters.modelDirectory(dir),
                                                              workDirectory: context.scratchDirectory)
            if let w = prepared.warning { context.log(w); FileHandle.standardError.write(Data((w + "\n").utf8)) }
            let scorer = try PromptScorer(modelDirectory: prepared.directory, format: format, mode: mode)
            let inputs = try scorer.encoder.encode(articles.map(\.text))
            let probabilities = try scorer.probabilities(inputs, batchSize: p.int("batch_size") ?? 8) { n in
                context.progress(done: i * articles.count + n, total: models.count * articles.count, unit: "articles")
            }
            try PromptPredictions.write(probabilities, to: files[i].path)
            var priors = [try ContentFreeCalibration.prior(scorer)]
            if let priorTexts { priors.append(try ContentFreeCalibration.prior(scorer, texts: priorTexts)) }
            try PromptPredictions.write(priors, to: priorFiles[i].path)
            for (row, prior) in priors.enumerated() {
                context.log(String(format: "model %d: %@ prior p(real word) %.4g, p(fake word) %.4g, log ratio fake/real %.3f", i,
                                   row == 0 ? "content-free" : "prior_articles", prior.x, prior.y, logf(prior.y) - logf(prior.x)))
            }
            let truth = articles.compactMap(\.label)
            if truth.count == articles.count && !articles.isEmpty {
                let m = try ClassificationMetrics(truth: truth, predicted: probabilities.map { $0.y > $0.x ? 1 : 0 })
                if i == 0 { firstAccuracy = m.accuracy }
                context.log(String(format: "model %d (%@): prompt-only accuracy %.4f, macro-F1 %.4f", i, dir.lastPathComponent, m.accuracy, m.macroF1))
            }
        }
        context.output("accuracy", text: firstAccuracy.map { "\($0)" } ?? "")
    }
}

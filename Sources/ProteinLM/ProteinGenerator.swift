import DataIO
import Foundation
import Transformers

/// Settings of `protein.generate` (defaults: the xTrimoPGLM README's temperature 0.9 and top-p 0.8).
public struct GenerateOptions: Sendable {
    /// `clm`: prompt residues continue `<gmask><sop><eos>`; `glm`: `context` + `<gmask><sop>` + prompt.
    public var mode: AttentionMode = .clm
    /// Residue prompts; an empty string generates from the prefix alone.
    public var prompts: [String] = [""]
    /// GLM mode: residues before `<gmask>`, seen bidirectionally.
    public var context: String = ""
    /// Samples per prompt.
    public var samples = 1
    /// 0 means greedy, like `greedy`.
    public var temperature: Float = 0.9
    /// Argmax at every step, as transformers' `do_sample=False`: temperature, top-k, top-p and the seed are
    /// ignored, so every sample of a prompt is the same protein.
    public var greedy = false
    /// 0 = off.
    public var topK = 0
    /// 1 = off.
    public var topP: Float = 0.8
    public var repetitionPenalty: Float = 1
    /// Residues of each generated protein at most (prompt included); nil: 256, or fewer when the model's
    /// positions hold fewer (prompt and special tokens included).
    public var maxLength: Int?
    public var seed: UInt64 = 0
    public var policy = ResiduePolicy()

    public init() {}
}

/// One generated protein.
public struct GeneratedProtein: Sendable {
    public var header: String
    /// Prompt residues followed by the sampled ones.
    public var sequence: String
    /// Whether it ended on `<eos>`/`<eop>` (false: reached max length).
    public var stopped: Bool
}

/// Samples proteins from an xTrimoPGLM model. Only the 20 standard amino acids can be sampled; `<eos>` and
/// `<eop>` end a protein. The same options (seed included) always give the same proteins.
public enum ProteinGenerator {
    /// Samples generated together in one batch; larger `-n` runs in successive batches whose proteins are
    /// handed out as they are produced. Batch k > 0 of a prompt draws from its own seed.
    public static let samplesPerBatch = 64

    /// Every protein, collected (small runs and tests; `generate(model:options:emit:)` streams).
    public static func generate(model: ProteinModel, options o: GenerateOptions) throws -> [GeneratedProtein] {
        var out: [GeneratedProtein] = []
        try generate(model: model, options: o) { out.append($0) }
        return out
    }

    /// Generates the proteins of `o` and passes each to `emit` as soon as its batch is done.
    public static func generate(model: ProteinModel, options o: GenerateOptions,
                                emit: (GeneratedProtein) throws -> Void) throws {
        guard let pglm = model.model as? PGLMForLM else {
            throw ProteinLMError.unsupported("generation needs an xTrimoPGLM model; \(model.location) is \(model.kind.rawValue)")
        }
        guard o.mode != .mlm else { throw ProteinLMError.badOption(name: "mode", detail: "generation uses clm or glm") }
        guard o.samples >= 1 else { throw ProteinLMError.badOption(name: "n", detail: "must be at least 1") }
        guard (o.maxLength ?? 1) >= 1 else { throw ProteinLMError.badOption(name: "max_length", detail: "must be at least 1") }
        guard o.temperature >= 0 && o.temperature.isFinite else {
            throw ProteinLMError.badOption(name: "temperature", detail: "must be positive, or 0 for greedy decoding")
        }
        let greedy = o.greedy || o.temperature == 0
        guard o.topP > 0 && o.topP <= 1 else { throw ProteinLMError.badOption(name: "top_p", detail: "must be in (0, 1]") }
        guard o.topK >= 0 else { throw ProteinLMError.badOption(name: "top_k", detail: "must be ≥ 0") }
        guard o.repetitionPenalty > 0 && o.repetitionPenalty.isFinite else { throw ProteinLMError.badOption(name: "repetition_penalty", detail: "must be a finite number > 0") }
        func clean(_ text: String, _ what: String) throws -> [UInt8] {
            try o.policy.residues(of: FASTARecord(id: what, sequence: text, line: 0), file: "<\(what)>")
        }
        let context = try clean(o.context, "context")
        // The reference stops on <eos>; <eop> and <eod> end a span or document in the pretraining data.
        let stops = Set(["<eos>", "<eop>", "<eod>"].compactMap { model.tokenizer.id(of: $0) }.map(Int32.init))
        let allowed = Set(ResiduePolicy.standard.map { model.id(of: $0) })
        for (p, promptText) in o.prompts.enumerated() {
            let prompt = try clean(promptText, "prompt \(p + 1)")
            let ids: [Int32]
            switch o.mode {
            case .glm: ids = model.glmTokens(context: context, span: prompt)
            default: ids = model.clmTokens(prompt)
            }
            // Prompt tokens + new tokens must fit the model's positions (checked before anything is allocated).
            let specials = ids.count - prompt.count
            let fits = pglm.positionLimit - specials - 1
            let maxLength = o.maxLength ?? min(256, fits)
            guard prompt.count < maxLength else {
                throw ProteinLMError.badOption(name: "max_length", detail: "prompt \(p + 1) has \(prompt.count) residues, max_length is \(maxLength)"
                    + (o.maxLength == nil ? " (what \(model.location.isEmpty ? "the model" : model.location) holds)" : ""))
            }
            guard maxLength <= fits else {
                throw ProteinLMError.badOption(name: "max_length", detail: "\(maxLength) residues (with \(specials) special tokens"
                    + (o.mode == .glm ? " and the context" : "") + ") exceed the \(pglm.positionLimit) positions of "
                    + "\(model.location.isEmpty ? "the model" : model.location); use at most \(max(0, fits))")
            }
            for first in stride(from: 0, to: o.samples, by: samplesPerBatch) {
                let count = min(samplesPerBatch, o.samples - first)
                let batchIndex = UInt64(first / samplesPerBatch)
                var config = GenerationConfig(maxNewTokens: maxLength - prompt.count + 1, doSample: !greedy,
                                              temperature: o.temperature, topK: o.topK, topP: o.topP,
                                              repetitionPenalty: o.repetitionPenalty, stopTokenIds: stops,
                                              allowedTokenIds: allowed,
                                              seed: o.seed &+ UInt64(p) &+ batchIndex &* 0x9E37_79B9_7F4A_7C15)
                config.minNewTokens = 0
                let result = try pglm.generate(prompts: Array(repeating: ids, count: count), mode: o.mode, config: config)
                for s in 0..<count {
                    var residues = prompt
                    var stopped = false
                    for t in result.tokens[s] {
                        if stops.contains(t) { stopped = true; break }
                        guard residues.count < maxLength, let r = model.residue(of: t) else { break }
                        residues.append(r)
                    }
                    var header = "sample_\(p + 1)_\(first + s + 1) prompt=\(promptText.isEmpty ? "-" : String(decoding: prompt, as: UTF8.self))"
                    if o.mode == .glm { header += " context=\(context.isEmpty ? "-" : String(decoding: context, as: UTF8.self))" }
                    header += " mode=\(o.mode.rawValue)"
                        + (greedy ? " decoding=greedy" : " temperature=\(o.temperature) top_k=\(o.topK) top_p=\(o.topP)")
                        + " repetition_penalty=\(o.repetitionPenalty) max_length=\(maxLength)"
                        + (greedy ? "" : " seed=\(o.seed)")   // greedy output does not depend on the seed
                        + " end=\(stopped ? "eos" : "length")"
                    try emit(GeneratedProtein(header: header, sequence: String(decoding: residues, as: UTF8.self), stopped: stopped))
                }
            }
        }
    }

    /// How many proteins `o` asks for (nil when the count does not fit an Int).
    public static func count(_ o: GenerateOptions) -> Int? {
        let (n, overflow) = max(1, o.prompts.count).multipliedReportingOverflow(by: o.samples)
        return overflow ? nil : n
    }

    /// Generates into a FASTA file (atomically), writing each protein as it is produced; returns the count.
    @discardableResult
    /// `progress` gets the number written so far.
    public static func generate(model: ProteinModel, options o: GenerateOptions, to url: URL,
                                progress: ((Int) -> Void)? = nil) throws -> Int {
        let w = try FASTAWriter(path: url.path)
        var count = 0
        do {
            try generate(model: model, options: o) { p in
                try w.write(header: p.header, sequence: p.sequence)
                count += 1
                progress?(count)
            }
            try w.finish()
        } catch { w.cancel(); throw error }
        return count
    }

    /// Writes proteins as FASTA (atomically).
    public static func write(_ proteins: [GeneratedProtein], to url: URL) throws {
        let w = try FASTAWriter(path: url.path)
        do {
            for p in proteins { try w.write(header: p.header, sequence: p.sequence) }
            try w.finish()
        } catch { w.cancel(); throw error }
    }
}

import DataIO
import Foundation
import Tensors
import Transformers

/// `trellis forward`'s work: a model directory run on a FASTA or text file, every output stacked into one
/// .safetensors (input_ids, attention_mask, logits, hidden_states.{i}, contacts), as transformers returns them.
public struct ForwardRun {
    /// What to compute.
    public struct Options: Sendable {
        /// xTrimoPGLM input layout and attention; nil = the model's default (clm if is_causal, else mlm).
        public var mode: AttentionMode?
        /// Sequences per forward pass.
        public var batchSize = 8
        public var storage: WeightStorage = .f32
        /// Also ESM-2 contact probabilities [B, T-2, T-2].
        public var contacts = false
        /// hidden_states.{0…L} [B, T, H]; false writes ids and logits only.
        public var hiddenStates = true
        public init() {}
    }

    /// What was written.
    public struct Summary: Sendable {
        public var sequences: Int
        public var tokens: Int
        public var hiddenStates: Int
        /// The vocabulary size when logits were written.
        public var logitsVocabulary: Int?
    }

    public let modelDirectory: URL
    public let options: Options

    public init(modelDirectory: URL, options: Options) throws {
        guard options.batchSize > 0 else { throw ForwardInput.Failure.option("batch size \(options.batchSize)", "at least one sequence per forward pass is needed") }
        self.modelDirectory = modelDirectory
        self.options = options
    }

    /// Tokenises `input`, runs the model in batches and writes `output` atomically; `progress` is told
    /// (sequences done, total) after every batch.
    public func run(input: String, output: URL, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        let modelDir = modelDirectory
        let family = try ModelLoader.family(directory: modelDir)
        if let mode = options.mode, family != .xtrimopglm {
            throw ForwardInput.Failure.option("--mode \(mode.rawValue)", "only xTrimoPGLM models have modes")
        }
        let model = try Profiler.time(.modelLoad) { try ModelLoader.load(directory: modelDir, options: LoadOptions(storage: options.storage)) }
        let contacts = options.contacts
        if contacts, (model as? EsmForMaskedLM)?.hasContactHead != true {
            throw ForwardInput.Failure.option("--contacts", "\(modelDir.path) has no contact head (only ESM-2 checkpoints "
                                              + "with esm.contact_head.regression.* predict contacts)")
        }
        let effectiveMode = options.mode ?? (model as? PGLMForLM)?.defaultMode
        let sequences = try Profiler.time(.tokenization) {
            try ForwardInput.tokenize(file: input, family: family, modelDirectory: modelDir, mode: effectiveMode)
        }
        guard let t = sequences.map(\.count).max() else { throw ForwardInput.Failure.empty(input) }
        let b = sequences.count
        if let i = sequences.firstIndex(where: { $0.count > model.positionLimit }) {
            throw ForwardInput.Failure.unreadable(input, "record \(i + 1) has \(sequences[i].count) tokens; \(modelDir.path) "
                                                  + "takes at most \(model.positionLimit) (its position limit)")
        }
        // Every output is kept until the file is written: check its size before the first pass.
        let stateCount = options.hiddenStates ? model.layerCount + 1 : 0
        try AllocationLimit.floats([b, t, model.vocabularySize + stateCount * model.hiddenSize + (contacts ? t : 0)],
                                   "\(input): the outputs of \(b) sequences × \(t) tokens")
        var ids: [Int64] = [], mask: [Int64] = []   // [B, T]
        var logits: [Float] = []                    // [B, T, V]
        var contactValues: [Float] = []             // [B, T-2, T-2]
        var states: [[Float]] = []                  // (L+1) × [B, T, H]
        for start in stride(from: 0, to: b, by: options.batchSize) {
            let chunk = Array(sequences[start..<min(b, start + options.batchSize)])
            // Pad every chunk to the file's longest sequence so the chunks stack into one [B, T] tensor.
            let batch = Profiler.time(.copies) { TokenBatch(sequences: chunk, padId: model.padTokenId, length: t) }
            let out = try model.forward(batch, options: ForwardOptions(hiddenStates: options.hiddenStates,
                                                                      logits: model.vocabularySize > 0,
                                                                      contacts: contacts, mode: effectiveMode))
            Profiler.time(.copies) {    // stacking the chunks into [B, T, …] outputs
                ids += batch.ids.map(Int64.init)
                mask += batch.attentionMask.map(Int64.init)
                logits += out.logits ?? []
                contactValues += out.contacts ?? []
                if states.isEmpty { states = Array(repeating: [], count: out.hiddenStates.count) }
                for (i, h) in out.hiddenStates.enumerated() { states[i] += h }
            }
            progress(start + chunk.count, b)
        }
        try Profiler.time(.io) {
            var writer = SafetensorsWriter(metadata: ["format": "pt", "model": modelDir.path,
                                                      "mode": effectiveMode?.rawValue ?? "encoder"])
            try writer.add("input_ids", int64s: ids, shape: [b, t])
            try writer.add("attention_mask", int64s: mask, shape: [b, t])
            if !logits.isEmpty { try writer.add("logits", floats: logits, shape: [b, t, model.vocabularySize]) }
            for (i, h) in states.enumerated() { try writer.add("hidden_states.\(i)", floats: h, shape: [b, t, model.hiddenSize]) }
            if contacts { try writer.add("contacts", floats: contactValues, shape: [b, t - 2, t - 2]) }
            try writer.write(to: output)
        }
        return Summary(sequences: b, tokens: t, hiddenStates: states.count,
                       logitsVocabulary: logits.isEmpty ? nil : model.vocabularySize)
    }
}

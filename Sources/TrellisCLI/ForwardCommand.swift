import DataIO
import Foundation
import Tensors
import Transformers
import CLISupport

/// `trellis forward`: runs a model directory on a FASTA or text file and writes ids, logits and hidden states.
enum ForwardCommand: Command {
    static let name = "forward"
    static let summary = "run a model on FASTA or text input and write logits and hidden states (.safetensors)"
    static let usage = """
    USAGE: trellis forward --model DIR --input FILE --output OUT.safetensors [options]   (or forward DIR …)

    Runs the checkpoint in DIR (config.json + model.safetensors or shards: ESM-2, BERT, RoBERTa,
    xTrimoPGLM/ProteinGLM) on every record of FILE — FASTA for protein models, one text per line for text
    models — and writes input_ids [B,T] and attention_mask [B,T] (I64), logits [B,T,V] and
    hidden_states.{i} [B,T,H] for i = 0…L (transformers' output_hidden_states convention), plus
    contacts [B,T-2,T-2] with --contacts (ESM-2 with a contact head).

    OPTIONS:
      --mode mlm|clm|glm     xTrimoPGLM input layout and attention (default: clm if is_causal, else mlm):
                             mlm = residues + <eos>; clm = <gmask><sop><eos> + residues;
                             glm = residues + <gmask><sop> (context bidirectional, then causal);
                             a glm record CONTEXT<gmask>SPAN (or CONTEXT<gmask><sop>SPAN) gives
                             context + <gmask><sop> + span, the span seen causally (GLM infilling)
      --batch-size N         sequences per forward pass (default 8)
      --weights f32|bf16     weight storage (default f32; computation is F32 either way)
      --contacts             also write ESM-2 contact probabilities
      --no-hidden-states     write ids and logits only
      --output FILE          the .safetensors written; '-' = stdout
    \(ProfileOption.usage)

    EXAMPLES:
      trellis forward --model models/esm2-random-tiny --input samples/proteins/example.faa --output out/fw.safetensors
    """

    static func run(_ args: inout Arguments) throws {
        let input = try args.required("input")
        let outputText = try args.required("output")
        let modeText = try args.choice("mode", AttentionMode.allCases.map { $0.rawValue })
        let batchSize = try args.option("batch-size", default: 8)
        let storage = try args.choice("weights", ["f32", "bf16"], default: "f32") ?? "f32"
        let contacts = args.flag("contacts")
        let hidden = !args.flag("no-hidden-states")
        let profile = try ProfileOption(&args)
        let (modelDir, _) = try args.modelAndPositionals([])
        try args.finish()
        let destination = try OutputFile(outputText, suffix: ".safetensors")
        defer { destination.discard() }
        let output = destination.url
        guard batchSize > 0 else { throw ArgumentError.badValue("--batch-size", "\(batchSize)") }
        guard let weightStorage = WeightStorage(rawValue: storage) else { throw ArgumentError.badValue("--weights", storage) }
        var mode: AttentionMode? = nil
        if let modeText {
            guard let m = AttentionMode(rawValue: modeText) else { throw ArgumentError.badValue("--mode", modeText) }
            mode = m
        }

        let family = try ModelLoader.family(directory: modelDir)
        if mode != nil && family != .xtrimopglm {
            throw ArgumentError.badValue("--mode", "\(modeText!) (only xTrimoPGLM models have modes)")
        }
        let session = profile.start()
        let model = try Profiler.time(.io) { try ModelLoader.load(directory: modelDir, options: LoadOptions(storage: weightStorage)) }
        if contacts, (model as? EsmForMaskedLM)?.hasContactHead != true {
            throw ArgumentError.badValue("--contacts", "\(modelDir.path) has no contact head (only ESM-2 checkpoints "
                                         + "with esm.contact_head.regression.* predict contacts)")
        }
        let effectiveMode = mode ?? (model as? PGLMForLM)?.defaultMode
        let sequences = try Profiler.time(.tokenization) {
            try ForwardInput.tokenize(file: input, family: family, modelDirectory: modelDir, mode: effectiveMode)
        }
        guard !sequences.isEmpty else { throw ForwardInput.Failure.empty(input) }
        let t = sequences.map(\.count).max()!
        let b = sequences.count
        if let i = sequences.firstIndex(where: { $0.count > model.positionLimit }) {
            throw ForwardInput.Failure.unreadable(input, "record \(i + 1) has \(sequences[i].count) tokens; \(modelDir.path) "
                                                  + "takes at most \(model.positionLimit) (its position limit)")
        }
        // Every output is kept until the file is written: check its size before the first pass.
        let stateCount = hidden ? model.layerCount + 1 : 0
        try AllocationLimit.floats([b, t, model.vocabularySize + stateCount * model.hiddenSize + (contacts ? t : 0)],
                                   "\(input): the outputs of \(b) sequences × \(t) tokens")
        var ids: [Int64] = [], mask: [Int64] = []
        var logits: [Float] = [], contactValues: [Float] = []
        var states: [[Float]] = []
        for start in stride(from: 0, to: b, by: batchSize) {
            let chunk = Array(sequences[start..<min(b, start + batchSize)])
            // Pad every chunk to the file's longest sequence so the chunks stack into one [B, T] tensor.
            let batch = Profiler.time(.copies) { TokenBatch(sequences: chunk, padId: model.padTokenId, length: t) }
            let out = try model.forward(batch, options: ForwardOptions(hiddenStates: hidden, logits: model.vocabularySize > 0,
                                                                      contacts: contacts, mode: effectiveMode))
            Profiler.time(.copies) {    // stacking the chunks into [B, T, …] outputs
                ids += batch.ids.map(Int64.init)
                mask += batch.attentionMask.map(Int64.init)
                logits += out.logits ?? []
                contactValues += out.contacts ?? []
                if states.isEmpty { states = Array(repeating: [], count: out.hiddenStates.count) }
                for (i, h) in out.hiddenStates.enumerated() { states[i] += h }
            }
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
        try destination.publish()
        let line = "wrote \(destination.display): \(b) sequences × \(t) tokens, \(states.count) hidden states"
            + (logits.isEmpty ? "" : ", logits [\(b), \(t), \(model.vocabularySize)]")
        if destination.toStdout { print(line, to: &standardError) } else { print(line) }
        try profile.finish(session)
    }
}

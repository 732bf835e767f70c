import DataIO
import Foundation
import Tensors
import Transformers
import ModelForward
import PipelineEngine
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
        var options = ForwardRun.Options()
        options.mode = modeText.flatMap(AttentionMode.init(rawValue:))
        options.batchSize = batchSize
        options.storage = weightStorage
        options.contacts = contacts
        options.hiddenStates = hidden
        let forward = try ForwardRun(modelDirectory: modelDir, options: options)
        let session = profile.start()
        var meter: ProgressMeter?
        let s = try forward.run(input: input, output: output) { done, total in
            if meter == nil { meter = ProgressMeter(label: "forward", unit: "sequences", total: total) }
            meter?.report(done: done)
        }
        meter?.finish()
        try destination.publish()
        let line = "wrote \(destination.display): \(s.sequences) sequences × \(s.tokens) tokens, \(s.hiddenStates) hidden states"
            + (s.logitsVocabulary.map { ", logits [\(s.sequences), \(s.tokens), \($0)]" } ?? "")
        if destination.toStdout { print(line, to: &standardError) } else { print(line) }
        try profile.finish(session)
    }
}

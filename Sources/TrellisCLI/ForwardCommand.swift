import DataIO
import Foundation
import Tensors
import Transformers
import ModelForward
import ProteinLM
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
    \(schema.usage)

    EXAMPLES:
      trellis forward --model models/esm2-random-tiny --input samples/proteins/example.faa --output out/fw.safetensors
      trellis forward models/pglm-tiny --input samples/proteins/example.faa --mode glm --no-hidden-states --output -
    """

    /// The command's options (MODEL is positional or --model, as for every model command).
    static let schema = OptionSchema([
        ParameterSpec("input", .path, required: true, doc: "FASTA for protein models, one text per line for text models"),
        OutputFile.parameter("the .safetensors written"),
        ParameterSpec("mode", .choice(AttentionMode.allCases.map(\.rawValue)),
                      doc: "xTrimoPGLM input layout and attention (default: clm if is_causal, else mlm): mlm = residues + <eos>; "
                        + "clm = <gmask><sop><eos> + residues; glm = residues + <gmask><sop> (context bidirectional, then causal); "
                        + "a glm record CONTEXT<gmask>SPAN (or CONTEXT<gmask><sop>SPAN) gives context + <gmask><sop> + span, "
                        + "the span seen causally (GLM infilling)"),
        ParameterSpec("batch_size", .int, default: .int(8), doc: "sequences per forward pass"),
        ProteinLMStages.weightsParameter,
        ParameterSpec("contacts", .bool, default: .bool(false), doc: "also write ESM-2 contact probabilities"),
        ParameterSpec("no_hidden_states", .bool, default: .bool(false), doc: "write ids and logits only"),
        ProfileOption.profile, ProfileOption.profileJSON,
    ]) { p in
        if let b = p.int("batch_size"), b < 1 { return [("batch_size", "must be at least 1")] }
        return []
    }

    static func run(_ args: inout Arguments) throws {
        let values = try schema.read(&args)
        let (modelDir, _) = try args.modelAndPositionals([])
        try args.finish()
        let p = try schema.typed(values)
        let profile = try ProfileOption(p)
        let destination = try OutputFile(p.string("output") ?? "-", suffix: ".safetensors")
        defer { destination.discard() }
        var options = ForwardRun.Options()
        options.mode = p.string("mode").flatMap(AttentionMode.init(rawValue:))
        options.batchSize = p.int("batch_size") ?? options.batchSize
        options.storage = p.string("weights").flatMap(WeightStorage.init(rawValue:)) ?? .f32
        options.contacts = p.bool("contacts") == true
        options.hiddenStates = p.bool("no_hidden_states") != true
        let forward = try ForwardRun(modelDirectory: modelDir, options: options)
        let session = profile.start()
        var meter: ProgressMeter?
        let s = try forward.run(input: p.string("input") ?? "", output: destination.url) { done, total in
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

import Foundation
import ProteinLM
import Transformers
import CLISupport

/// `trellis generate`: sample proteins from an xTrimoPGLM model.
enum GenerateCommand: Command {
    static let name = "generate"
    static let summary = "sample proteins from an xTrimoPGLM model (CLM prompt or GLM context) into FASTA"
    static let usage = """
    USAGE: trellis generate MODEL [--prompt SEQ]... [-n N] [options] --output PROTEINS.faa

    Samples N proteins per prompt (no prompt: from <gmask><sop><eos> alone). Only the 20 standard amino
    acids are ever sampled; <eos> / <eop> end a protein. Headers record the prompt and every parameter;
    the same options and seed always give the same FASTA.

    OPTIONS:
      --prompt SEQ            residue prompt (repeatable)
      -n N                    samples per prompt (default 1); written as they are produced
      --mode clm|glm          clm (default) or glm: --context + <gmask><sop> + prompt
      --context SEQ           glm mode: residues seen bidirectionally before <gmask>
      --temperature T         default 0.9; 0 = greedy
      --greedy                argmax at every step (transformers do_sample=False); ignores temperature,
                              top-k, top-p and seed, so all -n samples of a prompt are the same protein
      --top-k K               default 0 (off)
      --top-p P               default 0.8
      --repetition-penalty R  default 1.0 (off)
      --max-length N          residues per protein at most, prompt included (default 256; at most the
                              model's seq_length less the special tokens)
      --seed S                default 0
      --weights f32|bf16      weight storage (default f32)
      --output FILE           FASTA written as proteins are produced; '-' = stdout (written at the end)

    EXAMPLES:
      trellis generate models/pglm-tiny --prompt MKT -n 4 --output -
    """

    static func run(_ args: inout Arguments) throws {
        var o = GenerateOptions()
        let prompts = try args.options("prompt")
        if !prompts.isEmpty { o.prompts = prompts }
        o.samples = try args.option("n", default: 1)
        let mode = try args.choice("mode", ["clm", "glm"], default: "clm") ?? "clm"
        guard let m = AttentionMode(rawValue: mode), m != .mlm else { throw ArgumentError.badValue("--mode", mode) }
        o.mode = m
        o.context = try args.option("context") ?? ""
        o.temperature = try args.option("temperature", default: Float(0.9))
        o.greedy = args.flag("greedy")
        o.topK = try args.option("top-k", default: 0)
        o.topP = try args.option("top-p", default: Float(0.8))
        o.repetitionPenalty = try args.option("repetition-penalty", default: Float(1))
        o.maxLength = try args.option("max-length", default: 256)
        o.seed = try args.option("seed", default: UInt64(0))
        let outputText = try args.required("output")
        let storage = try EmbedCommand.weights(&args)
        let (modelURL, _) = try args.modelAndPositionals([])
        try args.finish()
        let destination = try OutputFile(outputText, suffix: ".faa")
        defer { destination.discard() }
        let output = destination.url
        let model = try ProteinModel.load(modelURL, storage: storage)
        let count = try ProteinGenerator.generate(model: model, options: o, to: output)
        try destination.publish()
        print("generated \(count) proteins -> \(destination.display)", to: &standardError)
    }
}

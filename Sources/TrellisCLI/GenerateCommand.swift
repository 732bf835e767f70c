import Foundation
import PipelineEngine
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

    OPTIONS (the protein.generate stage's parameters; --prompt is repeatable):
    \(schema.usage)

    EXAMPLES:
      trellis generate models/pglm-tiny --prompt MKT -n 4 --output -
    """

    /// The command's options: the `protein.generate` stage's schema (`--prompt` for each of `prompts`).
    static let schema = OptionSchema(stage: ProteinLMStages.generateStage, extra: [OutputFile.parameter("the FASTA written")],
                                     renames: ["prompt": "prompts"], excluded: ["model"])

    static func run(_ args: inout Arguments) throws {
        var values = try schema.read(&args)
        let (modelURL, _) = try args.modelAndPositionals([])
        try args.finish()
        values["model"] = .string(modelURL.path)
        let p = try schema.typed(values)
        let outputText = p.string("output") ?? "-"
        let o = ProteinLMStages.generateOptions(p)
        let storage = WeightStorage(rawValue: p.string("weights") ?? "f32") ?? .f32
        let destination = try OutputFile(outputText, suffix: ".faa")
        defer { destination.discard() }
        let output = destination.url
        let model = try ProteinModel.load(modelURL, storage: storage)
        let meter = ProgressMeter(label: "generate", unit: "proteins", total: ProteinGenerator.count(o))
        let count = try ProteinGenerator.generate(model: model, options: o, to: output, progress: { meter.report(done: $0) })
        meter.finish()
        try destination.publish()
        print("generated \(count) proteins -> \(destination.display)", to: &standardError)
    }
}

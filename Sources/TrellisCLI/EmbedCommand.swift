import Foundation
import PipelineEngine
import ProteinLM
import Tensors
import Transformers
import CLISupport

/// `trellis embed`: fair-esm extract.py as one command, writing .safetensors.
enum EmbedCommand: Command {
    static let name = "embed"
    static let summary = "embed a FASTA file with ESM-2 / xTrimoPGLM (extract.py features) into .safetensors"
    static let usage = """
    USAGE: trellis embed MODEL FASTA OUTPUT.safetensors [options]
           (MODEL may be given as --model MODEL and OUTPUT as --output OUTPUT, as in the other commands)

    Embeds every record of FASTA with the model in MODEL, as fair-esm's scripts/extract.py does: sequences
    truncated to --truncation residues, sorted by length and batched by a token budget; labels are the
    header lines and must be unique; records with no residues are skipped with a warning. Writes one
    .safetensors with tensors '<key>/mean_representations/<layer>', '<key>/representations/<layer>'
    [L, H], '<key>/bos_representations/<layer>' and '<key>/contacts' [L, L], where <key> is the label with
    '%' written '%25' and '/' written '%2F' (so 'sp|P12345|X/Y' is 'sp|P12345|X%2FY'); plus, with mean,
    one stacked 'mean_representations/<layer>' [N, H] whose rows follow the 'labels' list; and the index
    (labels, lengths, settings) as JSON in __metadata__. Per-sequence files are named <key>.safetensors.
    xTrimoPGLM: the final normalised layer, without <eos>.
    Memory stays bounded: work is streamed in windows and written to OUTPUT.parts/ as it is done.
    OUTPUT may be an existing directory (fair-esm's output_dir): one <key>.safetensors per sequence is
    written there. Other extensions (.pt) are refused: the file is always safetensors.
    MODEL is a model directory or a hub id (org/name) found in the local Hugging Face cache.

    OPTIONS (the protein.embed stage's parameters; fair-esm spellings --repr_layers, --toks_per_batch and
    space-separated lists such as --include mean per_tok are accepted):
    \(schema.usage)

    EXAMPLES:
      trellis embed models/pglm-tiny samples/proteins/example.faa out/emb.safetensors --include mean per_tok
      trellis embed facebook/esm2_t6_8M_UR50D x.faa out_dir/ --repr_layers 0 -1     (fair-esm style)
    """

    /// The command's options: the `protein.embed` stage's schema, with fair-esm's flag names.
    static let schema = OptionSchema(stage: ProteinLMStages.embedStage, extra: [ProfileOption.profileJSON],
                                     renames: ["repr-layers": "layers", "toks-per-batch": "tokens_per_batch"],
                                     excluded: ["fasta", "model", "output"])

    static func run(_ args: inout Arguments) throws {
        var values = try schema.read(&args)
        // OUTPUT positional (fair-esm's order) or --output, as every other command spells it.
        let outputOption = try args.option("output")
        let (modelURL, given) = try args.modelAndPositionals(outputOption == nil ? ["FASTA", "OUTPUT"] : ["FASTA"])
        let pos = given + (outputOption.map { [$0] } ?? [])
        try args.finish()
        var perSequence = values["per_sequence"].map { _ in URL(fileURLWithPath: "") }
        let output = try outputFile(pos[1], perSequence: &perSequence)
        if output == nil, let dir = perSequence, values["per_sequence"] == nil { values["per_sequence"] = .string(dir.path) }
        values["model"] = .string(modelURL.path)
        values["fasta"] = .string(pos[0])
        values["output"] = .string(pos[1])
        let p = try schema.typed(values)
        let profile = try ProfileOption(p)
        let o = ProteinLMStages.embedOptions(p)
        let storage = WeightStorage(rawValue: p.string("weights") ?? "f32") ?? .f32
        if let output { removeStaleTemporaries(beside: output) }
        let session = profile.start()
        let model = try Profiler.time(.io) { try ProteinModel.load(modelURL, storage: storage) }
        let embedder = try Embedder(model: model, options: o)
        let run = EmbeddingRun(embedder: embedder, fasta: pos[0], output: output)
        let meter = ProgressMeter(label: "embed", unit: "sequences",
                                  total: try? RecordSplitter.count(URL(fileURLWithPath: pos[0]), format: .fasta))
        run.log = { print($0, to: &standardError) }
        run.progress = { done, _ in meter.report(done: done) }
        let start = Date()
        let s = try run.run()
        meter.finish()
        let seconds = Date().timeIntervalSince(start)
        print("embedded \(s.sequences) sequences (\(s.residues) residues) in \(String(format: "%.1f", seconds)) s"
              + (s.truncated > 0 ? ", \(s.truncated) truncated to \(embedder.options.truncation)" : "")
              + (s.resumed > 0 ? ", \(s.resumed) already done" : "")
              + (s.empty.isEmpty ? "" : ", \(s.empty.count) empty skipped"), to: &standardError)
        try profile.finish(session)
    }

    /// OUTPUT as fair-esm users give it: `-` (only --per-sequence files), an existing directory (extract.py's
    /// output_dir: one `<key>.safetensors` per sequence there), or a `.safetensors` file. A PyTorch name
    /// (`.pt`) or any other extension is refused: the file would hold safetensors under a misleading name.
    static func outputFile(_ text: String, perSequence: inout URL?) throws -> URL? {
        var isDirectory: ObjCBool = false
        if text == "-" {
            guard perSequence != nil else { throw CLIError.output(text, "'-' writes no combined file, so it needs --per-sequence DIR") }
            return nil
        }
        if FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue {
            guard perSequence == nil else {
                throw CLIError.output(text, "is a directory; give a .safetensors file as OUTPUT beside --per-sequence DIR")
            }
            perSequence = URL(fileURLWithPath: text)
            return nil
        }
        let ext = URL(fileURLWithPath: text).pathExtension.lowercased()
        guard ext == "safetensors" else {
            let hint = ["pt", "pth", "bin", "pkl"].contains(ext)
                ? "Trellis writes safetensors, not PyTorch pickles (torch reads it with safetensors.torch.load_file)"
                : "expected a .safetensors file, an existing directory (one file per sequence) or '-'"
            throw CLIError.output(text, "unsupported output extension '.\(ext)': " + hint)
        }
        return URL(fileURLWithPath: text)
    }
}

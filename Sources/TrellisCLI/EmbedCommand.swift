import Foundation
import ProteinLM
import Tensors
import Transformers

/// `trellis embed`: fair-esm extract.py as one command, writing .safetensors.
enum EmbedCommand: Command {
    static let name = "embed"
    static let summary = "embed a FASTA file with ESM-2 / xTrimoPGLM (extract.py features) into .safetensors"
    static let usage = """
    USAGE: trellis embed MODEL FASTA OUTPUT.safetensors [options]

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

    OPTIONS:
      --repr-layers L,...    layers (0 = embeddings, -1 = last; repeatable or comma-separated; default -1)
      --include F,...        mean, per_token (per_tok), bos, contacts (default mean)
      --truncation N         residues kept per sequence (default 1022; at most the model's positions
                             less its special tokens, e.g. 1024 for ESM-2: larger values are cut to that)
      --toks-per-batch N     token budget of a batch (default 4096)
      --per-sequence DIR     also write DIR/<label>.safetensors per sequence (OUTPUT may then be '-': none)
      --resume               skip labels already written (OUTPUT.parts/, OUTPUT, or per-sequence files)
      --invalid error|x|remove   non-amino-acid characters (default error; a trailing '*' is always stripped)
      --weights f32|bf16     weight storage (default f32)
    \(ProfileOption.usage)
    """

    static func list(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }

    static func run(_ args: inout Arguments) throws {
        var o = EmbedOptions()
        let layers = list(try args.options("repr-layers"))
        if !layers.isEmpty {
            o.layers = try layers.map { guard let i = Int($0) else { throw ArgumentError.badValue("--repr-layers", $0) }; return i }
        }
        let include = list(try args.options("include"))
        if !include.isEmpty {
            o.include = try include.map { guard let f = EmbedFeature(word: $0) else { throw ArgumentError.badValue("--include", $0) }; return f }
        }
        o.truncation = try args.option("truncation", default: 1022)
        o.tokensPerBatch = try args.option("toks-per-batch", default: 4096)
        o.perSequenceDirectory = try args.option("per-sequence").map { URL(fileURLWithPath: $0) }
        o.resume = args.flag("resume")
        o.policy = try policy(&args)
        let storage = try weights(&args)
        let profile = try ProfileOption(&args)
        let pos = args.positionals()
        try args.finish()
        guard pos.count == 3 else {
            print(usage, to: &standardError)
            throw ExitStatus(code: 2)
        }
        let output: URL? = pos[2] == "-" ? nil : URL(fileURLWithPath: pos[2])
        if let output { removeStaleTemporaries(beside: output) }
        if output == nil && o.perSequenceDirectory == nil { throw ArgumentError.badValue("OUTPUT", "- (needs --per-sequence DIR)") }
        let session = profile.start()
        let model = try Profiler.time(.io) { try ProteinModel.load(URL(fileURLWithPath: pos[0]), storage: storage) }
        let embedder = try Embedder(model: model, options: o)
        let run = EmbeddingRun(embedder: embedder, fasta: pos[1], output: output)
        run.log = { print($0, to: &standardError) }
        let start = Date()
        let s = try run.run()
        let seconds = Date().timeIntervalSince(start)
        print("embedded \(s.sequences) sequences (\(s.residues) residues) in \(String(format: "%.1f", seconds)) s"
              + (s.truncated > 0 ? ", \(s.truncated) truncated to \(embedder.options.truncation)" : "")
              + (s.resumed > 0 ? ", \(s.resumed) already done" : "")
              + (s.empty.isEmpty ? "" : ", \(s.empty.count) empty skipped"), to: &standardError)
        try profile.finish(session)
    }

    static func policy(_ args: inout Arguments) throws -> ResiduePolicy {
        let text = try args.option("invalid", default: "error")
        guard let i = ResiduePolicy.Invalid(rawValue: text) else { throw ArgumentError.badValue("--invalid", text) }
        return ResiduePolicy(invalid: i)
    }

    static func weights(_ args: inout Arguments) throws -> WeightStorage {
        let text = try args.option("weights", default: "f32")
        guard let w = WeightStorage(rawValue: text) else { throw ArgumentError.badValue("--weights", text) }
        return w
    }
}

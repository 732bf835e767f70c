import Foundation
import ProteinLM
import Tensors
import Transformers
import CLISupport

/// `trellis embed`: fair-esm extract.py as one command, writing .safetensors.
enum EmbedCommand: Command {
    static let name = "embed"
    static let summary = "embed a FASTA file with ESM-2 / xTrimoPGLM (extract.py features) into .safetensors"
    static let usage = """
    USAGE: trellis embed MODEL FASTA OUTPUT.safetensors [options]      (or --model MODEL FASTA OUTPUT)

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

    OPTIONS:
      --repr-layers L,...    layers (0 = embeddings, -1 = last; comma- or space-separated, as fair-esm's
                             --repr_layers 0 -1; default -1)
      --include F,...        mean, per_token (per_tok), bos, contacts (default mean; --include mean per_tok works)
      --truncation N         residues kept per sequence (default 1022; at most the model's positions
                             less its special tokens, e.g. 1024 for ESM-2: larger values are cut to that)
      --toks-per-batch N     token budget of a batch (default 4096; also --toks_per_batch, --tokens-per-batch)
      --per-sequence DIR     also write DIR/<label>.safetensors per sequence (OUTPUT may then be '-': none)
      --resume               skip labels already written (OUTPUT.parts/, OUTPUT, or per-sequence files)
      --invalid error|x|remove   non-amino-acid characters (default error; a trailing '*' is always stripped)
      --weights f32|bf16     weight storage (default f32)
    \(ProfileOption.usage)

    EXAMPLES:
      trellis embed models/esm2_t6_8M_UR50D samples/proteins.faa out/emb.safetensors --include mean per_tok
      trellis embed facebook/esm2_t6_8M_UR50D x.faa out_dir/ --repr_layers 0 -1     (fair-esm style)
    """

    static func run(_ args: inout Arguments) throws {
        var o = EmbedOptions()
        let layers = try args.list("repr-layers") { Int($0) != nil }
        if !layers.isEmpty {
            o.layers = try layers.map { guard let i = Int($0) else { throw ArgumentError.badValue("--repr-layers", $0) }; return i }
        }
        let include = try args.list("include") { EmbedFeature(word: $0) != nil }
        if !include.isEmpty {
            o.include = try include.map {
                guard let f = EmbedFeature(word: $0) else {
                    throw ArgumentError.unknownChoice("--include", $0, ["mean", "per_token", "per_tok", "bos", "contacts"])
                }
                return f
            }
        }
        o.truncation = try args.option("truncation", default: 1022)
        o.tokensPerBatch = try args.option("toks-per-batch", default: 4096)
        o.perSequenceDirectory = try args.option("per-sequence").map { URL(fileURLWithPath: $0) }
        o.resume = args.flag("resume")
        o.policy = try policy(&args)
        let storage = try weights(&args)
        let profile = try ProfileOption(&args)
        let (modelURL, pos) = try args.modelAndPositionals(["FASTA", "OUTPUT"])
        try args.finish()
        let output = try outputFile(pos[1], perSequence: &o.perSequenceDirectory)
        if let output { removeStaleTemporaries(beside: output) }
        let session = profile.start()
        let model = try Profiler.time(.io) { try ProteinModel.load(modelURL, storage: storage) }
        let embedder = try Embedder(model: model, options: o)
        let run = EmbeddingRun(embedder: embedder, fasta: pos[0], output: output)
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

    static func policy(_ args: inout Arguments) throws -> ResiduePolicy {
        let text = try args.choice("invalid", ResiduePolicy.Invalid.allCases.map { $0.rawValue }, default: "error") ?? "error"
        guard let i = ResiduePolicy.Invalid(rawValue: text) else { throw ArgumentError.badValue("--invalid", text) }
        return ResiduePolicy(invalid: i)
    }

    static func weights(_ args: inout Arguments) throws -> WeightStorage {
        let text = try args.choice("weights", ["f32", "bf16"], default: "f32") ?? "f32"
        guard let w = WeightStorage(rawValue: text) else { throw ArgumentError.badValue("--weights", text) }
        return w
    }
}

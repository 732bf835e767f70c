import Foundation

/// One reader of hostile input, driven by raw bytes: the same entry serves libFuzzer
/// (`LLVMFuzzerTestOneInput`, built by `scripts/fuzz/build.sh`) and the corpus replay in `make test`.
///
/// Each target goes through the highest-level public entry a user's file reaches (a spec parsed from
/// text, a tokenizer loaded from a directory, a safetensors file opened from disk, a model directory
/// loaded with its `config.json`), so the targets keep working while the readers behind them change.
/// Running a target either returns or throws; a trap is a bug in the reader.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Pipeline spec text → `PipelineLoader` with the generic stages.
    case spec
    /// One JSON document through every JSON reader of the project.
    case json
    /// A FASTA file (plain, or gzip / zstd by its magic bytes) read record by record.
    case fasta
    /// A CSV / TSV file read record by record with several option sets.
    case csv
    /// A whole safetensors file: header validated, then every tensor's values read.
    case safetensors
    /// A `config.json` beside a tiny checkpoint of the family it names, loaded with `ModelLoader`.
    case config
    /// A tokenizer file (first byte picks which; see `FuzzTarget+Tokenizer.swift`) loaded and used.
    case tokenizer

    /// The largest input worth trying: readers stream, so longer inputs only slow the fuzzer.
    public var maxLength: Int {
        switch self {
        case .spec, .json, .csv, .config: return 16_384
        case .fasta, .safetensors: return 65_536
        case .tokenizer: return 65_536
        }
    }

    /// Feeds `bytes` to the reader; `fixtures` is `Tests/Fixtures` (the `config` target loads its
    /// checkpoints from there).
    public func run(_ bytes: [UInt8], fixtures: URL) throws {
        switch self {
        case .spec: try Self.spec(bytes)
        case .json: try Self.json(bytes)
        case .fasta: try Self.fasta(bytes)
        case .csv: try Self.csv(bytes)
        case .safetensors: try Self.safetensors(bytes)
        case .config: try Self.config(bytes, fixtures: fixtures)
        case .tokenizer: try Self.tokenizer(bytes)
        }
    }
}

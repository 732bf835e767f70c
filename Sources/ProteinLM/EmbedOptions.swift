import Foundation

/// The features `protein.embed` writes, as fair-esm's extract.py `--include`.
public enum EmbedFeature: String, Sendable, CaseIterable {
    /// Mean over the residues (BOS/EOS and prefixes excluded), per layer: [H].
    case mean
    /// Every residue's vector, per layer: [L, H].
    case perToken = "per_token"
    /// The `<cls>` (BOS) vector, per layer (ESM-2 only): [H].
    case bos
    /// ESM-2 contact probabilities: [L, L].
    case contacts

    /// Accepts extract.py's spelling `per_tok` too.
    public init?(word: String) {
        if word == "per_tok" { self = .perToken; return }
        self.init(rawValue: word)
    }

    /// The tensor name part (extract.py's dictionary keys).
    var key: String {
        switch self {
        case .mean: return "mean_representations"
        case .perToken: return "representations"
        case .bos: return "bos_representations"
        case .contacts: return "contacts"
        }
    }
}

/// Settings of an embedding run (extract.py defaults).
public struct EmbedOptions: Sendable {
    /// Layers to keep; 0 = embedding output, L = last; negatives count from the end (−1 = L).
    public var layers: [Int] = [-1]
    public var include: [EmbedFeature] = [.mean]
    /// Residues kept per sequence (extract.py `--truncation_seq_length`); at most the model's position limit
    /// less its special tokens (1024 for ESM-2), larger values are cut to it.
    public var truncation: Int = 1022
    /// Token budget of one batch, padding included (extract.py `--toks_per_batch`).
    public var tokensPerBatch: Int = 4096
    public var policy = ResiduePolicy()
    /// Write one `<label>.safetensors` per sequence into this directory as well (or instead, when `output` is nil).
    public var perSequenceDirectory: URL? = nil
    /// Skip labels already written (in parts of an interrupted run, the existing output, or per-sequence files).
    public var resume = false
    /// Records read, sorted and batched together; bounds memory however long the FASTA is.
    public var windowRecords = 4096
    public var windowResidues = 2_000_000

    public init() {}

    /// `layers` mapped into 0…L as extract.py does: (i + L + 1) % (L + 1), checked against −(L+1)…L.
    public func resolvedLayers(layerCount l: Int) throws -> [Int] {
        var out: [Int] = []
        for i in layers {
            guard i >= -(l + 1) && i <= l else {
                throw ProteinLMError.badOption(name: "layers", detail: "layer \(i) is outside -\(l + 1)…\(l) for a \(l)-layer model")
            }
            let r = (i + l + 1) % (l + 1)
            if !out.contains(r) { out.append(r) }
        }
        guard !out.isEmpty else { throw ProteinLMError.badOption(name: "layers", detail: "give at least one layer") }
        return out
    }
}

import Foundation
import Formats
import Tensors

/// The `__metadata__` of an embedding file (a whole run, a part of one, or a shard): which proteins it
/// holds, in which order, and the settings that made them. Tensors are named `<key>/<suffix>`, e.g.
/// `sp|P69905|HBA_HUMAN/mean_representations/33` (extract.py's dictionary keys after the label), where the
/// key is the label with `%` and `/` percent-encoded (`%25`, `%2F`), so a name splits at its first `/`.
/// Assembled files also hold `mean_representations/<layer>` [N, H]: every label's mean, rows in `labels` order.
public struct EmbeddingIndex: Equatable {
    /// Version 2: labels percent-encoded in tensor names, stacked mean tensors.
    public static let format = "trellis.protein.embed/2"

    /// A label as written in tensor names and per-sequence file names: `%` → `%25`, `/` → `%2F`, NUL → `%00`.
    public static func key(_ label: String) -> String {
        var out = ""
        for ch in label.unicodeScalars {
            switch ch {
            case "%": out += "%25"
            case "/": out += "%2F"
            case "\0": out += "%00"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// `<key(label)>/<suffix>`.
    public static func tensorName(label: String, suffix: String) -> String { key(label) + "/" + suffix }
    /// Labels (FASTA header text) in file order.
    public var labels: [String] = []
    /// Part files: 0-based record index in the input FASTA (the assembly order). Assembled files: the
    /// position in the file, so an unsharded run and a gathered sharded run write identical bytes.
    public var indices: [Int] = []
    /// Residues embedded (after truncation).
    public var lengths: [Int] = []
    /// Residues in the input sequence.
    public var sequenceLengths: [Int] = []
    /// Tensor name suffixes every label has.
    public var suffixes: [String] = []
    /// model, layers, include, truncation: a resumed run must match them.
    public var settings: [String: String] = [:]

    public init() {}

    public mutating func append(_ f: SequenceFeatures) {
        labels.append(f.protein.label)
        indices.append(f.protein.index)
        lengths.append(f.length)
        sequenceLengths.append(f.protein.residues.count)
    }

    public var metadata: [String: String] {
        var m = settings
        m["format"] = Self.format
        m["labels"] = Self.json(labels)
        m["indices"] = Self.json(indices)
        m["lengths"] = Self.json(lengths)
        m["sequence_lengths"] = Self.json(sequenceLengths)
        m["suffixes"] = Self.json(suffixes)
        return m
    }

    /// Reads the index of an embedding file written by this module.
    public init(file: SafetensorsFile) throws {
        let m = file.metadata
        guard m["format"] == Self.format else {
            throw ProteinLMError.badOutput(file: file.path, detail: "not a protein.embed file (metadata format '\(m["format"] ?? "")', expected '\(Self.format)')")
        }
        func array<T>(_ key: String, _ type: T.Type) throws -> [T] {
            guard let text = m[key], let v = try? JSONReader.parse(text).foundation as? [T] else {
                throw ProteinLMError.badOutput(file: file.path, detail: "metadata '\(key)' is missing or not a JSON array")
            }
            return v
        }
        labels = try array("labels", String.self)
        indices = try array("indices", Int.self)
        lengths = try array("lengths", Int.self)
        sequenceLengths = try array("sequence_lengths", Int.self)
        suffixes = try array("suffixes", String.self)
        for k in ["model", "layers", "include", "truncation"] { settings[k] = m[k] }
        guard [indices.count, lengths.count, sequenceLengths.count].allSatisfy({ $0 == labels.count }) else {
            throw ProteinLMError.badOutput(file: file.path, detail: "metadata arrays labels/indices/lengths differ in length")
        }
    }

    static func json(_ v: Any) -> String {
        (try? JSONWriter.string(JSONValue(foundation: v))) ?? "[]"
    }
}

/// Joins embedding files (parts of a run, a previous output, or shards) into one file, proteins ordered
/// by (group, input index), copying tensor bytes straight from the mapped inputs.
public enum EmbeddingAssembler {
    /// - Parameter inputs: files with their group (0 for parts of one run; the shard number when gathering).
    public static func assemble(_ inputs: [(url: URL, group: Int)], to destination: URL,
                                settings: [String: String]) throws -> EmbeddingIndex {
        let files = try inputs.map { try SafetensorsFile(url: $0.url) }
        let indexes = try files.map { try EmbeddingIndex(file: $0) }
        var rows: [(group: Int, index: Int, file: Int, row: Int)] = []
        for (f, idx) in indexes.enumerated() {
            for r in idx.labels.indices { rows.append((inputs[f].group, idx.indices[r], f, r)) }
        }
        rows.sort { ($0.group, $0.index) < ($1.group, $1.index) }
        var index = EmbeddingIndex()
        index.settings = settings
        index.suffixes = indexes.first?.suffixes ?? []
        var seen = Set<String>()
        let writer = try StreamingSafetensorsWriter(url: destination, metadata: [:])
        do {
            for row in rows {
                let idx = indexes[row.file], file = files[row.file]
                let label = idx.labels[row.row]
                guard seen.insert(label).inserted else {
                    throw ProteinLMError.badOutput(file: file.path, detail: "label '\(label)' appears in more than one input file")
                }
                if idx.suffixes != index.suffixes {
                    throw ProteinLMError.badOutput(file: file.path, detail: "holds features \(idx.suffixes), expected \(index.suffixes)")
                }
                for s in idx.suffixes {
                    let name = EmbeddingIndex.tensorName(label: label, suffix: s)
                    let info = try file.info(name)
                    try file.withRawBytes(name) { try writer.add(name, dtype: info.dtype, shape: info.shape, bytes: $0) }
                }
                index.labels.append(label)
                index.indices.append(index.labels.count - 1)
                index.lengths.append(idx.lengths[row.row])
                index.sequenceLengths.append(idx.sequenceLengths[row.row])
            }
            var metadata = index.metadata
            metadata["stacked"] = EmbeddingIndex.json(try stackMeans(rows.map { (files[$0.file], indexes[$0.file].labels[$0.row]) },
                                                                     suffixes: index.suffixes, into: writer))
            writer.metadata = metadata
            try writer.finish()
        } catch {
            writer.cancel()
            throw error
        }
        return index
    }

    /// Writes `mean_representations/<layer>` [N, H] for every mean suffix, rows in `rows` order, copying
    /// each row from the per-label tensor (one row in memory at a time); returns the names written.
    static func stackMeans(_ rows: [(file: SafetensorsFile, label: String)], suffixes: [String],
                           into writer: StreamingSafetensorsWriter) throws -> [String] {
        guard let first = rows.first else { return [] }
        var names: [String] = []
        for s in suffixes where s.hasPrefix(EmbedFeature.mean.key + "/") {
            let head = try first.file.info(EmbeddingIndex.tensorName(label: first.label, suffix: s))
            let width = head.shape.reduce(1, *)
            let rowBytes = try first.file.withRawBytes(EmbeddingIndex.tensorName(label: first.label, suffix: s)) { $0.count }
            try writer.add(s, dtype: head.dtype, shape: [rows.count, width], byteCount: rows.count * rowBytes) { write in
                for (file, label) in rows {
                    let name = EmbeddingIndex.tensorName(label: label, suffix: s)
                    let info = try file.info(name)
                    guard info.dtype == head.dtype, info.shape.reduce(1, *) == width else {
                        throw ProteinLMError.badOutput(file: file.path, detail: "\(name) is \(info.dtype) \(info.shape), expected \(head.dtype) [\(width)]")
                    }
                    try file.withRawBytes(name) { try write($0) }
                }
            }
            names.append(s)
        }
        return names
    }
}

import Foundation

/// The data formats Trellis reads, recognised from a file's first bytes rather than its name, so a file
/// with an unknown or misleading extension is never read as the wrong format (a safetensors file is not CSV).
public enum DataFormat: String, Sendable, CaseIterable {
    case fasta, csv, tsv, jsonl, json, uniprot, feed, npy, safetensors

    /// How many leading (decompressed) bytes `detect` looks at.
    static let window = 64 << 10

    /// The format of the file at `path` from its content (gzip/zstd decompressed first); for delimited text
    /// the extension (`.tsv`, `.csv`) breaks the tie. Throws `DataIOError.unsupported` when the content matches
    /// no format, naming what was seen.
    public static func detect(path: String) throws -> DataFormat {
        let reader = try ByteReader(path: path)
        var bytes = [UInt8](repeating: 0, count: window)
        var count = 0
        while count < window {
            let n = try bytes.withUnsafeMutableBytes { buffer in
                try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
            }
            if n == 0 { break }
            count += n
        }
        let head = Array(bytes[..<count])
        let name = path.replacingOccurrences(of: ".gz", with: "").replacingOccurrences(of: ".zst", with: "")
        if let format = detect(head: head, compressed: reader.compression != .none,
                               extension: URL(fileURLWithPath: name).pathExtension.lowercased()) {
            return format
        }
        let what = head.isEmpty ? "an empty file" : "content that is none of " + allCases.map { $0.rawValue }.joined(separator: ", ")
        throw DataIOError.unsupported(path: path, what: what + " (give --format=F if it is one of them)")
    }

    /// The format announced by `head`, the first bytes of the content; nil when none matches.
    public static func detect(head: [UInt8], compressed: Bool = false, extension ext: String = "") -> DataFormat? {
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return .npy }
        // safetensors: an 8-byte little-endian header length, then the JSON header itself.
        if !compressed, head.count >= 10, head[8] == UInt8(ascii: "{") {
            let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if length >= 2, length < 100 << 20 { return .safetensors }
        }
        var text = head[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = text.first(where: { !isSpace($0) }) else { return nil }
        // Binary content (a NUL, or other control bytes) is no text format.
        if text.contains(where: { $0 == 0 || ($0 < 0x20 && !isSpace($0)) }) { return nil }
        switch first {
        case UInt8(ascii: ">"): return .fasta
        case UInt8(ascii: "<"):
            let s = String(decoding: text, as: UTF8.self)
            if s.contains("<uniprot") || s.contains("<entry") { return .uniprot }
            if s.contains("<rss") || s.contains("<feed") { return .feed }
            return nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // JSON Lines: two or more lines that each open a value.
            let lines = text.split(separator: 0x0A).filter { $0.contains { !isSpace($0) } }
            let opens = lines.prefix(3).allSatisfy { $0.first(where: { !isSpace($0) }) == UInt8(ascii: "{") }
            if lines.count >= 2, opens, lines[0].last(where: { !isSpace($0) }) == UInt8(ascii: "}") { return .jsonl }
            return .json
        default:
            let line = text.prefix { $0 != 0x0A }
            let tabs = line.filter { $0 == 0x09 }.count, commas = line.filter { $0 == UInt8(ascii: ",") }.count
            if ext == "tsv" || ext == "tab" { return tabs > 0 || commas == 0 ? .tsv : nil }
            if ext == "csv" { return .csv }
            if tabs > 0 && tabs >= commas { return .tsv }
            if commas > 0 { return .csv }
            return nil
        }
    }
}

import DataIO
import Foundation
import PipelineEngine
import Tensors
import CLISupport

/// `trellis validate FILE...`: reads data files with the strict DataIO readers and reports every problem
/// with its position (all of them for CSV/TSV, the first one for other formats).
enum ValidateCommand: Command {
    static let name = "validate"
    static let summary = "check FASTA, CSV/TSV, JSON/JSONL, UniProt XML, .npy and .safetensors files; print problems with positions"
    static let usage = """
    USAGE: trellis validate FILE... [--format=F] [--header] [--delimiter=C]

    The format is recognised from the content, not the name (gzip / zstd are decompressed first):
    '>' → fasta, '{' / '[' → json (jsonl when several lines each hold an object), <uniprot> → uniprot,
    <rss> / <feed> → feed, the NumPy magic → npy, a safetensors header → safetensors; delimited text is
    csv or tsv (by the extension, else by the first line). Content that matches none is refused, never
    guessed. --format=F overrides it (fasta, csv, tsv, jsonl, json, uniprot, feed, npy, safetensors).
    Safetensors: the header, every offset and every tensor's bytes are checked; non-finite floats counted.
    CSV/TSV: --header reads the first record as a header; every record must have the same field count.
    Exit status 1 when any file has a problem.

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      trellis validate samples/proteins/example.faa out/emb.safetensors
      trellis validate table.txt --format tsv --header
    """

    static let schema = OptionSchema([
        ParameterSpec("format", .choice(DataFormat.allCases.map(\.rawValue)), doc: "the format of every FILE (default: detected from the content)"),
        ParameterSpec("header", .bool, default: .bool(false), doc: "CSV/TSV: the first record is a header"),
        ParameterSpec("delimiter", .string, doc: "CSV/TSV: the one-byte field delimiter (\\t for a tab)"),
    ]) { p in
        guard let d = p.string("delimiter"), d.utf8.count != 1, d != "\\t" else { return [] }
        return [("delimiter", "expected one byte, or \\t")]
    }

    static func run(_ args: inout Arguments) throws {
        let values = try schema.read(&args)
        let files = try args.positionals()
        try args.finish()
        let p = try schema.typed(values)
        let format = p.string("format"), header = p.bool("header") == true, delimiter = p.string("delimiter")
        guard !files.isEmpty else { throw ArgumentError.positionalCount(expected: ["FILE..."], got: []) }
        var failed = false
        for file in files {
            do {
                let kind = try format ?? DataFormat.detect(path: file).rawValue
                let problems = try validate(file, kind: kind, header: header, delimiter: delimiter)
                if problems.isEmpty { continue }
                failed = true
                for p in problems { print(p, to: &standardError) }
            } catch let e as DataIOError {
                failed = true
                print(e, to: &standardError)
            } catch let e as SafetensorsError {
                failed = true
                print("\(file): \(e)", to: &standardError)
            }
        }
        if failed { throw ExitStatus(code: 1) }
    }

    /// Reads `path`; returns CSV problems collected, or prints a one-line summary and returns [] when clean.
    static func validate(_ path: String, kind: String, header: Bool, delimiter: String?) throws -> [DataIOError] {
        var count = 0
        switch kind {
        case "fasta":
            // Checked in constant memory: a record's residues are scanned, not kept.
            let reader = try FASTAReader(path: path)
            reader.retainsSequences = false
            try reader.forEach { _ in count += 1 }
            print("\(path): \(count) FASTA records")
        case "csv", "tsv":
            var options = kind == "tsv" ? CSVOptions.tsv : CSVOptions.csv
            if let d = delimiter, let byte = d == "\\t" ? 0x09 : d.utf8.first { options.delimiter = byte }
            options.hasHeader = header
            options.onError = .collect
            let reader = try CSVReader(path: path, options: options)
            try reader.forEach { _ in count += 1 }
            if !reader.problems.isEmpty { return reader.problems }
            let names = reader.header.map { $0.map { $0.count > 24 ? $0.prefix(23) + "…" : Substring($0) }.joined(separator: ", ") }
            print("\(path): \(count) records" + (names.map { " (header: \($0))" } ?? ""))
        case "jsonl":
            let reader = try JSONLReader(path: path)
            while try reader.next() != nil { count += 1 }
            print("\(path): \(count) JSON lines")
        case "json":
            _ = try JSONFile.read(path: path)
            print("\(path): valid JSON")
        case "uniprot":
            try UniProtXMLReader(path: path).forEach { _ in count += 1 }
            print("\(path): \(count) UniProt entries")
        case "feed":
            let reader = try FeedReader(path: path)
            while try reader.next() != nil { count += 1 }
            print("\(path): \(count) feed items")
        case "npy":
            let a = try NPY.read(path: path)
            print("\(path): \(a.dtype.rawValue) array of shape \(a.shape)")
        case "safetensors":
            print("\(path): " + (try safetensorsSummary(path)))
        default:
            throw ArgumentError.unknownChoice("--format", kind, DataFormat.allCases.map { $0.rawValue })
        }
        return []
    }

    /// Opens the file (header, offsets and data section validated) and reads every float tensor.
    static func safetensorsSummary(_ path: String) throws -> String {
        let file = try SafetensorsFile(path: path)
        var nonFinite = 0, elements = 0
        for t in file.tensors {
            elements += t.elementCount
            guard [.f32, .f16, .bf16, .f64].contains(t.dtype) else { continue }
            nonFinite += try file.floats(t.name).reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        }
        return "\(file.tensors.count) safetensors tensors, \(elements) elements"
            + (nonFinite > 0 ? ", \(nonFinite) non-finite floats" : "")
    }
}

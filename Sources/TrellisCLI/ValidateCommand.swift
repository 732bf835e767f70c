import DataIO
import Foundation

/// `trellis validate FILE...`: reads data files with the strict DataIO readers and reports every problem
/// with its position (all of them for CSV/TSV, the first one for other formats).
enum ValidateCommand: Command {
    static let name = "validate"
    static let summary = "check FASTA, CSV/TSV, JSON/JSONL, UniProt XML and .npy files; print problems with positions"
    static let usage = """
    USAGE: trellis validate FILE... [--format=F] [--header] [--delimiter=C]

    The format comes from the extension (.gz / .zst stripped first): .fa .faa .fasta .fna .ffn → fasta,
    .csv → csv, .tsv .tab → tsv, .jsonl .ndjson → jsonl, .json → json, .xml → uniprot, .npy → npy;
    --format=F overrides it (fasta, csv, tsv, jsonl, json, uniprot, feed, npy).
    CSV/TSV: --header reads the first record as a header; every record must have the same field count.
    Exit status 1 when any file has a problem.
    """

    static func run(_ args: inout Arguments) throws {
        let format = try args.option("format")
        let header = args.flag("header")
        let delimiter = try args.option("delimiter")
        let files = args.positionals()
        try args.finish()
        guard !files.isEmpty else { print(usage); throw ExitStatus(code: 2) }
        var failed = false
        for file in files {
            let kind = format ?? detect(file)
            do {
                let problems = try validate(file, kind: kind, header: header, delimiter: delimiter)
                if problems.isEmpty { continue }
                failed = true
                for p in problems { print(p, to: &standardError) }
            } catch let e as DataIOError {
                failed = true
                print(e, to: &standardError)
            }
        }
        if failed { throw ExitStatus(code: 1) }
    }

    /// The format named by a path's extension, ignoring a compression suffix.
    static func detect(_ path: String) -> String {
        var url = URL(fileURLWithPath: path)
        if ["gz", "zst", "zstd"].contains(url.pathExtension) { url.deletePathExtension() }
        switch url.pathExtension.lowercased() {
        case "fa", "faa", "fasta", "fna", "ffn", "fas": return "fasta"
        case "tsv", "tab": return "tsv"
        case "jsonl", "ndjson": return "jsonl"
        case "json": return "json"
        case "xml": return "uniprot"
        case "npy": return "npy"
        default: return "csv"
        }
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
            if let d = delimiter {
                guard d.utf8.count == 1 || d == "\\t" else { throw ArgumentError.badValue("--delimiter", d) }
                options.delimiter = d == "\\t" ? 0x09 : d.utf8.first!
            }
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
        default:
            throw ArgumentError.badValue("--format", kind)
        }
        return []
    }
}

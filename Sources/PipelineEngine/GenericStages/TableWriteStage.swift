import DataIO
import Foundation
import Formats

/// `table.write`: writes a table as TSV, CSV, JSON or JSONL — either a given table file converted, or a
/// summary of the upstream stages' outputs (one row per output file: stage, output, path, bytes, records, sha256).
struct TableWriteStage: StageType {
    let name = "table.write"
    let version = 1
    let summary = "write a TSV/CSV/JSON table: a summary of upstream outputs, or a given table converted"
    let parameters: [ParameterSpec] = [
        ParameterSpec("path", .outputPath, required: true, doc: "where to write the table"),
        ParameterSpec("format", .choice(["auto", "tsv", "csv", "json", "jsonl"]), default: .string("auto"),
                      doc: "output format; auto picks it from the extension of 'path' (default tsv)"),
        ParameterSpec("input", .path, doc: "a CSV/TSV table (with header) to convert instead of summarising upstream outputs"),
    ]
    let outputs = [OutputSpec("table", doc: "the written table")]

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let path = p.string("path")!
        var format = p.string("format") ?? "auto"
        if format == "auto" {
            let ext = PathName.pathExtension(path).lowercased()
            format = ["csv", "json", "jsonl"].contains(ext) ? ext : "tsv"
        }
        let (header, rows) = try p.url("input").map { try readTable($0.path) } ?? summary(context)
        let destination = context.publish("table", to: path)
        let writer = try AtomicFileWriter(path: destination.path)
        do {
            switch format {
            case "json", "jsonl":
                let objects = rows.map { row in Dictionary(uniqueKeysWithValues: zip(header, row)) }
                if format == "json" {
                    try writer.write(JSONWriter.bytes(JSONValue(foundation: objects), pretty: true) + [0x0A])
                } else {
                    for o in objects { try writer.write(JSONWriter.bytes(JSONValue(foundation: o)) + [0x0A]) }
                }
            default:
                let sep = format == "csv" ? "," : "\t"
                func field(_ s: String) -> String {
                    if format == "csv" && (s.contains(",") || s.contains("\"") || s.contains("\n")) {
                        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    }
                    return format == "tsv" ? s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") : s
                }
                for row in [header] + rows { try writer.write(row.map(field).joined(separator: sep) + "\n") }
            }
            try writer.finish()
        } catch { writer.cancel(); throw error }
        context.log("wrote \(rows.count) rows to \(path) as \(format)")
    }

    func readTable(_ path: String) throws -> ([String], [[String]]) {
        let options: CSVOptions = path.hasSuffix(".tsv") || path.hasSuffix(".tsv.gz") ? .tsvWithHeader : .csvWithHeader
        let reader = try CSVReader(path: path, options: options)
        var rows: [[String]] = []
        try reader.forEach { rows.append($0.fields) }
        return (reader.header ?? [], rows)
    }

    /// One row per upstream output file (text outputs get a row with their value in `path`).
    func summary(_ context: StageContext) throws -> ([String], [[String]]) {
        var rows: [[String]] = []
        for (stage, outputs) in context.upstream {
            for name in outputs.keys.sorted() {
                switch outputs[name]! {
                case .text(let t): rows.append([stage, name, t, "", "", ""])
                case .path(let f): rows.append(try describe(stage, name, f, context))
                case .paths(let fs): for f in fs { rows.append(try describe(stage, name, f, context)) }
                }
            }
        }
        return (["stage", "output", "path", "bytes", "records", "sha256"], rows)
    }

    func describe(_ stage: String, _ name: String, _ path: String, _ context: StageContext) throws -> [String] {
        let url = context.parameters.resolve(path)
        guard let info = FileDigester.fileInfo(url.path), !info.isDirectory else { return [stage, name, path, "", "", ""] }
        let lower = path.lowercased()
        var records = ""
        if [".faa", ".fasta", ".fa", ".fna", ".faa.gz", ".fasta.gz", ".faa.zst"].contains(where: { lower.hasSuffix($0) }) {
            var n = 0
            try FASTAReader(path: url.path).forEach { _ in n += 1 }
            records = String(n)
        } else if let data = FileManager.default.contents(atPath: url.path) {
            records = String(data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        }
        return [stage, name, path, String(info.size), records, try FileDigester.hashFile(url.path)]
    }
}

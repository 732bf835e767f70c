import DataIO
import Formats
import Foundation
import CLISupport

/// `trellis bench fasta`: FASTA read throughput on a real proteome, 50 copies of it, and their gzip / zstd
/// versions, next to a naive Python reader timed on the same files (scripts/bench/fasta_read.py).
/// Options (use the `--name=value` form): --file, --copies (50), --runs (3), --tmp, --python, --script,
/// --fresh (rebuild the concatenated inputs), --json.
enum FASTABench {
    static let summary = "FASTA read throughput (plain, .gz, .zst) vs a naive Python reader"

    struct Row: Codable {
        var file: String
        var bytes: Int
        var records: Int
        var residues: Int
        var seconds: Double
        var pythonSeconds: Double?
        var pythonAgrees: Bool?
    }

    static func run(_ args: inout Arguments) throws {
        let copies = try args.option("copies", default: 50)
        let runs = try args.option("runs", default: 3)
        let json = args.flag("json")
        let fresh = args.flag("fresh")
        let python = try args.option("python") ?? ProcessInfo.processInfo.environment["TRELLIS_PYTHON"] ?? "python3"
        let script = try args.option("script") ?? "scripts/bench/fasta_read.py"
        let shared = ProcessInfo.processInfo.environment["TRELLIS_SHARED"] ?? "../shared"
        let input = try args.option("file") ?? shared + "/data/proteins/proteome-938293.faa"
        let tmp = try args.option("tmp") ?? NSTemporaryDirectory() + "trellis-bench-fasta"
        try args.finish()
        guard FileManager.default.fileExists(atPath: input) else {
            throw DataIOError.io(path: input, operation: "find the benchmark input (give --file or set TRELLIS_SHARED)",
                                 reason: "no such file")
        }

        // Inputs: the file, `copies` concatenated copies, and the copies compressed both ways.
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let original = try ByteReader.readAll(path: input)
        let big = tmp + "/proteome-x\(copies).faa"
        let made = [big, big + ".gz", big + ".zst"]
        let reuse = !fresh && made.allSatisfy { FileManager.default.fileExists(atPath: $0) }
            && (try? FileManager.default.attributesOfItem(atPath: big)[.size] as? Int) == original.count * copies
        for path in made where !reuse {
            let writer = try AtomicFileWriter(path: path)
            for _ in 0..<copies { try writer.write(original) }
            try writer.finish()
        }
        let files = [input, big, big + ".gz", big + ".zst"]

        var rows: [Row] = []
        for file in files {
            var best = Double.infinity, records = 0, residues = 0
            for _ in 0..<max(runs, 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                let reader = try FASTAReader(path: file)
                records = 0; residues = 0
                while let r = try reader.next() { records += 1; residues += r.sequence.utf8.count }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            rows.append(Row(file: file, bytes: size, records: records, residues: residues, seconds: best))
        }

        // The reference, in the same run, when python and the script are available.
        var note = ""
        if FileManager.default.fileExists(atPath: script) {
            // stderr is the reader's own: shown, as before.
            let reference = ReferenceScript(file: URL(fileURLWithPath: script), python: python)
            do {
                let r = try ReferenceScript.launch(reference.command + ["--runs", String(runs)] + files, stderr: true)
                for obj in r.jsonLines {
                    guard let file = obj["file"] as? String, let i = rows.firstIndex(where: { $0.file == file }),
                          let seconds = obj["seconds"] as? Double else { continue }
                    rows[i].pythonSeconds = seconds
                    rows[i].pythonAgrees = (obj["records"] as? Int) == rows[i].records && (obj["residues"] as? Int) == rows[i].residues
                }
            } catch {
                note = "python reference not run: \(error)"
            }
        } else {
            note = "python reference not run: \(script) not found (run from the repository root)"
        }

        if json {
            print(String(decoding: try JSONEncoding.bytes(rows, pretty: true), as: UTF8.self))
            return
        }
        let plainBytes = original.count
        BenchHeader.print("fasta")
        print("FASTA read, best of \(runs); MB/s counts decompressed bytes (1 MB = 1e6 B)")
        print(pad("file", 28) + pad("on disk MB", 12) + pad("records", 10) + pad("trellis s", 11) + pad("MB/s", 9)
              + pad("python s", 10) + pad("MB/s", 9) + pad("speed-up", 9) + "same counts")
        for (i, r) in rows.enumerated() {
            let textBytes = Double(i == 0 ? plainBytes : plainBytes * copies)
            let ours = textBytes / r.seconds / 1e6
            var line = pad(URL(fileURLWithPath: r.file).lastPathComponent, 28) + pad(fmt(Double(r.bytes) / 1e6, 2), 12)
                + pad("\(r.records)", 10) + pad(fmt(r.seconds, 4), 11) + pad(fmt(ours, 0), 9)
            if let py = r.pythonSeconds {
                line += pad(fmt(py, 4), 10) + pad(fmt(textBytes / py / 1e6, 0), 9) + pad(fmt(py / r.seconds, 1) + "x", 9)
                line += r.pythonAgrees == true ? "yes" : "NO"
            }
            print(line)
        }
        // Decompression alone, by the command line tools on the same files: the floor for the compressed rows.
        var tools: [String] = []
        for (tool, file) in [("gzip", big + ".gz"), ("zstd", big + ".zst")] {
            if let seconds = timeTool(tool, ["-dc", file], runs: runs) { tools.append("\(tool) -dc \(fmt(seconds, 4)) s") }
        }
        if !tools.isEmpty { print("decompression alone to /dev/null (best of \(runs)): " + tools.joined(separator: ", ")) }
        if !note.isEmpty { print(note) }
    }

    /// Best wall time of `tool args > /dev/null`, or nil when the tool cannot be run.
    private static func timeTool(_ tool: String, _ args: [String], runs: Int) -> Double? {
        var best = Double.infinity
        for _ in 0..<max(runs, 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            guard let r = try? ReferenceScript.launch(ReferenceScript.launcher(tool) + args, stdout: false),
                  r.status == 0 else { return nil }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    private static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    private static func fmt(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
}

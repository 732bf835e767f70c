import DataIO
import Foundation
import ProteinLM
import Transformers

/// `trellis bench embed`: protein.embed on a real proteome with a t12_35M-shaped random ESM-2 — residues/s
/// and peak RSS — next to torch CPU running extract.py-style batching (scripts/bench/torch_embed.py) in the
/// same run, and the peak RSS for the same FASTA repeated `--scale` times (memory must not grow with it).
/// Each measurement runs in its own process so that its peak RSS is its own.
enum EmbedBench {
    static let summary = "embed a proteome with a t12_35M-shaped ESM-2: residues/s and peak RSS vs torch (extract.py batching)"
    static let usage = """
    USAGE: trellis bench embed [--fasta FILE] [--limit N] [--scale K] [--no-torch] [--python PY] [--json]

      --fasta FILE   proteome to embed (default ../shared/data/proteins/proteome-938293.faa)
      --limit N      only the first N records (default: all)
      --scale K      also embed the FASTA repeated K times (labels suffixed) to compare peak RSS (default 10; 1 = skip)
      --no-torch     skip the torch reference
      --python PY    python with torch + transformers (default $TRELLIS_PYTHON, else python3)
    """

    struct Figures {
        var residues: Double
        var seconds: Double
        var peakMB: Double
        var rate: Double { residues / seconds }
    }

    static func run(_ args: inout Arguments) throws {
        if args.flag("child") { return try child(&args) }
        let fasta = try args.option("fasta") ?? "../shared/data/proteins/proteome-938293.faa"
        let limit: Int = try args.option("limit", default: 0)
        let scale: Int = try args.option("scale", default: 10)
        let torch = !args.flag("no-torch")
        let pythonOption = try args.option("python")
        let json = args.flag("json")
        try args.finish()
        guard FileManager.default.fileExists(atPath: fasta) else { throw ArgumentError.badValue("--fasta", "\(fasta) (not found)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-bench-embed-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // The base file (first `limit` records) and the scaled copy.
        let base = dir.appendingPathComponent("base.faa")
        var records: [FASTARecord] = []
        try FASTAReader(path: fasta).forEach { r in if limit == 0 || records.count < limit { records.append(r) } }
        try write(records, copies: 1, to: base)
        let scaled = dir.appendingPathComponent("scaled.faa")
        if scale > 1 { try write(records, copies: scale, to: scaled) }
        records = []
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("bench embed: \(fasta)\(limit > 0 ? " (first \(limit))" : ""), t12_35M-shaped random ESM-2, include mean, layer -1, "
              + "truncation 1022, 4096 tokens per batch; \(ProcessInfo.processInfo.activeProcessorCount) cores, load \(load)")

        let ours = try measure(base, dir: dir)
        let ref = torch ? torchReference(base, python: pythonOption) : nil
        let big = scale > 1 ? try measure(scaled, dir: dir) : nil
        if json {
            var obj: [String: Any] = ["residues": ours.residues, "seconds": ours.seconds, "residues_per_s": ours.rate, "peak_rss_mb": ours.peakMB]
            if let ref { obj["torch_residues_per_s"] = ref.rate; obj["torch_peak_rss_mb"] = ref.peakMB; obj["ratio"] = ours.rate / ref.rate }
            if let big { obj["scaled_peak_rss_mb"] = big.peakMB; obj["scaled_residues_per_s"] = big.rate; obj["scale"] = scale }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("")
        print("| run | residues | seconds | residues/s | peak RSS MB |")
        print("|---|---|---|---|---|")
        func row(_ name: String, _ f: Figures) {
            print("| \(name) | \(Int(f.residues)) | \(String(format: "%.1f", f.seconds)) | \(String(format: "%.0f", f.rate)) | \(String(format: "%.0f", f.peakMB)) |")
        }
        row("trellis", ours)
        if let ref { row("torch (extract.py batching)", ref) }
        if let big { row("trellis, FASTA × \(scale)", big) }
        if let ref { print(String(format: "throughput ratio trellis / torch: %.2f (≥ 1 wanted)", ours.rate / ref.rate)) }
        if let big { print(String(format: "peak RSS ×%d FASTA / ×1: %.2f (≤ 1.2 wanted)", scale, big.peakMB / ours.peakMB)) }
    }

    static func write(_ records: [FASTARecord], copies: Int, to url: URL) throws {
        let w = try FASTAWriter(path: url.path)
        for c in 0..<copies {
            for r in records {
                try w.write(header: copies == 1 ? r.header : "\(r.id)_copy\(c + 1) \(r.description)", sequence: r.sequence)
            }
        }
        try w.finish()
    }

    /// Runs `trellis bench embed --child` on `fasta` and reads its figures.
    static func measure(_ fasta: URL, dir: URL) throws -> Figures {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        p.arguments = ["bench", "embed", "--child", "--fasta", fasta.path, "--out", dir.appendingPathComponent("out.safetensors").path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let f = parse(data) else {
            throw ArgumentError.badValue("child run", "exit status \(p.terminationStatus): \(String(decoding: data, as: UTF8.self))")
        }
        return f
    }

    static func parse(_ data: Data) -> Figures? {
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").reversed() {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let r = (o["residues"] as? NSNumber)?.doubleValue, let s = (o["seconds"] as? NSNumber)?.doubleValue,
                  let m = (o["peak_rss_mb"] as? NSNumber)?.doubleValue else { continue }
            return Figures(residues: r, seconds: s, peakMB: m)
        }
        return nil
    }

    /// One measured embedding run in this process (the model is built before the clock starts).
    static func child(_ args: inout Arguments) throws {
        let fasta = try args.required("fasta")
        let out = URL(fileURLWithPath: try args.required("out"))
        try args.finish()
        let c = EsmConfiguration(layers: 12, hidden: 480, heads: 20, intermediate: 1920)
        let esm = try EsmForMaskedLM(config: c, weights: WeightLoader(source: RandomWeights.esm(c, seed: 3)))
        let embedder = try Embedder(model: try ProteinModel(model: esm, location: "<random t12_35M>"), options: EmbedOptions())
        let run = EmbeddingRun(embedder: embedder, fasta: fasta, output: out)
        run.progress = { n, r in if n % 200 < 8 { FileHandle.standardError.write(Data("  \(n) sequences, \(r) residues\n".utf8)) } }
        let start = Date()
        let s = try run.run()
        let seconds = Date().timeIntervalSince(start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("{\"residues\": \(s.residues), \"seconds\": \(seconds), \"peak_rss_mb\": \(Double(usage.ru_maxrss) / 1024)}")
    }

    static func torchReference(_ fasta: URL, python option: String?) -> Figures? {
        guard let reference = ReferenceScript("torch_embed.py", python: option) else {
            print("torch reference: scripts/bench/torch_embed.py not found (run from the repository root)")
            return nil
        }
        let data: Data, status: Int32
        do { (data, status) = try reference.run(["--fasta", fasta.path]) } catch {
            print("torch reference: cannot run \(reference.python) (\(error))"); return nil
        }
        guard let f = parse(data) else { print("torch reference: no figures (exit status \(status))"); return nil }
        return f
    }
}

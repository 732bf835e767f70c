import DataIO
import Formats
import Foundation
import ProteinLM
import Transformers
import CLISupport

/// `trellis bench embed`: protein.embed on a real proteome with a random ESM-2 of a real shape — wall time,
/// residues/s and peak RSS — next to transformers' EsmModel running extract.py-style batching
/// (scripts/bench/torch_embed.py) in the same run, and the peak RSS for the same FASTA repeated `--scale`
/// times (memory must not grow with it). Each measurement runs in its own child process and reports its own
/// peak RSS (getrusage(RUSAGE_SELF).ru_maxrss at its end, model construction included), so the figures compare.
enum EmbedBench {
    static let summary = "embed a proteome with a random ESM-2 (t6_8M … t33_650M): wall time and peak RSS vs torch (extract.py batching)"
    static let usage = """
    USAGE: trellis bench embed [--shape S] [--weights f32|bf16] [--fasta FILE] [--limit N] [--scale K]
                               [--no-torch] [--python PY] [--json]

      --shape S          ESM-2 shape: \(BenchShapes.esm.map(\.name).joined(separator: ", ")) (default t12_35M)
      --weights W        Trellis weight storage f32 or bf16 (default f32; torch stays F32)
      --fasta FILE       proteome to embed (default ../shared/data/proteins/proteome-938293.faa)
      --limit N          only the first N records (default: all)
      --scale K          also embed the FASTA repeated K times (labels suffixed) to compare peak RSS
                         (default 10 for t12_35M, else 1 = skip)
      --no-torch         skip the torch reference
      --python PY        python with torch + transformers (default $TRELLIS_PYTHON, else python3)

    Both sides: include mean, layer -1, truncation 1022, sorted by length, 4096 tokens per batch.
    The issue-13 headline (ESM-2 650M, first 24 proteins; about 2-3 minutes per side on 2 idle cores):
      trellis bench embed --shape t33_650M --fasta ../shared/data/proteins/proteome-938293.faa --limit 24
    """

    struct Figures {
        var residues: Double
        var seconds: Double
        var peakMB: Double
        var rate: Double { residues / seconds }
    }

    static func run(_ args: inout Arguments) throws {
        if args.flag("child") { return try child(&args) }
        let shape = try BenchShapes.list(try args.option("shape") ?? "t12_35M", option: "--shape",
                                         choices: BenchShapes.esm.map(\.name))
        guard shape.count == 1 else { throw ArgumentError.badValue("--shape", shape.joined(separator: ",") + " (one shape)") }
        let weights = try args.option("weights", default: "f32")
        guard WeightStorage(rawValue: weights) != nil else { throw ArgumentError.unknownChoice("--weights", weights, ["f32", "bf16"]) }
        let fasta = try args.option("fasta") ?? "../shared/data/proteins/proteome-938293.faa"
        let limit: Int = try args.option("limit", default: 0)
        let scale: Int = try args.option("scale", default: shape[0] == "t12_35M" ? 10 : 1)
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
        BenchHeader.print("embed", json: json)
        let header = "\(fasta)\(limit > 0 ? " (first \(limit))" : ""), \(shape[0])-shaped random ESM-2, Trellis weights \(weights), "
            + "include mean, layer -1, truncation 1022, 4096 tokens per batch; each side in its own process, "
            + "peak RSS = its own ru_maxrss"
        if json { print(header, to: &standardError) } else { print(header) }

        let ours = try measure(base, dir: dir, shape: shape[0], weights: weights)
        let ref = torch ? torchReference(base, shape: shape[0], python: pythonOption) : nil
        let big = scale > 1 ? try measure(scaled, dir: dir, shape: shape[0], weights: weights) : nil
        if json {
            var obj: [String: Any] = ["shape": shape[0], "weights": weights, "residues": ours.residues, "seconds": ours.seconds, "residues_per_s": ours.rate, "peak_rss_mb": ours.peakMB]
            if let ref {
                obj["torch_seconds"] = ref.seconds; obj["torch_residues_per_s"] = ref.rate; obj["torch_peak_rss_mb"] = ref.peakMB
                obj["ratio"] = ours.rate / ref.rate
            }
            if let big { obj["scaled_peak_rss_mb"] = big.peakMB; obj["scaled_residues_per_s"] = big.rate; obj["scale"] = scale }
            print(try BenchJSON.line(obj))
            return
        }
        print("")
        print("| run | residues | seconds | residues/s | peak RSS MB |")
        print("|---|---|---|---|---|")
        func row(_ name: String, _ f: Figures) {
            print("| \(name) | \(Int(f.residues)) | \(String(format: "%.1f", f.seconds)) | \(String(format: "%.0f", f.rate)) | \(String(format: "%.0f", f.peakMB)) |")
        }
        row("trellis (\(weights) weights)", ours)
        if let ref { row("transformers EsmModel F32 (extract.py batching)", ref) }
        if let big { row("trellis, FASTA × \(scale)", big) }
        if let ref {
            print(String(format: "speed ratio trellis / torch (torch wall / trellis wall, same residues): %.2f×", ours.rate / ref.rate))
            print(String(format: "peak RSS trellis / torch: %.2f", ours.peakMB / ref.peakMB))
        }
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
    static func measure(_ fasta: URL, dir: URL, shape: String, weights: String) throws -> Figures {
        // This executable, located portably (not /proc/self/exe); its progress on stderr is shown.
        let trellis = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        let r = try ReferenceScript.launch([trellis.path, "bench", "embed", "--child", "--shape", shape, "--weights", weights,
                                            "--fasta", fasta.path, "--out", dir.appendingPathComponent("out.safetensors").path],
                                           stderr: true)
        guard r.status == 0, let f = parse(r.data) else {
            throw ArgumentError.badValue("child run", "exit status \(r.status): \(r.text)")
        }
        return f
    }

    static func parse(_ data: Data) -> Figures? {
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").reversed() {
            guard let o = try? JSONReader.parse(Array(line.utf8)).foundation as? [String: Any],
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
        let shape = try args.required("shape")
        let storage = WeightStorage(rawValue: try args.option("weights", default: "f32")) ?? .f32
        try args.finish()
        guard let c = BenchShapes.esmConfig(shape) else {
            throw ArgumentError.unknownChoice("--shape", shape, BenchShapes.esm.map(\.name))
        }
        let esm = try EsmForMaskedLM(config: c, weights: WeightLoader(source: RandomWeights.esm(c, seed: 3), storage: storage))
        let embedder = try Embedder(model: try ProteinModel(model: esm, location: "<random \(shape)>"), options: EmbedOptions())
        let run = EmbeddingRun(embedder: embedder, fasta: fasta, output: out)
        run.progress = { n, r in if n % 200 < 8 { FileHandle.standardError.write(Data("  \(n) sequences, \(r) residues\n".utf8)) } }
        let start = Date()
        let s = try run.run()
        let seconds = Date().timeIntervalSince(start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("{\"residues\": \(s.residues), \"seconds\": \(seconds), \"peak_rss_mb\": \(Double(usage.ru_maxrss) / 1024)}")
    }

    static func torchReference(_ fasta: URL, shape: String, python option: String?) -> Figures? {
        guard let reference = ReferenceScript("torch_embed.py", python: option) else {
            print("torch reference: scripts/bench/torch_embed.py not found (run from the repository root)")
            return nil
        }
        let data: Data, status: Int32
        do { let r = try reference.run(["--fasta", fasta.path, "--shape", shape]); (data, status) = (r.data, r.status) } catch {
            print("torch reference: cannot run \(reference.interpreter) (\(error))"); return nil
        }
        guard let f = parse(data) else { print("torch reference: no figures (exit status \(status))"); return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if let o = try? JSONReader.parse(Array(line.utf8)).foundation as? [String: Any], o["torch"] != nil {
                print("torch reference: " + ModelBench.describeInfo(o), to: &standardError)
            }
        }
        return f
    }
}

import Formats
import Foundation
import Tokenizers
import CLISupport

/// `trellis bench tokenize`: tokens per second of WordPiece and byte-level BPE on a real corpus, one thread
/// and all cores, next to the Hugging Face `tokenizers` package measured on the same texts in the same run.
enum TokenizeBench {
    static let summary = "tokens/s of WordPiece and BPE vs Hugging Face tokenizers (1 thread, all cores)"
    static let usage = """
    USAGE: trellis bench tokenize [--corpus FILE] [--bert PATH] [--bpe PATH] [--repeat N] [--no-reference] [--json]

      --corpus FILE   one text per line (default: FANG titles and articles from ../shared/data/news/fang)
      --bert PATH     WordPiece tokenizer (default: ../shared/models/all-MiniLM-L6-v2/tokenizer.json)
      --bpe PATH      byte-level BPE tokenizer (default: Tests/Fixtures/tokenizers/bpe/tokenizer.json)
      --repeat N      timed passes; the best is reported (default 3)
      --no-reference  skip the Python reference ($TRELLIS_PYTHON or python3 with `tokenizers`)
    """

    struct Row { var name: String; var tokens: Int; var cold: Double; var best1: Double; var bestN: Double }

    static func run(_ args: inout Arguments) throws {
        if args.flag("help") { print(usage); return }
        let corpusPath = try args.option("corpus")
        let shared = findShared()
        let bertPath = try args.option("bert") ?? shared.map { $0 + "/models/all-MiniLM-L6-v2/tokenizer.json" }
        let bpePath = try args.option("bpe") ?? repoFile("Tests/Fixtures/tokenizers/bpe/tokenizer.json")
        let repeatCount = max(1, try args.option("repeat", default: 3))
        let noReference = args.flag("no-reference")
        let json = args.flag("json")
        try args.finish()

        let texts: [String]
        let corpusName: String
        if let corpusPath {
            guard let d = FileManager.default.contents(atPath: corpusPath) else {
                throw InputError(message: "\(corpusPath): cannot read the corpus")
            }
            texts = [UInt8](d).split(separator: 0x0A).map { String(decoding: $0.last == 0x0D ? $0.dropLast() : $0, as: UTF8.self) }
            corpusName = corpusPath
        } else if let shared, let fang = try? readFANG(shared + "/data/news/fang/fang_full_train128.csv") {
            texts = fang
            corpusName = "FANG titles+articles"
        } else {
            throw InputError(message: "no corpus: ../shared is absent; pass --corpus FILE (one text per line)")
        }
        var tokenizers: [(String, String)] = []
        if let p = bertPath, FileManager.default.fileExists(atPath: p) { tokenizers.append(("wordpiece", p)) }
        if let p = bpePath, FileManager.default.fileExists(atPath: p) { tokenizers.append(("bpe", p)) }
        guard !tokenizers.isEmpty else { throw InputError(message: "no tokenizer found; pass --bert / --bpe") }

        let cores = ProcessInfo.processInfo.activeProcessorCount
        let chars = texts.reduce(0) { $0 + $1.unicodeScalars.count }
        var rows: [Row] = []
        for (name, path) in tokenizers {
            let tok = try TokenizerLoader.load(path: path)
            var t0 = Date()
            let n = texts.reduce(0) { $0 + tok.encode($1).count }
            let cold = Date().timeIntervalSince(t0)
            var best1 = cold
            for _ in 1..<max(2, repeatCount) {
                t0 = Date()
                for t in texts { _ = tok.encode(t) }
                best1 = min(best1, Date().timeIntervalSince(t0))
            }
            var bestN = Double.infinity
            for _ in 0..<repeatCount {
                t0 = Date()
                _ = tok.encodeBatch(texts, threads: cores)
                bestN = min(bestN, Date().timeIntervalSince(t0))
            }
            rows.append(Row(name: name, tokens: n, cold: cold, best1: best1, bestN: bestN))
        }
        let reference = noReference ? [:] : runReference(texts: texts, tokenizers: tokenizers, repeatCount: repeatCount)
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?"

        if json {
            var items: [String] = []
            for r in rows {
                var s = "{\"tokenizer\":\"\(r.name)\",\"tokens\":\(r.tokens),\"swift_cold_1t\":\(r.cold),\"swift_best_1t\":\(r.best1),\"swift_best_all\":\(r.bestN)"
                if let h = reference[r.name] {
                    s += ",\"hf_tokens\":\(h.tokens),\"hf_cold_1t\":\(h.cold),\"hf_best_1t\":\(h.best1),\"hf_best_all\":\(h.bestN)"
                }
                items.append(s + "}")
            }
            print("{\"corpus\":\"\(corpusName)\",\"texts\":\(texts.count),\"chars\":\(chars),\"cores\":\(cores),\"results\":[\(items.joined(separator: ","))]}")
            return
        }
        BenchHeader.print("tokenize")
        print("corpus: \(corpusName), \(texts.count) texts, \(chars) characters; \(cores) cores; load average \(load)")
        func rate(_ n: Int, _ s: Double) -> String { String(format: "%10.0f", Double(n) / s) }
        func ratio(_ a: Double, _ b: Double?) -> String { b.map { String(format: "%6.2fx", $0 / a) } ?? "     -" }
        print("tokenizer   tokens    mode                 trellis tok/s   HF tokenizers tok/s   trellis/HF")
        for r in rows {
            let h = reference[r.name]
            if let h, h.tokens != r.tokens { print("  (warning: HF counted \(h.tokens) tokens, trellis \(r.tokens))") }
            for (mode, mine, theirs) in [("1 thread, cold cache", r.cold, h?.cold), ("1 thread, best", r.best1, h?.best1),
                                         ("\(cores) threads, best", r.bestN, h?.bestN)] {
                print("\(r.name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(String(r.tokens).padding(toLength: 9, withPad: " ", startingAt: 0)) \(mode.padding(toLength: 20, withPad: " ", startingAt: 0)) \(rate(r.tokens, mine))      \(theirs.map { rate(r.tokens, $0) } ?? "         -")           \(ratio(mine, theirs))")
            }
        }
        if reference.isEmpty && !noReference { print("(no reference: set TRELLIS_PYTHON to a python with the `tokenizers` package)") }
    }

    /// Runs scripts/bench/tokenizers_bench.py with one Rayon thread and with all cores.
    static func runReference(texts: [String], tokenizers: [(String, String)], repeatCount: Int) -> [String: Row] {
        guard let script = ReferenceScript("tokenizers_bench.py") else { return [:] }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = dir.appendingPathComponent("corpus.jsonl")
        var data = Data()
        for t in texts { data.append(contentsOf: jsonString(t).utf8); data.append(UInt8(ascii: "\n")) }
        guard (try? data.write(to: corpus)) != nil else { return [:] }
        func call(threads: String?) -> [String: [String: Any]]? {
            let arguments = ["--corpus", corpus.path, "--repeat", String(repeatCount)]
                + tokenizers.flatMap { ["--tokenizer", "\($0.0)=\($0.1)"] }
            guard let r = try? script.run(arguments, environment: threads.map { ["RAYON_NUM_THREADS": $0] } ?? [:]),
                  r.status == 0 else { return nil }
            let d = r.data
            return (try? JSONReader.parse([UInt8](d)).foundation) as? [String: [String: Any]]
        }
        guard let one = call(threads: "1"), let all = call(threads: nil) else { return [:] }
        var rows: [String: Row] = [:]
        for (name, _) in tokenizers {
            guard let a = one[name], let b = all[name] else { continue }
            func d(_ x: Any?) -> Double { (x as? NSNumber)?.doubleValue ?? .nan }
            rows[name] = Row(name: name, tokens: (a["tokens"] as? NSNumber)?.intValue ?? 0, cold: d(a["cold_1t"]),
                             best1: min(d(a["best_1t"]), d(a["best_batch"])), bestN: d(b["best_batch"]))
        }
        return rows
    }

    /// `{"text": s}` as one JSON line.
    static func jsonString(_ s: String) -> String { "{\"text\":" + JSONWriter.quoted(s) + "}" }

    /// ../shared, found through $TRELLIS_SHARED, the working directory or the repository of the executable.
    static func findShared() -> String? {
        var candidates = [ProcessInfo.processInfo.environment["TRELLIS_SHARED"], "../shared"]
        if let repo = repoRoot() { candidates.append(repo + "/../shared") }
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0 + "/data") }
    }

    static func repoRoot() -> String? {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<6 {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.fileExists(atPath: "Package.swift") ? FileManager.default.currentDirectoryPath : nil
    }

    static func repoFile(_ relative: String) -> String? {
        guard let r = repoRoot() else { return nil }
        let p = r + "/" + relative
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// Titles and contents of a FANG `full_train` CSV (header news_id,label,title,content; RFC 4180 quoting).
    static func readFANG(_ path: String) throws -> [String] {
        guard let d = FileManager.default.contents(atPath: path) else { throw InputError(message: "\(path): unreadable") }
        let bytes = [UInt8](d)
        var rows: [[String]] = [], row: [String] = [], field: [UInt8] = []
        var i = 0, quoted = false
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == 0x22 {
                    if i + 1 < bytes.count && bytes[i + 1] == 0x22 { field.append(0x22); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == 0x22 { quoted = true }
            else if c == 0x2C { row.append(String(decoding: field, as: UTF8.self)); field = [] }
            else if c == 0x0A {
                row.append(String(decoding: field, as: UTF8.self)); field = []
                rows.append(row); row = []
            } else if c != 0x0D { field.append(c) }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(String(decoding: field, as: UTF8.self)); rows.append(row) }
        guard let header = rows.first, let ti = header.firstIndex(of: "title"), let ci = header.firstIndex(of: "content") else {
            throw InputError(message: "\(path):1: expected a header with title and content")
        }
        return rows.dropFirst().filter { $0.count > max(ti, ci) }.flatMap { [$0[ti], $0[ci]] }
    }
}

import DataIO
import Foundation
import PipelineEngine
import Tensors

/// `fasta.filter`: keeps records by length and id pattern.
struct FastaFilterStage: StageType {
    let name = "fasta.filter"
    let version = 1
    let summary = "keep FASTA records whose length and id match"
    let parameters: [ParameterSpec] = [
        ParameterSpec("input", .path, required: true, doc: "FASTA file to read (.gz/.zst accepted)"),
        .output(writing: "the kept records"),
        ParameterSpec("min_length", .int, default: .int(0), doc: "shortest sequence kept, in residues"),
        ParameterSpec("max_length", .int, doc: "longest sequence kept, in residues (default: no limit)"),
        ParameterSpec("id_regex", .string, doc: "keep only ids matching this regular expression"),
        ParameterSpec("strip_stop", .bool, default: .bool(false), doc: "remove a trailing '*' before measuring and writing"),
    ]
    let outputs = [OutputSpec("fasta", doc: "the kept records"), OutputSpec("count", doc: "number of records kept")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        var out: [(String, String)] = []
        if let r = p.string("id_regex"), (try? NSRegularExpression(pattern: r)) == nil {
            out.append(("id_regex", "'\(r)' is not a valid regular expression"))
        }
        if let lo = p.int("min_length"), let hi = p.int("max_length"), hi < lo {
            out.append(("max_length", "max_length \(hi) is below min_length \(lo)"))
        }
        return out
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let minLength = p.int("min_length") ?? 0, maxLength = p.int("max_length") ?? Int.max
        let regex = try p.string("id_regex").map { try NSRegularExpression(pattern: $0) }
        let strip = p.bool("strip_stop") ?? false
        let reader = try FASTAReader(path: p.url("input")!.path)
        let destination = context.destination("fasta", internalFile: "filtered.faa")
        let writer = try FASTAWriter(path: destination.path)
        var seen = 0, kept = 0
        do {
            try reader.forEach { r in
                seen += 1
                var sequence = r.sequence
                if strip && sequence.hasSuffix("*") { sequence.removeLast() }
                let n = sequence.utf8.count
                if n >= minLength && n <= maxLength,
                   regex.map({ $0.firstMatch(in: r.id, range: NSRange(r.id.startIndex..., in: r.id)) != nil }) ?? true {
                    try writer.write(header: r.header, sequence: sequence)
                    kept += 1
                }
                if seen % 1000 == 0 { context.progress(done: seen, total: nil, unit: "sequences") }
            }
            try writer.finish()
        } catch {
            writer.cancel()
            throw error
        }
        context.progress(done: seen, total: seen, unit: "sequences")
        context.log("kept \(kept) of \(seen) records")
        context.output("count", text: String(kept))
    }
}

/// `fasta.split`: N deterministic parts.
struct FastaSplitStage: StageType {
    let name = "fasta.split"
    let version = 1
    let summary = "split a FASTA file into N parts, deterministically"
    let parameters: [ParameterSpec] = [
        ParameterSpec("input", .path, required: true, doc: "FASTA file to split"),
        ParameterSpec("parts", .int, required: true, doc: "number of parts (≥ 1)"),
        ParameterSpec("mode", .choice(["contiguous", "round-robin"]), default: .string("contiguous"),
                      doc: "contiguous: consecutive runs of near-equal size; round-robin: record i goes to part i mod N"),
    ]
    let outputs = [OutputSpec("parts", doc: "the part files, in order (part-001-of-N.faa, …)")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        if let n = p.int("parts"), n < 1 || n > 100_000 { return [("parts", "expects 1 to 100000 parts, got \(n)")] }
        return []
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let n = p.int("parts")!
        let input = p.url("input")!.path
        let width = max(3, String(n).count)
        func pad(_ k: Int) -> String { String(repeating: "0", count: max(0, width - String(k).count)) + String(k) }
        let names = (1...n).map { "part-\(pad($0))-of-\(pad(n)).faa" }
        let urls = context.output("parts", files: names)
        var total = 0
        if p.string("mode") == "contiguous" { try FASTAReader(path: input).forEach { _ in total += 1 } }
        let writers = try urls.map { try FASTAWriter(path: $0.path) }
        do {
            var i = 0
            try FASTAReader(path: input).forEach { r in
                // Contiguous: part k gets records [k*total/n, (k+1)*total/n).
                let part = total > 0 ? min(n - 1, (i * n) / total) : i % n
                try writers[part].write(r)
                i += 1
                if i % 1000 == 0 { context.progress(done: i, total: total > 0 ? total : nil, unit: "sequences") }
            }
            for w in writers { try w.finish() }
            context.progress(done: i, total: i, unit: "sequences")
            context.log("split \(i) records into \(n) parts")
        } catch {
            for w in writers { w.cancel() }
            throw error
        }
    }
}

/// `fasta.sample`: n records chosen uniformly with a seed, kept in input order.
struct FastaSampleStage: StageType {
    let name = "fasta.sample"
    let version = 1
    let summary = "sample n FASTA records uniformly (seeded, input order kept)"
    let parameters: [ParameterSpec] = [
        ParameterSpec("input", .path, required: true, doc: "FASTA file to sample from"),
        ParameterSpec("n", .int, required: true, doc: "number of records to keep (all if the file has fewer)"),
        ParameterSpec("seed", .int, default: .int(0), doc: "random seed; the same seed gives the same sample"),
        .output(writing: "the sample"),
    ]
    let outputs = [OutputSpec("fasta", doc: "the sampled records")]

    func validate(_ p: TypedParameters) -> [(parameter: String, message: String)] {
        if let n = p.int("n"), n < 0 { return [("n", "expects n ≥ 0, got \(n)")] }
        return []
    }

    func run(_ context: StageContext) throws {
        let p = context.parameters
        let n = p.int("n")!
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(p.int("seed") ?? 0)))
        // Reservoir sampling (algorithm R) over record indices, then a second pass in input order.
        var reservoir: [(Int, FASTARecord)] = []
        var i = 0
        try FASTAReader(path: p.url("input")!.path).forEach { r in
            if reservoir.count < n { reservoir.append((i, r)) }
            else {
                let j = Int(rng.next() % UInt64(i + 1))
                if j < n { reservoir[j] = (i, r) }
            }
            i += 1
        }
        reservoir.sort { $0.0 < $1.0 }
        let writer = try FASTAWriter(path: context.destination("fasta", internalFile: "sample.faa").path)
        do {
            for (_, r) in reservoir { try writer.write(r) }
            try writer.finish()
        } catch { writer.cancel(); throw error }
        context.progress(done: i, total: i, unit: "sequences")
        context.log("sampled \(reservoir.count) of \(i) records")
    }
}

import Foundation
import Tensors
import Transformers
import CLISupport

/// `trellis bench model`: ESM-2-shaped forward passes and xTrimoPGLM-shaped decoding with random weights in
/// the real layout, next to torch CPU timing the same shapes in the same run (scripts/bench/torch_model.py).
enum ModelBench {
    static let summary = "transformer forward (ESM-2 t6_8M … t33_650M) and decode (xTrimoPGLM 12×768, 1B) vs torch"
    static let usage = """
    USAGE: trellis bench model [--shape S,...] [--decode-shape D,...] [--weights f32,bf16] [--lengths L,...]
                               [--batches B,...] [--decode-batches B,...] [--new-tokens N] [--rounds N]
                               [--threads N] [--quick]
                               [--no-forward] [--no-decode] [--no-reference] [--profile] [--json]

      --shape S,...         ESM-2 forward shapes: \(BenchShapes.esm.map(\.name).joined(separator: ", "))
                            (default t6_8M,t12_35M; --models is the same option)
      --decode-shape D,...  xTrimoPGLM decode shapes: 12x768, 1B (24 layers, hidden 2048, 32 heads × 64,
                            GeGLU FFN 5461) (default 12x768)
      --weights W,...       weight storage, f32 and/or bf16 (default: forward f32, decode f32,bf16)
      --lengths L,...       forward sequence lengths (default 128,512)
      --batches B,...       forward batch sizes (default 1,8)
      --decode-batches B,...  sequences decoded together, each with its own 32-token prompt, one token
                            each per step (default 1); tok/s counts every sequence's tokens
      --new-tokens N        greedy decode steps after a 32-token prompt (default 64; 16 for 1B)
      --rounds N            alternate Trellis and torch N times per row; each side's figure is its best
                            over all rounds, so a quiet or noisy minute hits both sides alike (default 1)
      --profile             after timing each forward row, run it once more under the profiler and print
                            wall time per operation class (stderr; not part of the timed figure)

    Every token is real (no padding). torch runs each row right after Trellis, in a child process, with
    OpenMP threads spinning (its default) unless other processes already kept the cores busy when the bench
    started (then OMP_WAIT_POLICY=PASSIVE, which a shared machine needs; see scripts/bench/torch_model.py).
    The default run takes about 3-5 minutes on 2 cores. ESM-2 650M figures (about 10 minutes on 2 idle cores):
      trellis bench model --shape t33_650M --lengths 512 --batches 1,8 --no-decode
    and the 1B decode: trellis bench model --decode-shape 1B --no-forward --new-tokens 16
    """

    struct Row {
        var key: String
        var label: String
        var seconds: Double
        var tokensPerSecond: Double
    }

    struct Options {
        var shapes: [String] = ["t6_8M", "t12_35M"]
        var decodeShapes: [String] = ["12x768"]
        var forwardWeights: [WeightStorage] = [.f32]
        var decodeWeights: [WeightStorage] = [.f32, .bf16]
        var lengths = [128, 512]
        var batches = [1, 8]
        var decodeBatches = [1]
        var newTokens: Int? = nil
        var rounds = 1
        var quick = false
        var json = false
        var noReference = false
        var noForward = false
        var noDecode = false
        var profile = false
        var threads = Parallel.threadCount
    }

    static func parse(_ args: inout Arguments) throws -> Options {
        var o = Options()
        o.quick = args.flag("quick")
        o.json = args.flag("json")
        o.noReference = args.flag("no-reference")
        o.noDecode = args.flag("no-decode")
        o.noForward = args.flag("no-forward")
        o.profile = args.flag("profile")
        o.threads = try ThreadsOption.parse(&args, default: Parallel.threadCount)
        let esmNames = BenchShapes.esm.map(\.name)
        if let s = try args.option("shape") ?? args.option("models") {
            o.shapes = try BenchShapes.list(s, option: "--shape", choices: esmNames)
        }
        if let s = try args.option("decode-shape") {
            o.decodeShapes = try BenchShapes.list(s, option: "--decode-shape", choices: BenchShapes.pglm.map(\.name))
        }
        if let w = try args.option("weights") {
            o.forwardWeights = try BenchShapes.storages(w)
            o.decodeWeights = o.forwardWeights
        }
        if let l = try args.option("lengths") { o.lengths = try BenchShapes.integers(l, option: "--lengths") }
        if let b = try args.option("batches") { o.batches = try BenchShapes.integers(b, option: "--batches") }
        if let b = try args.option("decode-batches") {
            o.decodeBatches = try BenchShapes.integers(b, option: "--decode-batches")
        }
        if let r = try args.option("rounds") {
            guard let v = Int(r), v > 0 else { throw ArgumentError.badValue("--rounds", r) }
            o.rounds = v
        }
        if let n = try args.option("new-tokens") {
            guard let v = Int(n), v > 0 else { throw ArgumentError.badValue("--new-tokens", n) }
            o.newTokens = v
        }
        try args.finish()
        return o
    }

    static func run(_ args: inout Arguments) throws {
        let o = try parse(&args)
        setvbuf(stdout, nil, _IOLBF, 0)   // show each row as it is measured, also when piped
        Parallel.threadCount = max(1, o.threads)
        var rows: [Row] = []
        var reference: [String: Row] = [:]
        // torch's OpenMP wait policy, decided once from what else runs now: the load average would count this
        // benchmark's own last minutes and make every later torch child passive (slower) on an idle machine.
        let others = o.noReference ? nil : BenchHeader.otherRunnable()
        let ompWait = (others ?? 0) >= Double(ProcessInfo.processInfo.activeProcessorCount) ? "passive" : "active"
        // Each round times Trellis, then torch right after it, so both see about the same machine load; each
        // side keeps its best time over the rounds.
        func measure(_ key: String, label: String, tokens: Int, torchArguments: [String],
                     trellis: () throws -> Double) rethrows {
            var seconds = Double.infinity
            for _ in 0..<o.rounds {
                seconds = min(seconds, try trellis())
                if o.noReference { continue }
                let t = torchReference(threads: Parallel.threadCount, quick: o.quick,
                                       arguments: torchArguments + ["--omp-wait", ompWait])
                for (k, row) in t where reference[k].map({ row.seconds < $0.seconds }) ?? true { reference[k] = row }
            }
            let r = Row(key: key, label: label, seconds: seconds, tokensPerSecond: Double(tokens) / seconds)
            rows.append(r)
            let t = reference[r.key]
            if !o.json {
                let torch = t.map { String(format: "   torch %9.4f s %10.1f tok/s   ratio %.2f×", $0.seconds,
                                           $0.tokensPerSecond, r.tokensPerSecond / $0.tokensPerSecond) } ?? ""
                print(String(format: "  %-48@ %9.4f s %10.1f tok/s", r.label as NSString, r.seconds, r.tokensPerSecond) + torch)
            }
        }
        BenchHeader.print("model", json: o.json)
        if !o.noReference {
            let line = "torch OpenMP wait policy: \(ompWait) (other runnable processes at start: "
                + (others.map { String(format: "%.1f", $0) } ?? "unknown") + "); \(o.rounds) round(s) per row"
            if o.json { print(line, to: &standardError) } else { print(line) }
        }
        if !o.noForward {
            for name in o.shapes {
                guard let config = BenchShapes.esmConfig(name) else { continue }
                for storage in o.forwardWeights {
                    let model = try EsmForMaskedLM(config: config,
                                                   weights: WeightLoader(source: RandomWeights.esm(config), storage: storage))
                    for length in o.lengths {
                        for batch in o.batches {
                            if o.quick && batch > 1 && length > 128 { continue }
                            let input = esmInput(batch: batch, length: length)
                            let reps = o.quick ? 2 : (batch * length >= 4096 ? 3 : 5)
                            let w = storage.rawValue
                            try measure("forward/\(name)/\(w)/\(batch)/\(length)",
                                        label: "forward \(name) \(w) batch \(batch) length \(length)",
                                        tokens: batch * length,
                                        torchArguments: ["--shape", name, "--weights", w, "--batches", "\(batch)",
                                                         "--lengths", "\(length)", "--no-decode"]) {
                                try best(warmup: 1, reps: reps) {
                                    _ = try model.forward(input, options: ForwardOptions(hiddenStates: false))
                                }
                            }
                            if o.profile {
                                let session = ProfileSession()
                                _ = try model.forward(input, options: ForwardOptions(hiddenStates: false))
                                print("profile: forward \(name) batch \(batch) length \(length)\n"
                                      + session.finish().table(), to: &standardError)
                            }
                        }
                    }
                }
            }
        }
        if !o.noDecode {
            for name in o.decodeShapes {
                guard let config = BenchShapes.pglmConfig(name) else { continue }
                let steps = o.newTokens ?? (name == "1B" ? 16 : 64)
                for storage in o.decodeWeights {
                    let model = try PGLMForLM(config: config, weights: WeightLoader(source: RandomWeights.pglm(config),
                                                                                    storage: storage))
                    let w = storage.rawValue
                    for batch in o.decodeBatches {
                        // Batch 1 keeps the key and label it always had.
                        let suffix = batch == 1 ? "" : "/\(batch)", shown = batch == 1 ? "" : " batch \(batch)"
                        var prefill = Double.infinity
                        try measure("decode/\(name)/\(w)" + suffix, label: "decode \(name) \(w)" + shown,
                                    tokens: steps * batch,
                                    torchArguments: ["--no-forward", "--decode-shape", name, "--weights", w,
                                                     "--new-tokens", "\(steps)", "--decode-batches", "\(batch)"]) {
                            let (s, p) = try decodeTime(model, steps: steps, batch: batch, reps: o.quick ? 1 : 3)
                            prefill = min(prefill, p)
                            return s
                        }
                        if !o.json {
                            print(String(format: "    (decode \(name) \(w)\(shown): best prefill of the 32-token prompt%@ %.3f s)",
                                         batch == 1 ? "" : "s", prefill))
                        }
                    }
                }
            }
        }
        printTable(rows, reference: reference, json: o.json)
    }

    /// Every token real: `<cls>` + random residues + `<eos>`.
    static func esmInput(batch: Int, length: Int) -> TokenBatch {
        var rng = SeededRandom(seed: 1)
        var ids: [Int32] = []
        for _ in 0..<batch {
            ids.append(0)
            for _ in 0..<max(0, length - 2) { ids.append(Int32(4 + rng.next() % 20)) }
            if length > 1 { ids.append(2) }
        }
        return TokenBatch(batch: batch, length: length, ids: ids, attentionMask: Array(repeating: 1, count: ids.count))
    }

    /// Best time of `steps` greedy decode steps of `batch` sequences, each after its own 32-token CLM prompt,
    /// and the prefill time.
    static func decodeTime(_ model: PGLMForLM, steps: Int, batch count: Int, reps: Int) throws -> (Double, Double) {
        var rng = SeededRandom(seed: 2)
        let prompts: [[Int]] = (0..<count).map { _ in [29, 32, 34] + (0..<29).map { _ in Int(1 + rng.next() % 25) } }
        let batch = TokenBatch(sequences: prompts, padId: 0)
        let cache = model.makeCache(batch: count, capacity: 32 + steps)
        let vocabulary = model.vocabularySize
        var bestDecode = Double.infinity, bestPrefill = Double.infinity
        for round in 0...reps {   // round 0 warms up
            var t0 = DispatchTime.now().uptimeNanoseconds
            var logits = try model.prefill(batch, mode: .clm, cache: cache)
            let prefill = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps {
                let next: [Int32] = (0..<count).map { b in
                    let row = b * vocabulary
                    var best = 0
                    for i in 1..<36 where logits[row + i] > logits[row + best] { best = i }
                    return Int32(best)
                }
                logits = try model.decode(next, cache: cache)
            }
            let decode = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if round > 0 { bestDecode = min(bestDecode, decode); bestPrefill = min(bestPrefill, prefill) }
        }
        return (bestDecode, bestPrefill)
    }

    static func best(warmup: Int, reps: Int, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<warmup { try body() }
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return best
    }
}

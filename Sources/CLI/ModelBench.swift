import Foundation
import Tensors
import Transformers

/// `trellis bench model`: ESM-2-shaped forward passes and xTrimoPGLM-shaped decoding with random weights,
/// next to torch CPU timing the same shapes in the same run (scripts/bench/torch_model.py).
enum ModelBench {
    static let summary = "transformer forward (ESM-2 t6_8M, t12_35M) and decode (xTrimoPGLM 12×768, F32/BF16) vs torch"

    struct Row {
        var key: String
        var label: String
        var seconds: Double
        var tokensPerSecond: Double
    }

    static func run(_ args: inout Arguments) throws {
        let quick = args.flag("quick")
        let json = args.flag("json")
        let noReference = args.flag("no-reference")
        let threads = try ThreadsOption.parse(&args, default: Parallel.threadCount)
        let models = try args.option("models", default: "t6_8M,t12_35M").split(separator: ",").map(String.init)
        let noDecode = args.flag("no-decode")
        let noForward = args.flag("no-forward")
        try args.finish()
        setvbuf(stdout, nil, _IOLBF, 0)   // show each row as it is measured, also when piped
        Parallel.threadCount = max(1, threads)
        let shapes: [String: EsmConfiguration] = [
            "t6_8M": EsmConfiguration(layers: 6, hidden: 320, heads: 20, intermediate: 1280),
            "t12_35M": EsmConfiguration(layers: 12, hidden: 480, heads: 20, intermediate: 1920),
        ]
        for m in models where shapes[m] == nil { throw ArgumentError.badValue("--models", m) }
        var rows: [Row] = []
        var reference: [String: Row] = [:]
        // torch times each shape right after trellis does, so both see about the same machine load
        // (its decode run covers F32 and BF16 at once).
        func report(_ r: Row, torchArguments: [String]) {
            rows.append(r)
            if !noReference && reference[r.key] == nil {
                reference.merge(torchReference(threads: Parallel.threadCount, quick: quick, arguments: torchArguments)) { $1 }
            }
            let t = reference[r.key]
            if !json {
                let torch = t.map { String(format: "   torch %9.4f s %10.1f tok/s   ratio %.2f×", $0.seconds,
                                           $0.tokensPerSecond, r.tokensPerSecond / $0.tokensPerSecond) } ?? ""
                print(String(format: "  %-40@ %9.4f s %10.1f tok/s", r.label as NSString, r.seconds, r.tokensPerSecond) + torch)
            }
        }
        if !json { print("trellis bench model — \(Parallel.threadCount) thread(s), load \(loadAverage())") }
        if !noForward {
            for name in models {
                let model = try EsmForMaskedLM(config: shapes[name]!,
                                               weights: WeightLoader(source: RandomWeights.esm(shapes[name]!)))
                for length in [128, 512] {
                    for batch in [1, 8] {
                        if quick && batch > 1 && length > 128 { continue }
                        let input = esmInput(batch: batch, length: length)
                        let reps = quick ? 2 : (batch * length >= 4096 ? 3 : 5)
                        let s = try best(warmup: 1, reps: reps) {
                            _ = try model.forward(input, options: ForwardOptions(hiddenStates: false))
                        }
                        report(Row(key: "forward/\(name)/\(batch)/\(length)", label: "forward \(name) batch \(batch) length \(length)",
                                   seconds: s, tokensPerSecond: Double(batch * length) / s),
                               torchArguments: ["--models", name, "--batches", "\(batch)", "--lengths", "\(length)", "--no-decode"])
                    }
                }
            }
        }
        if !noDecode {
            for storage in [WeightStorage.f32, .bf16] {
                let config = PGLMConfiguration(layers: 12, hidden: 768, heads: 12, ffn: 2048)
                let model = try PGLMForLM(config: config, weights: WeightLoader(source: RandomWeights.pglm(config),
                                                                                storage: storage))
                let (s, prefill) = try decodeTime(model, reps: quick ? 1 : 3)
                report(Row(key: "decode/\(storage.rawValue)", label: "decode 12x768 \(storage.rawValue) (prefill \(String(format: "%.3f", prefill)) s)",
                           seconds: s, tokensPerSecond: 64 / s),
                       torchArguments: ["--no-forward"])
            }
        }
        printTable(rows, reference: reference, json: json)
    }

    /// Every token real: `<cls>` + random residues + `<eos>`.
    static func esmInput(batch: Int, length: Int) -> TokenBatch {
        var rng = SeededRandom(seed: 1)
        var ids: [Int32] = []
        for _ in 0..<batch {
            ids.append(0)
            for _ in 0..<(length - 2) { ids.append(Int32(4 + rng.next() % 20)) }
            ids.append(2)
        }
        return TokenBatch(batch: batch, length: length, ids: ids, attentionMask: Array(repeating: 1, count: ids.count))
    }

    /// Best time of 64 greedy decode steps after a 32-token CLM prompt, and the prefill time.
    static func decodeTime(_ model: PGLMForLM, reps: Int) throws -> (Double, Double) {
        var rng = SeededRandom(seed: 2)
        let prompt: [Int] = [29, 32, 34] + (0..<29).map { _ in Int(1 + rng.next() % 25) }
        let batch = TokenBatch(sequences: [prompt], padId: 0)
        let cache = model.makeCache(batch: 1, capacity: 32 + 64)
        var bestDecode = Double.infinity, bestPrefill = Double.infinity
        for round in 0...reps {   // round 0 warms up
            var t0 = DispatchTime.now().uptimeNanoseconds
            var logits = try model.prefill(batch, mode: .clm, cache: cache)
            let prefill = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<64 {
                let next = Int32(logits[0..<36].indices.max { logits[$0] < logits[$1] }!)
                logits = try model.decode([next], cache: cache)
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

    static func loadAverage() -> String {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return "unknown" }
        return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}

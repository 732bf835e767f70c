import Foundation
import Tensors
import CLISupport

/// `trellis bench gemm`: GFLOP/s of the Tensors GEMM for transformer shapes at 1 thread and at all
/// cores, next to numpy's sgemm for the same shape and threads measured in the same run.
enum GemmBench {
    static let name = "gemm"
    static let summary = "GFLOP/s of C = A·Bᵀ for transformer shapes, next to numpy+BLAS when available"
    static let usage = """
    USAGE: trellis bench gemm [--json] [--rounds N] [--threads T,...] [--rows M,...] [--sizes KxN,...]
                              [--no-reference] [--python PATH] [--attention] [--decode] [--few-rows]
                              [--cpu-time] [--min-seconds S]

    Times gemm (A [M,K] · Bᵀ, B [N,K], packing included like BLAS), linear with weights packed once
    (F32 and BF16 storage) for M in {1, 128, 512} × (K, N) in {(768,768), (768,3072), (3072,768)}.
    --rows and --sizes replace those lists; ESM-2 650M's projections, for example:
      trellis bench gemm --rows 512 --sizes 1280x1280,1280x5120,5120x1280
    Each figure is the best of N rounds (default 3) of repeated runs; rounds alternate between Trellis
    and the reference so both see the same machine load.
    The reference runs scripts/bench/numpy_gemm.py with $TRELLIS_PYTHON (else python3) when numpy is
    importable, with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS set and OPENBLAS_CORETYPE unset.
    --json prints one object per line: {"m":512,"k":768,"n":3072,"threads":2,"gflops":201.3,...}.
    --cpu-time times 1-thread runs (both sides) with the thread CPU clock, discounting time slices lost
    to other processes on a loaded machine; --min-seconds sets how long each figure is sampled (0.15).
    --attention adds batched Q·Kᵀ / P·V GEMMs (12 heads, head dim 16 and 64); --decode adds batch-1
    linear over 604 MB of weights (out of cache), F32 against BF16 storage. --few-rows adds the unpacked
    few-row path's shapes, M in {1, 2, 3, 4} × (K, N) in {(64, 512), (64, 1024), (768, 768)}: decoding
    attention's q·Kᵀ (one head, head dim 64, 512 or 1024 cached keys) and a batch-1 projection.
    """

    struct Shape: Hashable { let m, k, n: Int }
    struct Key: Hashable { let shape: Shape; let threads: Int }
    struct Figures { var gemm = 0.0, linear = 0.0, linearBF16 = 0.0, reference: Double? = nil }

    static func run(_ args: inout Arguments) throws {
        if args.flag("help") { print(usage); return }
        let json = args.flag("json")
        let rounds = try args.option("rounds", default: 3)
        let noReference = args.flag("no-reference")
        let withAttention = args.flag("attention")
        let withDecode = args.flag("decode")
        let withFewRows = args.flag("few-rows")
        cpuTime = args.flag("cpu-time")
        minSeconds = try args.option("min-seconds", default: 0.15)
        let python = try args.option("python")
        var ms = [1, 128, 512]
        if let list = try args.option("rows") {
            ms = try list.split(separator: ",").map {
                guard let m = Int($0), m > 0 else { throw ArgumentError.badValue("--rows", list) }
                return m
            }
        }
        var sizes = [(768, 768), (768, 3072), (3072, 768)]
        if let list = try args.option("sizes") {
            sizes = try list.split(separator: ",").map { item in
                let parts = item.split(separator: "x", omittingEmptySubsequences: false)
                guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), k > 0, n > 0 else {
                    throw ArgumentError.problem("--sizes", "'\(item)' is not KxN with positive K and N (e.g. 1280x5120)")
                }
                return (k, n)
            }
        }
        let cores = Parallel.defaultThreadCount
        var threadCounts = Array(Set([1, cores])).sorted()
        if let list = try args.option("threads") {
            threadCounts = try list.split(separator: ",").map {
                guard let t = Int($0), t > 0 else { throw ArgumentError.badValue("--threads", list) }
                return t
            }
        }
        try args.finish()

        var shapes = ms.flatMap { m in
            sizes.map { Shape(m: m, k: $0.0, n: $0.1) }
        }
        if withFewRows {
            for m in 1...4 {
                for (k, n) in [(64, 512), (64, 1024), (768, 768)] where !shapes.contains(Shape(m: m, k: k, n: n)) {
                    shapes.append(Shape(m: m, k: k, n: n))
                }
            }
        }
        let reference = noReference ? nil : NumpyReference.locate(python: python)
        BenchHeader.print("gemm — \(ProcessInfo.processInfo.hostName)", threads: threadCounts.max() ?? cores, json: json)
        if !json {
            print("lin-bf16: " + (CPU.useAVX512BF16 && CPU.useAVX512 ? "AVX512_BF16 kernel (bf16 activations, F32 sums)"
                                                                      : "BF16 weights widened to F32"))
            print(reference.map { "reference: \($0.description) (OPENBLAS_CORETYPE \(BenchHeader.referenceEnvironment["OPENBLAS_CORETYPE"] ?? "unset"))" }
                ?? (noReference ? "reference: skipped (--no-reference)"
                                : "reference: none (no python with numpy; set TRELLIS_PYTHON)"))
        }
        var results: [Key: Figures] = [:]
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for round in 0..<max(1, rounds) {
            for threads in threadCounts {
                Parallel.threadCount = threads
                for shape in shapes {
                    let f = measure(shape)
                    var r = results[Key(shape: shape, threads: threads)] ?? Figures()
                    r.gemm = max(r.gemm, f.gemm)
                    r.linear = max(r.linear, f.linear)
                    r.linearBF16 = max(r.linearBF16, f.linearBF16)
                    results[Key(shape: shape, threads: threads)] = r
                }
                if let reference, let ref = reference.measure(shapes: shapes.map { ($0.m, $0.k, $0.n) }, threads: threads,
                                                              cpuTime: cpuTime && threads == 1, minSeconds: minSeconds) {
                    for (shape, g) in zip(shapes, ref) {
                        let key = Key(shape: shape, threads: threads)
                        let previous = results[key]?.reference ?? 0
                        results[key]?.reference = max(previous, g)
                    }
                }
            }
            if !json { print("round \(round + 1)/\(rounds) done", to: &standardError) }
        }
        if !json {
            print("    M     K     N  thr    gemm  linear  lin-bf16   numpy  gemm/numpy  linear/numpy")
        }
        for threads in threadCounts {
            for shape in shapes {
                let r = results[Key(shape: shape, threads: threads)]!
                if json {
                    var line = "{\"m\":\(shape.m),\"k\":\(shape.k),\"n\":\(shape.n),\"threads\":\(threads),"
                    line += "\"gflops\":\(fmt(r.gemm)),\"linear_gflops\":\(fmt(r.linear)),"
                    line += "\"linear_bf16_gflops\":\(fmt(r.linearBF16))"
                    if let ref = r.reference { line += ",\"numpy_gflops\":\(fmt(ref)),\"ratio\":\(fmt(r.gemm / ref, 3))" }
                    print(line + "}")
                } else {
                    let ref = r.reference.map { pad(fmt($0), 7) } ?? pad("-", 7)
                    let ratio = r.reference.map { pad(fmt(100 * r.gemm / $0, 0) + "%", 11) } ?? pad("-", 11)
                    let lratio = r.reference.map { pad(fmt(100 * r.linear / $0, 0) + "%", 13) } ?? pad("-", 13)
                    print("\(pad(shape.m, 5)) \(pad(shape.k, 5)) \(pad(shape.n, 5)) \(pad(threads, 4)) "
                        + "\(pad(fmt(r.gemm), 7)) \(pad(fmt(r.linear), 7)) \(pad(fmt(r.linearBF16), 9)) \(ref) \(ratio) \(lratio)")
                }
            }
        }
        if !json {
            print("GFLOP/s, best of \(rounds) rounds\(cpuTime ? " (1 thread: thread CPU time)" : ""); load average now \(loadAverage())")
        }
        if withAttention { attention(threads: threadCounts, rounds: rounds, json: json) }
        if withDecode { decode(threads: threadCounts, rounds: rounds, json: json) }
    }

    /// Best GFLOP/s of gemm, linear (F32 panels) and linear (BF16 panels) for one shape.
    static func measure(_ s: Shape) -> (gemm: Double, linear: Double, linearBF16: Double) {
        var state: UInt64 = 0x1234_5678
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
        let x = (0..<(s.m * s.k)).map { _ in next() }
        let w = (0..<(s.n * s.k)).map { _ in next() }
        var out = [Float](repeating: 0, count: s.m * s.n)
        let flops = 2.0 * Double(s.m) * Double(s.k) * Double(s.n)
        let g = best(flops) {
            gemm(transposeA: false, transposeB: true, m: s.m, n: s.n, k: s.k, a: x, lda: s.k, b: w, ldb: s.k,
                 c: &out, ldc: s.n)
        }
        let packed = PackedWeights(w, outFeatures: s.n, inFeatures: s.k)
        let l = best(flops) { linear(x, rows: s.m, weights: packed, bias: nil, out: &out) }
        let packedBF16 = PackedWeights(w, outFeatures: s.n, inFeatures: s.k, storage: .bf16)
        let lb = best(flops) { linear(x, rows: s.m, weights: packedBF16, bias: nil, out: &out) }
        return (g, l, lb)
    }

    /// `--cpu-time`: time 1-thread runs with the thread's CPU clock (both sides), so time slices lost
    /// to other processes on a loaded machine do not count. Multi-threaded runs always use wall time.
    nonisolated(unsafe) static var cpuTime = false
    /// `--min-seconds`: each figure is the best of ≥ 5 runs spanning at least this long.
    nonisolated(unsafe) static var minSeconds = 0.15

    /// GFLOP/s of the fastest of at least 5 runs spanning at least `minSeconds` (after one warm-up run).
    /// A run is as many calls as take ~50 µs, so that microsecond shapes are not timed below the
    /// clocks' resolution (the thread CPU clock read 0 ns for a 1 × 64 × 512 call here).
    static func best(_ flops: Double, _ body: () -> Void) -> Double {
        body()
        // Sized from a warm call: a cold first call (page faults, idle workers waking) sized runs of 1 call.
        let w0 = DispatchTime.now().uptimeNanoseconds
        body()
        let once = Double(DispatchTime.now().uptimeNanoseconds - w0)
        let calls = max(1, min(10_000, Int(50_000 / max(once, 1))))
        let useCPU = cpuTime && Parallel.threadCount == 1
        func now() -> Double {
            if useCPU {
                var ts = timespec()
                clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
                return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
            }
            return Double(DispatchTime.now().uptimeNanoseconds)
        }
        var fastest = Double.infinity
        var reps = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while reps < 5 || Double(DispatchTime.now().uptimeNanoseconds - start) < minSeconds * 1e9 {
            let t0 = now()
            for _ in 0..<calls { body() }
            // A run the clock saw as taking no time (the thread CPU clock once read 0 ns across a few
            // microsecond calls here, printing 'inf') is not a measurement.
            let elapsed = now() - t0
            if elapsed > 0 { fastest = min(fastest, elapsed / Double(calls)) }
            reps += 1
        }
        return fastest.isFinite ? flops / fastest : 0
    }

    static func fmt(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }
    static func pad(_ v: Any, _ width: Int) -> String {
        let s = "\(v)"
        return s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
            .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}

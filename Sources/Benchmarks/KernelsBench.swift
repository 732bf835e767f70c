import Foundation
import Tensors
import CLISupport

/// `trellis bench kernels`: nanoseconds per element of each vectorised kernel next to its scalar
/// reference, on one thread, measured in the same run.
enum KernelsBench {
    static let name = "kernels"
    static let summary = "ns/element of the elementwise and row kernels next to their scalar references"

    static func run(_ args: inout Arguments) throws {
        let json = args.flag("json")
        try args.finish()
        let rows = 256, cols = 768, n = rows * cols
        var state: UInt32 = 7
        let input = (0..<n).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 8 - 4
        }
        let gamma = [Float](repeating: 1.1, count: cols), beta = [Float](repeating: 0.1, count: cols)
        var x = input, y = input
        let saved = Parallel.threadCount
        Parallel.threadCount = 1
        defer { Parallel.threadCount = saved }
        let cases: [(String, (UnsafeMutablePointer<Float>) -> Void, (UnsafeMutablePointer<Float>) -> Void)] = [
            ("add", { Kernels.add($0, $0, $0, count: n) }, { Kernels.addReference($0, $0, $0, count: n) }),
            ("exp", { Kernels.exp($0, count: n) }, { Kernels.expReference($0, count: n) }),
            ("gelu", { Kernels.gelu($0, count: n) }, { Kernels.geluReference($0, count: n) }),
            ("geluTanh", { Kernels.geluTanh($0, count: n) }, { Kernels.geluTanhReference($0, count: n) }),
            ("silu", { Kernels.silu($0, count: n) }, { Kernels.siluReference($0, count: n) }),
            ("softmax", { Kernels.softmax($0, rows: rows, cols: cols) },
             { Kernels.softmaxReference($0, rows: rows, cols: cols) }),
            ("layerNorm", { Kernels.layerNorm($0, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-5, out: $0) },
             { Kernels.layerNormReference($0, rows: rows, cols: cols, gamma: gamma, beta: beta, eps: 1e-5, out: $0) }),
            ("rmsNorm", { Kernels.rmsNorm($0, rows: rows, cols: cols, gamma: gamma, eps: 1e-5, out: $0) },
             { Kernels.rmsNormReference($0, rows: rows, cols: cols, gamma: gamma, eps: 1e-5, out: $0) }),
        ]
        BenchHeader.print("kernels", threads: 1, json: json)
        if !json { print("kernel       vector ns/elt  reference ns/elt  speedup   (\(rows)×\(cols) F32, 1 thread)") }
        for (name, fast, ref) in cases {
            // Inputs are restored before each run so exp/gelu never see their own outputs.
            let tv = time { x.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.update(from: input, count: n); fast(p.baseAddress!) } }
            let tr = time { y.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.update(from: input, count: n); ref(p.baseAddress!) } }
            let copy = time { x.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: input, count: n) } }
            let v = max(tv - copy, 0) / Double(n), r = max(tr - copy, 0) / Double(n)
            if json {
                print("{\"bench\":\"kernels\",\"kernel\":\"\(name)\",\"ns_per_element\":\(String(format: "%.3f", v)),"
                    + "\"reference_ns_per_element\":\(String(format: "%.3f", r))}")
            } else {
                print(name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: " %13.3f  %16.3f  %6.1f×", v, r, r / max(v, 1e-9)))
            }
        }
    }

    /// Fastest of ≥ 5 runs spanning ≥ 0.1 s, in nanoseconds.
    static func time(_ body: () -> Void) -> Double {
        body()
        var fastest = Double.infinity
        var reps = 0
        let start = DispatchTime.now().uptimeNanoseconds
        while reps < 5 || DispatchTime.now().uptimeNanoseconds - start < 100_000_000 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - t0))
            reps += 1
        }
        return fastest
    }
}

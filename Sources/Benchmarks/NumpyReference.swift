import Foundation
import CLISupport

/// Runs scripts/bench/numpy_gemm.py (the benchmark's optional reference) with a python that has numpy.
struct NumpyReference: CustomStringConvertible {
    let reference: ReferenceScript
    let blas: String

    var description: String { "numpy sgemm via \(reference.interpreter) (\(blas))" }

    /// The python to use (`--python`, else `$TRELLIS_PYTHON`, else `python3` on PATH) and the script,
    /// or nil when either is missing or numpy does not import.
    static func locate(python explicit: String?) -> NumpyReference? {
        guard let reference = ReferenceScript("numpy_gemm.py", python: explicit),
              let probe = try? ReferenceScript.launch(Array(reference.command.dropLast()) + ["-c", "import numpy; print(numpy.__version__)"],
                                                      environment: blasThreads(1), removing: ["OPENBLAS_CORETYPE"]),
              probe.status == 0 else { return nil }
        return NumpyReference(reference: reference, blas: "numpy " + probe.text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// GFLOP/s per shape at `threads` BLAS threads, or nil if the script failed.
    func measure(shapes: [(Int, Int, Int)], threads: Int, cpuTime: Bool = false, minSeconds: Double = 0.15) -> [Double]? {
        var args = ["--min-seconds", String(minSeconds), "--shapes"] + shapes.map { "\($0.0),\($0.1),\($0.2)" }
        if cpuTime { args.append("--cpu-time") }
        // OPENBLAS_CORETYPE is removed for this child only: numpy picks its own kernels.
        guard let r = try? reference.run(args, environment: Self.blasThreads(threads), removing: ["OPENBLAS_CORETYPE"]),
              r.status == 0 else { return nil }
        let figures = r.jsonLines.compactMap { $0["gflops"] as? Double }
        return figures.count == shapes.count ? figures : nil
    }

    /// The thread-count variables of the BLAS libraries numpy may use.
    static func blasThreads(_ n: Int) -> [String: String] {
        Dictionary(uniqueKeysWithValues: ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"].map { ($0, String(n)) })
    }
}

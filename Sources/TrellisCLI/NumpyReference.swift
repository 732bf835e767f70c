import Foundation

/// Runs scripts/bench/numpy_gemm.py (the benchmark's optional reference) with a python that has numpy.
struct NumpyReference: CustomStringConvertible {
    let python: String
    let script: URL
    let blas: String

    var description: String { "numpy sgemm via \(python) (\(blas))" }

    /// The python to use (`--python`, else `$TRELLIS_PYTHON`, else `python3` on PATH) and the script,
    /// or nil when either is missing or numpy does not import.
    static func locate(python explicit: String?) -> NumpyReference? {
        let env = ProcessInfo.processInfo.environment
        let python = explicit ?? env["TRELLIS_PYTHON"] ?? "python3"
        guard let script = findScript() else { return nil }
        guard let probe = try? runPython(python, ["-c", "import numpy; print(numpy.__version__)"], threads: 1),
              probe.status == 0 else { return nil }
        return NumpyReference(python: python, script: script,
                              blas: "numpy " + probe.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// scripts/bench/numpy_gemm.py under the current directory or above the executable.
    static func findScript() -> URL? {
        let relative = "scripts/bench/numpy_gemm.py"
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relative)]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent(relative))
            dir.deleteLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// GFLOP/s per shape at `threads` BLAS threads, or nil if the script failed.
    func measure(shapes: [(Int, Int, Int)], threads: Int, cpuTime: Bool = false, minSeconds: Double = 0.15) -> [Double]? {
        var args = [script.path, "--min-seconds", String(minSeconds), "--shapes"] + shapes.map { "\($0.0),\($0.1),\($0.2)" }
        if cpuTime { args.append("--cpu-time") }
        guard let r = try? Self.runPython(python, args, threads: threads), r.status == 0 else { return nil }
        var figures: [Double] = []
        for line in r.output.split(separator: "\n") {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let g = obj["gflops"] as? Double else { continue }
            figures.append(g)
        }
        return figures.count == shapes.count ? figures : nil
    }

    /// Runs python with BLAS thread variables set and OPENBLAS_CORETYPE removed (for this child only).
    static func runPython(_ python: String, _ args: [String], threads: Int) throws -> (status: Int32, output: String) {
        let p = Process()
        if python.contains("/") {
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = args
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [python] + args
        }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OPENBLAS_CORETYPE")
        env.merge(BenchHeader.referenceEnvironment) { _, forced in forced }   // AVX2 when AVX-512 is forced off
        for key in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"] { env[key] = String(threads) }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

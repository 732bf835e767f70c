import Foundation
import Tensors
import CLISupport

/// The header every `trellis bench` prints first: CPU name and the flags that decide which kernels run,
/// which kernels are active, threads and load, and how the reference was told to match them.
enum BenchHeader {
    /// The flags that matter to the kernels (label, /proc/cpuinfo names; all must be present).
    static let relevantFlags: [(label: String, names: [String])] = [
        ("AVX2", ["avx2"]), ("FMA", ["fma"]), ("AVX-512F", ["avx512f"]), ("AVX512_BF16", ["avx512_bf16"]),
        ("AMX-BF16", ["amx_bf16", "amx_tile"]),
    ]

    /// True when AVX-512 is present but forced off (`TRELLIS_NO_AVX512=1`): the AVX2 paths run, and the
    /// references are told to use AVX2 too, so an AVX2-only machine is approximated.
    static var avx512ForcedOff: Bool { CPU.hasAVX512 && !CPU.useAVX512 }

    /// Environment for reference processes (torch, numpy): empty normally; with AVX-512 forced off, the
    /// variables that keep ATen, MKL, oneDNN and OpenBLAS on AVX2 kernels.
    static var referenceEnvironment: [String: String] {
        guard avx512ForcedOff else { return [:] }
        return ["ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                "OPENBLAS_CORETYPE": "Haswell"]
    }

    /// `flags` present in `flags`, as `AVX2 yes, FMA yes, …`.
    static func flagSummary(_ flags: Set<String>) -> String {
        relevantFlags.map { "\($0.label) \($0.names.allSatisfy(flags.contains) ? "yes" : "no")" }.joined(separator: ", ")
    }

    /// The header lines for benchmark `title` running kernels on `threads` threads.
    static func lines(_ title: String, threads: Int = Parallel.threadCount) -> [String] {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let kernels = CPU.useAVX512 ? "AVX-512 kernels (TRELLIS_NO_AVX512=1 forces the AVX2 paths)"
            : avx512ForcedOff ? "AVX2+FMA kernels: AVX-512 forced off by TRELLIS_NO_AVX512"
            : "AVX2+FMA kernels (no AVX-512 on this CPU)"
        var out = [
            "trellis bench \(title)",
            "CPU: \(CPU.modelName() ?? "unknown") (\(cores) cores); \(flagSummary(CPU.flags()))",
            "kernels: \(kernels); \(threads) thread(s); load average \(loadAverage())",
        ]
        if CPU.hasAVX512BF16 {
            out.append("bf16 weights: " + (CPU.useAVX512BF16 && CPU.useAVX512
                ? "AVX512_BF16 vdpbf16ps (TRELLIS_AVX512_BF16=0 widens to F32 instead)"
                : "widened to F32" + (CPU.bf16DotIsFast || !CPU.useAVX512 ? ""
                    : " (vdpbf16ps runs at half the F32 FMA rate on this vendor's cores; TRELLIS_AVX512_BF16=1 forces it)")))
        }
        if avx512ForcedOff {
            out.append("reference: told to use AVX2 too ("
                + referenceEnvironment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                + "): figures approximate an AVX2-only machine")
        }
        return out
    }

    /// Prints the header: on stdout, or on stderr when stdout carries JSON lines.
    static func print(_ title: String, threads: Int = Parallel.threadCount, json: Bool = false) {
        for line in lines(title, threads: threads) {
            if json { Swift.print(line, to: &standardError) } else { Swift.print(line) }
        }
    }

    /// Runnable processes other than this one, averaged over `samples` readings of /proc/stat's `procs_running`
    /// `interval` seconds apart; nil where /proc/stat is absent. Unlike the load average, it does not remember
    /// the benchmark's own work of the last minutes.
    static func otherRunnable(samples: Int = 10, interval: Double = 0.05) -> Double? {
        var total = 0.0, read = 0
        for i in 0..<max(1, samples) {
            if i > 0 { Thread.sleep(forTimeInterval: interval) }
            guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("procs_running ") }),
                  let n = Double(line.split(separator: " ").last ?? "") else { continue }
            total += max(0, n - 1)   // this thread is running while it reads
            read += 1
        }
        return read == 0 ? nil : total / Double(read)
    }

    /// The 1, 5 and 15 minute load averages.
    static func loadAverage() -> String {
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) == 3 else { return "unknown" }
        return loads.map { String(format: "%.2f", $0) }.joined(separator: " ")
    }
}

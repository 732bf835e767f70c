import Foundation

/// What the CPU running the process can do, for picking kernels at run time.
public enum CPU {
    /// True when the CPU and OS support the x86-64-v4 AVX-512 subset (F, BW, CD, DQ, VL).
    public static let hasAVX512: Bool = detectAVX512()

    /// Whether GEMM uses the AVX-512 micro-kernel: on when available, unless `TRELLIS_NO_AVX512=1`.
    /// Settable (tests run both paths); setting it to true without `hasAVX512` is ignored.
    nonisolated(unsafe) public static var useAVX512: Bool = hasAVX512
        && ProcessInfo.processInfo.environment["TRELLIS_NO_AVX512"].map { $0.isEmpty || $0 == "0" } ?? true

    /// `useAVX512`, re-checked against the hardware so a test cannot force an illegal instruction.
    static var avx512Active: Bool { useAVX512 && hasAVX512 }

    /// True when the CPU also has AVX512_BF16 (`vdpbf16ps`: pairs of bfloat16 products summed into F32).
    public static let hasAVX512BF16: Bool = hasAVX512 && cpuFlags.contains("avx512_bf16")

    /// Whether `vdpbf16ps` outruns F32 FMAs here. On AMD (Zen 4) it issues like an FMA and does twice its work;
    /// on Intel (measured on an Emerald Rapids guest, 2026-12) it issues once per two cycles against two F32
    /// FMAs per cycle, so it does the same work as one F32 FMA in twice the time: there the AVX512_BF16 GEMM
    /// ran at 55 % of the widened-F32 one. Decided by vendor so every run on a machine multiplies alike.
    public static let bf16DotIsFast: Bool = vendor == "AuthenticAMD"

    /// Whether BF16 weights are packed for, and multiplied by, the AVX512_BF16 kernel (activations rounded
    /// to bfloat16): by default where the CPU has AVX512_BF16 and `bf16DotIsFast`; `TRELLIS_AVX512_BF16=1`
    /// forces it on (where the CPU has it), `TRELLIS_AVX512_BF16=0`, `TRELLIS_NO_AVX512_BF16=1` or
    /// `TRELLIS_NO_AVX512=1` off. Read when weights are packed (the packed layout decides the kernel).
    /// Settable for tests.
    nonisolated(unsafe) public static var useAVX512BF16: Bool = {
        let env = ProcessInfo.processInfo.environment
        guard hasAVX512BF16 && useAVX512,
              env["TRELLIS_NO_AVX512_BF16"].map({ $0.isEmpty || $0 == "0" }) ?? true else { return false }
        switch env["TRELLIS_AVX512_BF16"] {
        case "1": return true
        case "0": return false
        default: return bf16DotIsFast
        }
    }()

    /// `useAVX512BF16` (and `useAVX512`), re-checked against the hardware.
    static var avx512BF16Active: Bool { useAVX512BF16 && useAVX512 && hasAVX512BF16 }

    /// The `vendor_id` of /proc/cpuinfo (`GenuineIntel`, `AuthenticAMD`; empty where unknown).
    public static let vendor: String = {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("vendor_id") }),
              let colon = line.firstIndex(of: ":") else { return "" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        #else
        return ""
        #endif
    }()

    /// The `flags` line of /proc/cpuinfo (Linux; empty elsewhere). The kernel lists a flag only when both
    /// the CPU and the OS (XSAVE state) support it.
    private static let cpuFlags: Set<String> = {
        #if os(Linux)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " ").map(String.init))
        #else
        return []
        #endif
    }()

    private static func detectAVX512() -> Bool {
        #if arch(x86_64) && os(Linux)
        return ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"].allSatisfy(cpuFlags.contains)
        #elseif arch(x86_64) && os(macOS)
        func sysctl(_ name: String) -> Bool {
            var value: Int32 = 0
            var size = MemoryLayout<Int32>.size
            return sysctlbyname(name, &value, &size, nil, 0) == 0 && value != 0
        }
        return ["hw.optional.avx512f", "hw.optional.avx512bw", "hw.optional.avx512cd", "hw.optional.avx512dq",
                "hw.optional.avx512vl"].allSatisfy(sysctl)
        #else
        return false
        #endif
    }
}

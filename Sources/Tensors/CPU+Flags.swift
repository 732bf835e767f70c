import Foundation

extension CPU {
    /// The feature flags the kernel reports for this CPU (`flags` of /proc/cpuinfo, lower case, e.g.
    /// `avx2`, `avx512f`, `avx512_bf16`, `amx_tile`); empty where /proc/cpuinfo does not exist.
    public static func flags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return flags(cpuinfoText: text)
    }

    /// The `flags` line of a /proc/cpuinfo text (the first processor's), as a set.
    public static func flags(cpuinfoText text: String) -> Set<String> {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The CPU's marketing name (`model name` of /proc/cpuinfo), nil when unknown.
    public static func modelName(cpuinfo path: String = "/proc/cpuinfo") -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}

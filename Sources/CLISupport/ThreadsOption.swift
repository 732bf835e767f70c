import Foundation

/// `--threads N`: a positive count of worker threads, at most `limit`; `fallback` when absent.
public enum ThreadsOption {
    public static let limit = 4_096

    public static func parse(_ args: inout Arguments, default fallback: Int) throws -> Int {
        guard let text = try args.option("threads") else { return fallback }
        guard let n = Int(text), n >= 1, n <= limit else {
            throw ArgumentError.badValue("--threads", "\(text) (expected a whole number of threads in 1…\(limit))")
        }
        return n
    }
}

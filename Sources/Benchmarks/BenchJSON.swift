import Foundation

/// `--json` output of every benchmark: one object per line, keys sorted, on stdout (headers go to stderr).
enum BenchJSON {
    /// `object` as one line of JSON.
    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

import Formats
import Foundation

/// `--json` output of every benchmark: one object per line, keys sorted, on stdout (headers go to stderr).
enum BenchJSON {
    /// `object` as one line of JSON.
    static func line(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONWriter.bytes(JSONValue(foundation: object)), as: UTF8.self)
    }
}

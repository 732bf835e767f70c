import Foundation
import Formats

/// Unbuffered writers for stdout and stderr usable with `print(_:to:)`.
///
/// A failed write (stdout on a full disk or `/dev/full`) ends the program with exit 1 and a message
/// naming the stream: `FileHandle.write(_:)` would trap, and output that cannot be written is an error.
struct FileHandleStream: TextOutputStream {
    let descriptor: Int32
    let name: String
    mutating func write(_ string: String) {
        do {
            try Array(string.utf8).withUnsafeBytes { try FileBytes.writeAll(descriptor, $0, path: name) }
        } catch {
            if descriptor != 2 { fputs("trellis: \(error)\n", stderr) }
            exit(1)
        }
    }
}
nonisolated(unsafe) var standardError = FileHandleStream(descriptor: 2, name: "standard error")
nonisolated(unsafe) var standardOutput = FileHandleStream(descriptor: 1, name: "standard output")

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
func closestMatch(_ word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where a.count > 0 {
            var prev = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where b.count > 0 {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
    let w = Array(word)
    let best = candidates.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
    guard let (name, d) = best, d <= max(2, word.count / 3) else { return nil }
    return name
}

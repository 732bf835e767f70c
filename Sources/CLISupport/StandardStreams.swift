import Foundation
import PipelineEngine

/// Unbuffered writers for stdout and stderr usable with `print(_:to:)`. A failed write to stdout (a full
/// disk, a closed pipe) ends the command with a message and exit 1 instead of FileHandle's trap; a failed
/// write to stderr is dropped (there is nowhere left to report it).
public struct FileHandleStream: TextOutputStream {
    public let descriptor: Int32
    public init(descriptor: Int32) { self.descriptor = descriptor }
    public mutating func write(_ string: String) {
        guard let e = DescriptorWrite.all(descriptor, string), descriptor == 1 else { return }
        if e != EPIPE { DescriptorWrite.all(2, "trellis: cannot write stdout: \(DescriptorWrite.reason(e))\n") }
        exit(1)
    }
}
/// stderr for `print(_:to:)`.
nonisolated(unsafe) public var standardError = FileHandleStream(descriptor: 2)
/// stdout for `print(_:to:)`.
nonisolated(unsafe) public var standardOutput = FileHandleStream(descriptor: 1)
/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
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

/// Thrown by a command that has already printed its own message and wants a specific exit status.
public struct ExitStatus: Error {
    public let code: Int32
    public init(code: Int32) { self.code = code }
}

/// An input file a command or benchmark cannot use, with the file (and line) in the message.
public struct InputError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

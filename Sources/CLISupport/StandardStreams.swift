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
/// The candidate closest to `word` if it is close enough to be a likely typo (the engine's rule for spec keys).
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
    EditDistance.suggestion(for: word, among: candidates)
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

import Foundation
import Formats

/// Every error the pipeline engine reports. Spec problems carry `file:line:column`; run-time problems
/// name the stage and the file involved.
public enum PipelineError: Error, CustomStringConvertible {
    /// One or more problems in a spec, all reported together, sorted by position.
    case invalidSpec([Diagnostic])
    /// A stage's dependencies form a cycle; `path` starts and ends with the same stage.
    case cycle(SourceLocation, path: [String])
    /// Another run holds the work directory's lock.
    case locked(workDirectory: String, holder: String)
    /// A file could not be read or written.
    case io(path: String, message: String)
    /// A stage failed; `message` is its error, `log` the path of its full log.
    case stageFailed(stage: String, message: String, log: String?)
    /// A command-line argument (e.g. `-p key=value`) is malformed.
    case badArgument(String)

    public var description: String {
        switch self {
        case .invalidSpec(let diagnostics):
            return diagnostics.sorted().map(\.description).joined(separator: "\n")
        case .cycle(let at, let path):
            return "\(at): cycle in stage dependencies: \(path.joined(separator: " -> "))"
        case .locked(let dir, let holder):
            return "work directory \(dir) is in use by another trellis run (\(holder)); wait for it or use --work-dir"
        case .io(let path, let message):
            return "\(path): \(message)"
        case .stageFailed(let stage, let message, let log):
            return "stage '\(stage)' failed: \(message)" + (log.map { " (log: \($0))" } ?? "")
        case .badArgument(let message):
            return message
        }
    }

    /// A single-diagnostic spec error.
    static func spec(_ at: SourceLocation, _ message: String) -> PipelineError {
        .invalidSpec([Diagnostic(at, message)])
    }
}

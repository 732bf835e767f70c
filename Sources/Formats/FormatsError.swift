import Foundation

/// Where something is in a text file: path (when known), 0-based byte offset, 1-based line and column
/// (column counted in Unicode scalars). Line 0 is a place outside any file's text (a command-line
/// argument), named by `path` alone.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var path: String?
    public var offset: Int
    public var line: Int
    public var column: Int

    public init(path: String?, offset: Int, line: Int, column: Int) {
        self.path = path; self.offset = offset; self.line = line; self.column = column
    }

    /// `file:line:column` (or `line:column` without a path; just the path on line 0).
    public var description: String {
        if line == 0, let path { return path }
        return "\(path.map { $0 + ":" } ?? "")\(line):\(column)"
    }
}

/// Why a JSON document could not be read or written, or a file could not be written atomically.
/// Every reading case carries the position of the problem; every writing case names the file.
public enum FormatsError: Error, Equatable, CustomStringConvertible {
    /// Malformed JSON: what was expected at `at`.
    case syntax(at: SourceLocation, expected: String)
    /// A string holds bytes that are not UTF-8.
    case invalidUTF8(at: SourceLocation)
    /// An object names the same key twice (byte-exact); `at` is the second occurrence.
    case duplicateKey(at: SourceLocation, key: String, firstOffset: Int, depth: Int)
    /// Arrays/objects nested deeper than the reader's limit.
    case tooDeep(at: SourceLocation, limit: Int)
    /// A well-formed value has the wrong type or range for its key path (e.g. `num_attention_heads`).
    case wrongValue(at: SourceLocation, keyPath: String, expected: String, found: String)
    /// A required key is absent from the object at `at`.
    case missingKey(at: SourceLocation, keyPath: String)
    /// A value cannot be written as JSON (a NaN or infinite float, a type JSON has no form for).
    case unrepresentable(path: String?, keyPath: String, what: String)
    /// An I/O operation on `path` failed (errno text in `reason`).
    case io(path: String, operation: String, reason: String)
    /// The filesystem holding `path` is full.
    case diskFull(path: String)
    /// The output exists and is not a regular file (device, FIFO, socket, directory): never replaced.
    case specialFile(path: String, kind: String)
    /// The output's parent directory cannot hold it (`parent` is a regular file, or missing).
    case badParent(path: String, parent: String, problem: String)

    public var description: String {
        switch self {
        case let .syntax(at, expected):
            return "\(at) (byte \(at.offset)): invalid JSON: expected \(expected)"
        case let .invalidUTF8(at):
            return "\(at) (byte \(at.offset)): invalid JSON: string is not valid UTF-8"
        case let .duplicateKey(at, key, first, _):
            return "\(at) (byte \(at.offset)): duplicate key '\(key)' (first at byte \(first))"
        case let .tooDeep(at, limit):
            return "\(at) (byte \(at.offset)): invalid JSON: expected at most \(limit) nested arrays/objects"
        case let .wrongValue(at, keyPath, expected, found):
            return "\(at): \(keyPath.isEmpty ? "" : keyPath + ": ")expected \(expected), found \(found)"
        case let .missingKey(at, keyPath):
            return "\(at): missing key '\(keyPath)'"
        case let .unrepresentable(path, keyPath, what):
            return "\(path.map { $0 + ": " } ?? "")\(keyPath.isEmpty ? "" : keyPath + ": ")cannot write as JSON: \(what)"
        case let .io(path, operation, reason):
            return "\(path): cannot \(operation): \(reason)"
        case let .diskFull(path):
            return "\(path): cannot write: disk full (no space left on device)"
        case let .specialFile(path, kind):
            return "\(path): refusing to replace \(kind) with a regular file (expected a regular file or a new path)"
        case let .badParent(path, parent, problem):
            return "\(path): cannot create the output: \(parent) \(problem)"
        }
    }

    /// What a reading error expected, without the position ("a string key, found '}'").
    public var expected: String {
        switch self {
        case let .syntax(_, expected): return expected
        case .invalidUTF8: return "UTF-8 text in strings"
        case let .duplicateKey(_, key, first, _): return "key '\(key)' only once (first at byte \(first))"
        case let .tooDeep(_, limit): return "at most \(limit) nested arrays/objects"
        case let .wrongValue(_, keyPath, expected, found):
            return "\(keyPath.isEmpty ? "" : keyPath + ": ")\(expected), found \(found)"
        case let .missingKey(_, keyPath): return "key '\(keyPath)'"
        default: return description
        }
    }

    /// The location of a reading error, if it has one.
    public var location: SourceLocation? {
        switch self {
        case let .syntax(at, _), let .invalidUTF8(at), let .duplicateKey(at, _, _, _), let .tooDeep(at, _),
             let .wrongValue(at, _, _, _), let .missingKey(at, _): return at
        default: return nil
        }
    }

    /// The error for `errno` after `operation` on `path` (ENOSPC/EDQUOT become `.diskFull`).
    public static func fromErrno(_ path: String, _ operation: String, _ code: Int32 = errno) -> FormatsError {
        if code == ENOSPC || code == EDQUOT { return .diskFull(path: path) }
        return .io(path: path, operation: operation, reason: String(cString: strerror(code)))
    }
}

import Foundation

/// Where in an input a problem was found.
///
/// Text readers give a 1-based line and column (columns count Unicode scalars, not bytes); binary and
/// compressed inputs give a byte offset. Both may be present.
public struct SourcePosition: Equatable, Sendable, CustomStringConvertible {
    /// The file path as given to the reader.
    public var path: String
    /// 1-based line number, or nil when the position is a byte offset only.
    public var line: Int?
    /// 1-based column (Unicode scalars), or nil.
    public var column: Int?
    /// 0-based byte offset (in the compressed file for decompression errors), or nil.
    public var byteOffset: Int?

    public init(path: String, line: Int? = nil, column: Int? = nil, byteOffset: Int? = nil) {
        self.path = path
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
    }

    /// `path:line:col`, `path:line`, or `path: byte N`.
    public var description: String {
        var s = path
        if let line {
            s += ":\(line)"
            if let column { s += ":\(column)" }
        } else if let byteOffset {
            s += ": byte \(byteOffset)"
        }
        return s
    }
}

/// Every failure reported by `DataIO`: each case carries where it happened and what was expected.
///
/// `description` reads `path:line:col: message` (or `path: byte N: message`), ready to print to a user.
public enum DataIOError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened, read, created or renamed (an `errno` text is included).
    case io(path: String, operation: String, reason: String)
    /// A `.gz` or `.zst` stream is corrupt or truncated; `byteOffset` is in the compressed file.
    case decompression(SourcePosition, format: String, reason: String)
    /// Malformed text input (FASTA, CSV, JSON, XML): `expected` says what should have been there.
    case syntax(SourcePosition, expected: String)
    /// A CSV record whose field count differs from the header's (or the first record's).
    case fieldCount(SourcePosition, expected: Int, actual: Int, reference: String)
    /// A binary file (`.npy`) whose header or payload does not match the format.
    case format(SourcePosition, expected: String)
    /// A request the reader or writer does not support (e.g. an `.npy` dtype), with the supported set.
    case unsupported(path: String, what: String)

    /// The position of the problem, when the error has one.
    public var position: SourcePosition? {
        switch self {
        case .decompression(let p, _, _), .syntax(let p, _), .fieldCount(let p, _, _, _), .format(let p, _):
            return p
        case .io, .unsupported:
            return nil
        }
    }

    /// `path:line:col: message`, `path: byte N: message` or `path: message`.
    public var description: String {
        switch self {
        case .io(let path, let operation, let reason):
            return "\(path): cannot \(operation): \(reason)"
        case .decompression(let pos, let format, let reason):
            return "\(pos): corrupt \(format) data: \(reason)"
        case .syntax(let pos, let expected):
            return "\(pos): \(expected)"
        case .fieldCount(let pos, let expected, let actual, let reference):
            return "\(pos): expected \(expected) fields (as in the \(reference)), found \(actual)"
        case .format(let pos, let expected):
            return "\(pos): \(expected)"
        case .unsupported(let path, let what):
            return "\(path): unsupported: \(what)"
        }
    }

    /// An `.io` error built from the current `errno`.
    static func fromErrno(_ path: String, _ operation: String) -> DataIOError {
        .io(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}

import DataIO
import Foundation

/// Every failure of the PromptAlign module. Cases carry the file and position of the problem and say
/// what was expected there.
public enum PromptAlignError: Error, CustomStringConvertible, Equatable {
    /// A row of a data file is malformed (`line` is 1-based; `column` 1-based field number when known).
    case malformedRow(file: String, line: Int, column: Int?, expected: String, found: String)
    /// A required header or column is missing.
    case missingColumn(file: String, line: Int, column: String)
    /// A file could not be read or written.
    case io(file: String, message: String)
    /// Two inputs that must agree (graph size and article count, prediction count and test size…) do not.
    case mismatch(what: String, expected: String, found: String)
    /// A parameter is outside its domain.
    case invalidParameter(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .malformedRow(file, line, column, expected, found):
            let where_ = column.map { "\(file):\(line): field \($0)" } ?? "\(file):\(line)"
            return "\(where_): expected \(expected), found \(found)"
        case let .missingColumn(file, line, column):
            return "\(file):\(line): expected a column named '\(column)'"
        case let .io(file, message):
            return "\(file): \(message)"
        case let .mismatch(what, expected, found):
            return "\(what): expected \(expected), found \(found)"
        case let .invalidParameter(name, value, expected):
            return "invalid \(name) '\(value)': expected \(expected)"
        }
    }
}

/// Short, printable excerpt of offending text for error messages.
func excerpt<S: StringProtocol>(_ text: S, limit: Int = 40) -> String {
    let s = String(text)
    if s.count <= limit { return "'\(s)'" }
    return "'\(s.prefix(limit))…'"
}

/// Writes `data` to `url` through a temporary file renamed into place, so readers never see half a file.
func writeAtomically(_ data: Data, to url: URL) throws {
    try AtomicFileWriter.write([UInt8](data), to: url.path)
}

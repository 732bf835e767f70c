import Foundation
import Formats

extension JSONValue {
    /// Reads a tokenizer JSON file (tokenizer.json, vocab.json, tokenizer_config.json, config.json) with
    /// the project's one JSON reader; syntax errors become `TokenizerError.badJSON` with line and column.
    /// The bytes come through `TokenizerFileCheck` (regular files only, size cap: a symlink to /dev/zero
    /// is refused, not read forever).
    static func read(_ path: String) throws -> JSONValue {
        let bytes = try TokenizerFileCheck.bytes(path)
        do {
            return try JSONReader.parse(bytes, path: path)
        } catch let e as FormatsError {
            throw TokenizerError(e, path: path)
        }
    }
}

extension TokenizerError {
    /// The tokenizer error for a JSON reading error of `path`.
    init(_ e: FormatsError, path: String) {
        switch e {
        case .io(_, _, let reason): self = .unreadable(path: path, reason: reason)
        case .wrongValue(_, let key, let expected, let found):
            self = .badField(path: path, field: "\(key) at \(e.location.map { "\($0.line):\($0.column)" } ?? "?")",
                             expected: "\(expected), found \(found)")
        default:
            let at = e.location ?? SourceLocation(path: path, offset: 0, line: 1, column: 1)
            self = .badJSON(path: path, offset: at.offset, line: at.line, column: at.column, expected: e.expected)
        }
    }
}

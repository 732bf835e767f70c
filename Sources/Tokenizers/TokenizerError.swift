import Foundation

/// Why a tokenizer could not be loaded: each case names the file and the position (line or byte offset)
/// of the problem, and says what was expected there.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The path does not exist or holds none of the files a tokenizer is made of.
    case notFound(path: String, expected: String)
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// JSON syntax error at a byte offset (0-based) and its line/column (1-based).
    case badJSON(path: String, offset: Int, line: Int, column: Int, expected: String)
    /// A JSON document is well formed but a field is missing or has the wrong type.
    case badField(path: String, field: String, expected: String)
    /// A line of a text file (vocab.txt, merges.txt) is malformed; `line` is 1-based.
    case badLine(path: String, line: Int, expected: String)
    /// A token the format requires (such as `[UNK]`) is absent from the vocabulary.
    case missingToken(path: String, token: String, reason: String)
    /// The file describes a tokenizer this module does not implement.
    case unsupported(path: String, what: String)
    /// A binary file (sentencepiece protobuf) is malformed at a byte offset.
    case badBinary(path: String, offset: Int, expected: String)

    public var description: String {
        switch self {
        case .notFound(let p, let e): return "\(p): not found; expected \(e)"
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .badJSON(let p, let o, let l, let c, let e):
            return "\(p):\(l):\(c) (byte \(o)): invalid JSON; expected \(e)"
        case .badField(let p, let f, let e): return "\(p): field '\(f)': expected \(e)"
        case .badLine(let p, let l, let e): return "\(p):\(l): expected \(e)"
        case .missingToken(let p, let t, let r): return "\(p): vocabulary has no '\(t)' token (\(r))"
        case .unsupported(let p, let w): return "\(p): unsupported tokenizer: \(w)"
        case .badBinary(let p, let o, let e): return "\(p): byte \(o): expected \(e)"
        }
    }
}

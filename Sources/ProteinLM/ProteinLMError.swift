import Foundation

/// Every failure of the protein stages, with the place (file, record, line, position) it concerns.
public enum ProteinLMError: Error, CustomStringConvertible, Equatable {
    /// A residue the input policy does not accept. `position` is 1-based within the sequence.
    case invalidResidue(file: String, record: String, line: Int, position: Int, character: String)
    /// Two FASTA records share a label (extract.py rejects these too).
    case duplicateLabel(file: String, label: String, firstLine: Int, line: Int)
    /// A mutation CSV row that cannot be used; `line` is the 1-based CSV line.
    case badMutation(file: String, line: Int, detail: String)
    /// A mutation whose wild-type residue differs from the sequence at that (1-based) position.
    case wildTypeMismatch(file: String, line: Int, mutation: String, position: Int, expected: String, found: String)
    /// A CSV lacking a required column.
    case missingColumn(file: String, expected: String)
    /// The model cannot do what was asked (e.g. contacts from a model without a contact head).
    case unsupported(String)
    /// A bad option or parameter value.
    case badOption(name: String, detail: String)
    /// A malformed embedding output file (resume, assembly).
    case badOutput(file: String, detail: String)
    /// A record longer than the model's positions allow.
    case tooLong(file: String, record: String, length: Int, limit: Int)

    public var description: String {
        switch self {
        case let .invalidResidue(file, record, line, position, character):
            return "\(file):\(line): record '\(record)': invalid residue '\(character)' at position \(position); "
                + "expected one of the 25 amino-acid letters (use --invalid x to map to X, or --invalid remove)"
        case let .duplicateLabel(file, label, firstLine, line):
            return "\(file):\(line): duplicate label '\(label)' (first seen on line \(firstLine)); labels must be unique"
        case let .badMutation(file, line, detail):
            return "\(file):\(line): \(detail)"
        case let .wildTypeMismatch(file, line, mutation, position, expected, found):
            return "\(file):\(line): mutation '\(mutation)': wild type at position \(position) is '\(found)', "
                + "but the mutation expects '\(expected)'"
        case let .missingColumn(file, expected):
            return "\(file):1: expected a column \(expected)"
        case let .unsupported(detail):
            return detail
        case let .badOption(name, detail):
            return "\(name): \(detail)"
        case let .badOutput(file, detail):
            return "\(file): \(detail)"
        case let .tooLong(file, record, length, limit):
            return "\(file): record '\(record)' has \(length) residues; the model takes at most \(limit) "
                + "(its position limit less the special tokens). Split or truncate the sequence (embed truncates with --truncation)"
        }
    }
}

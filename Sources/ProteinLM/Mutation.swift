import Foundation

/// One substitution `A23G`: wild-type letter, 1-based position, mutant letter.
public struct Substitution: Equatable, Sendable {
    public var wildType: UInt8
    /// 1-based.
    public var position: Int
    public var mutant: UInt8

    public var text: String { "\(Character(Unicode.Scalar(wildType)))\(position)\(Character(Unicode.Scalar(mutant)))" }

    /// Parses `A23G` (upper or lower case letters); nil when malformed.
    public init?(_ text: Substring) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3 else { return nil }
        func letter(_ b: UInt8) -> UInt8? {
            let u = b >= 0x61 && b <= 0x7A ? b - 0x20 : b
            return ResiduePolicy.index[Int(u)] >= 0 ? u : nil
        }
        guard let w = letter(bytes[0]), let m = letter(bytes[bytes.count - 1]),
              let p = Int(String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self)), p >= 1 else { return nil }
        wildType = w; position = p; mutant = m
    }

    public init(wildType: UInt8, position: Int, mutant: UInt8) {
        self.wildType = wildType; self.position = position; self.mutant = mutant
    }
}

/// A variant: one or more substitutions (`A23G:C45T`), and the full mutated sequence.
public struct Variant: Sendable {
    /// 1-based CSV line, for messages.
    public var line: Int
    /// The `mutant` text as given (or derived from `mutated_sequence`).
    public var name: String
    public var substitutions: [Substitution]
    /// Residues of the mutated protein.
    public var sequence: [UInt8]

    /// Parses `A23G:C45T` against `wildType`, checking each wild-type letter; `file`/`line` name the row.
    public static func parse(_ text: String, wildType: [UInt8], file: String, line: Int) throws -> Variant {
        var subs: [Substitution] = []
        var seq = wildType
        for piece in text.split(separator: ":", omittingEmptySubsequences: false) {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            guard let s = Substitution(Substring(trimmed)) else {
                throw ProteinLMError.badMutation(file: file, line: line,
                    detail: "mutation '\(trimmed)' in '\(text)': expected wild type, 1-based position, mutant, like A23G (several joined by ':')")
            }
            guard s.position <= wildType.count else {
                throw ProteinLMError.badMutation(file: file, line: line,
                    detail: "mutation '\(trimmed)': position \(s.position) is past the end of the \(wildType.count)-residue wild type")
            }
            let found = wildType[s.position - 1]
            guard found == s.wildType else {
                throw ProteinLMError.wildTypeMismatch(file: file, line: line, mutation: trimmed, position: s.position,
                                                      expected: String(decoding: [s.wildType], as: UTF8.self),
                                                      found: String(decoding: [found], as: UTF8.self))
            }
            seq[s.position - 1] = s.mutant
            subs.append(s)
        }
        return Variant(line: line, name: text, substitutions: subs, sequence: seq)
    }

    /// A variant given by its full sequence; substitutions are derived when the length equals the wild type's.
    public static func fromSequence(_ seq: [UInt8], wildType: [UInt8], name: String?, line: Int) -> Variant {
        var subs: [Substitution] = []
        if seq.count == wildType.count {
            for i in seq.indices where seq[i] != wildType[i] {
                subs.append(Substitution(wildType: wildType[i], position: i + 1, mutant: seq[i]))
            }
        }
        return Variant(line: line, name: name ?? subs.map(\.text).joined(separator: ":"), substitutions: subs, sequence: seq)
    }
}

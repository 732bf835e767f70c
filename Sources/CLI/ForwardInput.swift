import DataIO
import Foundation
import Transformers

/// Reads and tokenises the input of `trellis forward`.
enum ForwardInput {
    enum Failure: Error, CustomStringConvertible {
        case empty(String)
        /// `line` is the record's header line; `residue` counts characters of its sequence from 1.
        case badResidue(file: String, line: Int, record: String, residue: Int, character: Character)
        case unreadable(String, String)

        var description: String {
            switch self {
            case .empty(let f): return "\(f): no records"
            case .badResidue(let f, let line, let record, let residue, let ch):
                return "\(f):\(line): record '\(record)', residue \(residue): unexpected character '\(ch)' "
                    + "(expected a residue letter or a <special> token)"
            case .unreadable(let f, let why): return "\(f): \(why)"
            }
        }
    }

    /// Token ids per record, laid out for the family (and xTrimoPGLM mode).
    static func tokenize(file: String, family: ModelLoader.Family, modelDirectory: URL, mode: AttentionMode?)
        throws -> [[Int]]
    {
        switch family {
        case .esm, .xtrimopglm:
            let records = try FASTAReader.readAll(path: file)
            let table = family == .esm ? esmVocabulary : pglmVocabulary
            return try records.map { r in
                let residues = try encodeProtein(r.sequence, table: table, file: file, line: r.line, record: r.id)
                if family == .esm { return [0] + residues + [2] }
                switch mode ?? .mlm {
                case .mlm: return residues + [34]
                case .clm: return [29, 32, 34] + residues
                case .glm: return residues + [29, 32]
                }
            }
        case .bert, .roberta:
            return try TextTokenization.encodeLines(file: file, modelDirectory: modelDirectory)
        }
    }

    /// One id per residue character; `<name>` specials as one token; unknown letters map to `<unk>`.
    static func encodeProtein(_ text: String, table: [String: Int], file: String, line: Int, record: String) throws -> [Int] {
        var ids: [Int] = []
        var chars = Array(text)[...]
        var column = 0
        while let c = chars.first {
            column += 1
            if c == "<", let close = chars.firstIndex(of: ">"), let id = table[String(chars[chars.startIndex...close])] {
                ids.append(id)
                column += close - chars.startIndex
                chars = chars[(close + 1)...]
                continue
            }
            chars = chars.dropFirst()
            if let id = table[String(c).uppercased()] {
                ids.append(id)
            } else if c.isLetter || c == "*" {
                ids.append(table["<unk>"]!)
            } else {
                throw Failure.badResidue(file: file, line: line, record: record, residue: column, character: c)
            }
        }
        return ids
    }

    static let residues = Array("LAGVSERTIDPKQNFYMHWCXBUZO.-").map(String.init)
    /// ESM-2 alphabet: <cls> <pad> <eos> <unk>, residues from 4, <mask> 32.
    static let esmVocabulary: [String: Int] = {
        var t: [String: Int] = ["<cls>": 0, "<pad>": 1, "<eos>": 2, "<unk>": 3, "<mask>": 32]
        for (i, r) in residues.enumerated() { t[r] = 4 + i }
        return t
    }()
    /// xTrimoPGLM alphabet: <pad> 0, residues from 1, then <mask> 28 … <unk> 35.
    static let pglmVocabulary: [String: Int] = {
        var t: [String: Int] = ["<pad>": 0]
        for (i, r) in residues.enumerated() { t[r] = 1 + i }
        for (i, s) in ["<mask>", "<gmask>", "<smask>", "<eod>", "<sop>", "<eop>", "<eos>", "<unk>"].enumerated() {
            t[s] = 28 + i
        }
        return t
    }()
}

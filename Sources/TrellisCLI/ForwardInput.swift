import DataIO
import Foundation
import Tokenizers
import Transformers
import CLISupport

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

    /// Token ids per record, laid out by the model's protein tokenizer (its files in `modelDirectory`, else
    /// the family's built-in table) in the xTrimoPGLM `mode`; text models use their own tokenizer files.
    static func tokenize(file: String, family: ModelLoader.Family, modelDirectory: URL, mode: AttentionMode?)
        throws -> [[Int]]
    {
        switch family {
        case .esm, .xtrimopglm:
            let records = try FASTAReader.readAll(path: file)
            // No tokenizer file: the family's built-in table; a tokenizer file that does not load is an error.
            var tokenizer: ProteinTokenizer?
            do {
                tokenizer = try TokenizerLoader.load(path: modelDirectory.path) as? ProteinTokenizer
            } catch TokenizerError.notFound {
                tokenizer = nil
            }
            if tokenizer?.flavor != (family == .esm ? .esm : .xtrimopglm) {
                tokenizer = family == .esm ? ProteinTokenizer.esm() : ProteinTokenizer.xtrimopglm()
            }
            var options = ProteinTokenizer.Options()
            options.uppercase = true
            let layout = try ProteinTokenizer(tokens: tokenizer!.tokens, flavor: tokenizer!.flavor,
                                              mode: family == .esm ? .mlm : protein(mode ?? .mlm), options: options)
            return try records.map { r in
                try checkCharacters(r.sequence, tokenizer: layout, file: file, line: r.line, record: r.id)
                if family == .xtrimopglm, mode == .glm, let (context, span) = glmSpan(r.sequence) {
                    return layout.encode(context, span).ids
                }
                return layout.encode(r.sequence).ids
            }
        case .bert, .roberta:
            return try TextTokenization.encodeLines(file: file, modelDirectory: modelDirectory)
        }
    }

    /// GLM records may mark the mask position: `CONTEXT<gmask>SPAN` (or `CONTEXT<gmask><sop>SPAN`) becomes
    /// context + `<gmask><sop>` + span; nil when the record has no `<gmask>` (then `<gmask><sop>` is appended).
    static func glmSpan(_ text: String) -> (context: String, span: String)? {
        guard let mark = text.range(of: "<gmask>") else { return nil }
        var span = text[mark.upperBound...]
        if span.hasPrefix("<sop>") { span = span.dropFirst("<sop>".count) }
        return (String(text[..<mark.lowerBound]), String(span))
    }

    static func protein(_ mode: AttentionMode) -> ProteinTokenizer.Mode {
        switch mode {
        case .mlm: return .mlm
        case .clm: return .clm
        case .glm: return .glm
        }
    }

    /// Residue letters (any case, unknown ones become `<unk>`), `*`, `.`, `-` and the tokenizer's `<name>`
    /// specials are accepted; anything else is a typing error worth stopping for.
    static func checkCharacters(_ text: String, tokenizer: ProteinTokenizer, file: String, line: Int, record: String) throws {
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "<", let close = chars[i...].firstIndex(of: ">"), tokenizer.id(of: String(chars[i...close])) != nil {
                i = close + 1
                continue
            }
            guard c.isLetter || c == "*" || c == "." || c == "-" else {
                throw Failure.badResidue(file: file, line: line, record: record, residue: i + 1, character: c)
            }
            i += 1
        }
    }
}

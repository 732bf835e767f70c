import Foundation
import Formats

/// Reads Hugging Face `tokenizer.json` files of the two families used here: BERT (BertNormalizer,
/// BertPreTokenizer, WordPiece) and GPT-2/RoBERTa (ByteLevel, BPE), with TemplateProcessing, BertProcessing,
/// RobertaProcessing or ByteLevel post-processors.
///
/// The file's own `truncation` / `padding` settings are not applied: callers pass `maxLength` and `padding`.
/// Added tokens are matched in the raw text whatever their `normalized` flag.
enum HFTokenizerFile {
    static func load(_ path: String) throws -> any Tokenizer {
        let root = try JSONValue.read(path)
        guard let model = root["model"], model.object != nil else {
            throw TokenizerError.badField(path: path, field: "model", expected: "an object describing the model")
        }
        let added = try addedTokens(root["added_tokens"], path: path)
        let type = model["type"]?.string ?? (model["merges"] != nil ? "BPE" : "WordPiece")
        var ids: [String: Int] = [:]
        for a in added { ids[a.content] = a.id }
        guard let vocabObj = model["vocab"]?.object else {
            throw TokenizerError.badField(path: path, field: "model.vocab", expected: "an object of token → id")
        }
        var vocab: [(String, Int)] = []
        vocab.reserveCapacity(vocabObj.count)
        for (k, v) in vocabObj {
            let id: Int
            do { id = try v.int(in: 0...(1 << 24) - 1, key: "model.vocab.\(k)") } catch let e as FormatsError {
                throw TokenizerError(e, path: path)
            }
            vocab.append((k, id)); if ids[k] == nil { ids[k] = id }
        }
        let template = try postProcessor(root["post_processor"], ids: ids, path: path)
        switch type {
        case "WordPiece":
            var o = WordPieceTokenizer.Options()
            if let u = model["unk_token"]?.string { o.unkToken = u }
            if let p = model["continuing_subword_prefix"]?.string { o.continuingSubwordPrefix = p }
            if let m = model["max_input_chars_per_word"]?.int { o.maxInputCharsPerWord = m }
            let norm = root["normalizer"] ?? .null
            switch norm["type"]?.string {
            case "BertNormalizer"?:
                o.cleanText = norm["clean_text"]?.bool ?? true
                o.handleChineseChars = norm["handle_chinese_chars"]?.bool ?? true
                o.lowercase = norm["lowercase"]?.bool ?? true
                o.stripAccents = norm["strip_accents"]?.bool
            case nil:
                o.cleanText = false; o.handleChineseChars = false; o.lowercase = false; o.stripAccents = false
            case let other?:
                throw TokenizerError.unsupported(path: path, what: "normalizer '\(other)' (only BertNormalizer)")
            }
            if let pre = root["pre_tokenizer"]?["type"]?.string, pre != "BertPreTokenizer" {
                throw TokenizerError.unsupported(path: path, what: "pre_tokenizer '\(pre)' with WordPiece (only BertPreTokenizer)")
            }
            return try WordPieceTokenizer(entries: vocab, options: o, addedTokens: added, template: template, source: path)
        case "BPE":
            var o = BPETokenizer.Options()
            o.unkToken = model["unk_token"]?.string
            o.ignoreMerges = model["ignore_merges"]?.bool ?? false
            if let n = root["normalizer"], !n.isNull {
                throw TokenizerError.unsupported(path: path, what: "normalizer '\(n["type"]?.string ?? "?")' with byte-level BPE")
            }
            let pre = root["pre_tokenizer"] ?? .null
            let byteLevel = pre["type"]?.string == "ByteLevel" ? pre
                : pre["pretokenizers"]?.array?.first { $0["type"]?.string == "ByteLevel" }
            guard let bl = byteLevel else {
                throw TokenizerError.unsupported(path: path, what: "BPE without a ByteLevel pre-tokenizer (only byte-level BPE)")
            }
            o.addPrefixSpace = bl["add_prefix_space"]?.bool ?? false
            let post = root["post_processor"] ?? .null
            o.trimOffsets = post["trim_offsets"]?.bool ?? bl["trim_offsets"]?.bool ?? true
            guard let mergeList = model["merges"]?.array else {
                throw TokenizerError.badField(path: path, field: "model.merges", expected: "an array of merges")
            }
            var merges: [(String, String)] = []
            merges.reserveCapacity(mergeList.count)
            for (i, m) in mergeList.enumerated() {
                if let s = m.string {
                    let parts = splitOnSpace(s)
                    guard parts.count == 2 else {
                        throw TokenizerError.badField(path: path, field: "model.merges[\(i)]", expected: "'left right', got '\(s)'")
                    }
                    merges.append((String(parts[0]), String(parts[1])))
                } else if let a = m.array, a.count == 2, let l = a[0].string, let r = a[1].string {
                    merges.append((l, r))
                } else {
                    throw TokenizerError.badField(path: path, field: "model.merges[\(i)]", expected: "\"left right\" or [left, right]")
                }
            }
            return try BPETokenizer(entries: vocab, merges: merges, options: o, addedTokens: added,
                                    template: template, source: path)
        default:
            throw TokenizerError.unsupported(path: path, what: "model type '\(type)' (only WordPiece and BPE)")
        }
    }

    static func addedTokens(_ v: JSONValue?, path: String) throws -> [AddedToken] {
        guard let list = v?.array else { return [] }
        return try list.enumerated().map { i, t in
            guard let c = t["content"]?.string, let id = t["id"]?.int, id >= 0, id < 1 << 24 else {
                throw TokenizerError.badField(path: path, field: "added_tokens[\(i)]", expected: "an object with 'id' and 'content'")
            }
            return AddedToken(c, id: id, special: t["special"]?.bool ?? false, lstrip: t["lstrip"]?.bool ?? false,
                              rstrip: t["rstrip"]?.bool ?? false, singleWord: t["single_word"]?.bool ?? false)
        }
    }

    /// The template of a post-processor; nil lets the tokenizer pick its default.
    static func postProcessor(_ v: JSONValue?, ids: [String: Int], path: String) throws -> TokenTemplate? {
        guard let p = v, !p.isNull else { return TokenTemplate.none }
        func pairId(_ key: String) throws -> Int {
            guard let a = p[key]?.array, a.count == 2, let id = a[1].int, id >= 0, id < 1 << 24 else {
                throw TokenizerError.badField(path: path, field: "post_processor.\(key)", expected: "[token, id]")
            }
            return id
        }
        switch p["type"]?.string {
        case "TemplateProcessing"?:
            func pieces(_ key: String) throws -> [TokenTemplate.Piece] {
                guard let list = p[key]?.array else {
                    throw TokenizerError.badField(path: path, field: "post_processor.\(key)", expected: "an array of pieces")
                }
                return try list.map { item in
                    if let s = item["SpecialToken"], let name = s["id"]?.string {
                        let special = p["special_tokens"]?[name]?["ids"]?.array?.first?.int ?? ids[name]
                        guard let id = special, id >= 0, id < 1 << 24 else {
                            throw TokenizerError.badField(path: path, field: "post_processor.special_tokens.\(name)", expected: "an integer id in 0..<16777216")
                        }
                        return .special(id: id, typeId: s["type_id"]?.int ?? 0)
                    }
                    if let s = item["Sequence"] {
                        return .sequence(s["id"]?.string == "B" ? 1 : 0, typeId: s["type_id"]?.int ?? 0)
                    }
                    throw TokenizerError.badField(path: path, field: "post_processor.\(key)", expected: "SpecialToken or Sequence pieces")
                }
            }
            return TokenTemplate(single: try pieces("single"), pair: try pieces("pair"))
        case "BertProcessing"?:
            return .bert(cls: try pairId("cls"), sep: try pairId("sep"))
        case "RobertaProcessing"?:
            return .roberta(bos: try pairId("cls"), eos: try pairId("sep"))
        case "ByteLevel"?:
            return TokenTemplate.none
        case let other:
            throw TokenizerError.unsupported(path: path, what: "post_processor '\(other ?? "?")'")
        }
    }
}

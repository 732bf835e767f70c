import Foundation
import Formats

/// Loads a tokenizer from a model directory or a single tokenizer file, choosing the algorithm from the
/// files present:
///
/// - xTrimoPGLM: `config.json` `model_type` or `tokenizer_config.json` `tokenizer_class` naming
///   ProteinGLM / xTrimoPGLM, or a lone `tokenizer.model` (text list or sentencepiece protobuf);
/// - ESM-2: `config.json` `model_type: esm`, or a `vocab.txt` holding `<cls>` and `<eos>`;
/// - `tokenizer.json` (Hugging Face `tokenizers` format: WordPiece or byte-level BPE), preferred for BERT/RoBERTa;
/// - `vocab.json` + `merges.txt`: byte-level BPE with RoBERTa's template;
/// - `vocab.txt` (+ optional `tokenizer_config.json`): WordPiece with BERT's template.
public enum TokenizerLoader {
    public static func load(path: String) throws -> any Tokenizer {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TokenizerError.notFound(path: path, expected: "a model directory or a tokenizer file")
        }
        if !isDir.boolValue { return try loadFile(path) }
        let dir = URL(fileURLWithPath: path)
        func file(_ name: String) -> String? {
            let p = dir.appendingPathComponent(name).path
            return fm.fileExists(atPath: p) ? p : nil
        }
        let modelType = try file("config.json").flatMap { try JSONValue.read($0)["model_type"]?.string }?.lowercased()
        let config = try file("tokenizer_config.json").map { try JSONValue.read($0) }
        let tokClass = config?["tokenizer_class"]?.string?.lowercased() ?? ""
        let m = modelType ?? ""
        if m.contains("glm") && (m.contains("protein") || m.contains("xtrimo"))
            || tokClass.contains("proteinglm") || tokClass.contains("xtrimo") {
            return try loadXTrimoPGLM(directory: dir)
        }
        if modelType == "esm" || tokClass.contains("esm") {
            if let v = file("vocab.txt") { return try loadVocabTxt(v, config: config) }
            return ProteinTokenizer.esm()
        }
        if let t = file("tokenizer.json") { return try HFTokenizerFile.load(t) }
        if let v = file("vocab.json") {
            guard let m = file("merges.txt") else {
                throw TokenizerError.notFound(path: dir.appendingPathComponent("merges.txt").path,
                                              expected: "merges.txt beside vocab.json (byte-level BPE needs both)")
            }
            return try loadBPE(vocab: v, merges: m)
        }
        if let v = file("vocab.txt") { return try loadVocabTxt(v, config: config) }
        if file("tokenizer.model") != nil { return try loadXTrimoPGLM(directory: dir) }
        throw TokenizerError.notFound(path: path, expected:
            "tokenizer.json, vocab.txt, vocab.json + merges.txt or tokenizer.model in the directory")
    }

    static func loadFile(_ path: String) throws -> any Tokenizer {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        if name.hasSuffix(".model") { return try ProteinTokenizer(tokens: SentencePieceModel.read(path), flavor: .xtrimopglm, source: path) }
        if name == "vocab.json" {
            let merges = dir.appendingPathComponent("merges.txt").path
            guard FileManager.default.fileExists(atPath: merges) else {
                throw TokenizerError.notFound(path: merges, expected: "merges.txt beside vocab.json (byte-level BPE needs both)")
            }
            return try loadBPE(vocab: path, merges: merges)
        }
        if name.hasSuffix(".json") { return try HFTokenizerFile.load(path) }
        if name.hasSuffix(".txt") {
            let cfgPath = dir.appendingPathComponent("tokenizer_config.json").path
            let config = FileManager.default.fileExists(atPath: cfgPath) ? try JSONValue.read(cfgPath) : nil
            return try loadVocabTxt(path, config: config)
        }
        throw TokenizerError.unsupported(path: path, what: "expected tokenizer.json, vocab.txt, vocab.json or tokenizer.model")
    }

    /// Lines of a vocab.txt (id = line index, 0-based).
    static func readLines(_ path: String) throws -> [String] {
        let bytes = try TokenizerFileCheck.bytes(path)
        try TokenizerFileCheck.text(bytes, path: path, what: "a UTF-8 text file with one entry per line")
        return splitLines(bytes)
    }

    /// ESM vocab.txt (when it holds `<cls>` and `<eos>`) or BERT vocab.txt.
    static func loadVocabTxt(_ path: String, config: JSONValue?) throws -> any Tokenizer {
        let lines = try readLines(path)
        // HF vocab.txt files may end with a blank line; every other line is a token, each listed once.
        try TokenizerFileCheck.uniqueTokens(lines.last == "" ? Array(lines.dropLast()) : lines, path: path)
        if lines.contains("<cls>") && lines.contains("<eos>") {
            return try ProteinTokenizer(tokens: lines.map { $0.trimmingCharacters(in: .whitespaces) }, flavor: .esm, source: path)
        }
        let entries = lines.enumerated().map { ($0.element, $0.offset) }
        var vocab: [String: Int] = [:]
        for (i, t) in lines.enumerated() { vocab[t] = i }
        var o = WordPieceTokenizer.Options()
        if let c = config {
            if let b = c["do_lower_case"]?.bool { o.lowercase = b }
            if let b = c["strip_accents"]?.bool { o.stripAccents = b }
            if let b = c["tokenize_chinese_chars"]?.bool { o.handleChineseChars = b }
            if let u = c["unk_token"]?.string { o.unkToken = u }
        }
        // BertTokenizer never splits its special tokens.
        var added: [AddedToken] = []
        for key in ["unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
            let defaultName = ["unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                               "mask_token": "[MASK]"][key]!
            let name = config?[key]?.string ?? config?[key]?["content"]?.string ?? defaultName
            if let id = vocab[name] { added.append(AddedToken(name, id: id)) }
        }
        return try WordPieceTokenizer(entries: entries, options: o, addedTokens: added, source: path)
    }

    /// vocab.json + merges.txt, RoBERTa template.
    static func loadBPE(vocab: String, merges: String) throws -> any Tokenizer {
        guard let obj = try JSONValue.read(vocab).object else {
            throw TokenizerError.badField(path: vocab, field: "(root)", expected: "an object of token → id")
        }
        var entries: [(String, Int)] = [], v: [String: Int] = [:]
        for (k, val) in obj {
            let id: Int
            do { id = try val.int(in: 0...(1 << 24) - 1, key: k) } catch let e as FormatsError {
                throw TokenizerError(e, path: vocab)
            }
            entries.append((k, id)); v[k] = id
        }
        let (pairs, lines) = try readMerges(merges)
        let added = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].compactMap { t in
            v[t].map { AddedToken(t, id: $0, lstrip: t == "<mask>") }
        }
        return try BPETokenizer(entries: entries, merges: pairs, addedTokens: added, source: merges, mergeLines: lines)
    }

    /// merges.txt: an optional `#version` line, then `left right` per line.
    static func readMerges(_ path: String) throws -> ([(String, String)], [Int]) {
        let lines = try readLines(path)
        var pairs: [(String, String)] = [], numbers: [Int] = []
        for (i, line) in lines.enumerated() {
            if i == 0 && line.hasPrefix("#version") { continue }
            if line.isEmpty { continue }
            let parts = splitOnSpace(line)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.badLine(path: path, line: i + 1, expected: "two tokens separated by one space, got '\(line)'")
            }
            pairs.append((String(parts[0]), String(parts[1])))
            numbers.append(i + 1)
        }
        return (pairs, numbers)
    }

    /// xTrimoPGLM from tokenizer.model (when present) or the built-in table.
    static func loadXTrimoPGLM(directory: URL) throws -> any Tokenizer {
        let model = directory.appendingPathComponent("tokenizer.model").path
        if FileManager.default.fileExists(atPath: model) {
            return try ProteinTokenizer(tokens: SentencePieceModel.read(model), flavor: .xtrimopglm, source: model)
        }
        // No token list: the built-in table, with the special tokens tokenizer_config.json declares.
        var tokens = ProteinTokenizer.xtrimopglmTokens
        let configPath = directory.appendingPathComponent("tokenizer_config.json").path
        if FileManager.default.fileExists(atPath: configPath),
           let decoder = try JSONValue.read(configPath)["added_tokens_decoder"]?.object {
            for (key, value) in decoder {
                guard let id = Int(key), id >= 0, let content = value["content"]?.string else {
                    throw TokenizerError.badField(path: configPath, field: "added_tokens_decoder.\(key)",
                                                  expected: "an integer id key and an object with 'content'")
                }
                guard id < 128 else {
                    throw TokenizerError.badField(path: configPath, field: "added_tokens_decoder.\(key)",
                                                  expected: "an id below 128 (the padded vocabulary)")
                }
                while tokens.count <= id { tokens.append("<unused_\(tokens.count)>") }
                tokens[id] = content
            }
            return try ProteinTokenizer(tokens: tokens, flavor: .xtrimopglm, source: configPath)
        }
        return ProteinTokenizer.xtrimopglm()
    }
}

/// Lines of a UTF-8 file split at "\n" bytes (a trailing "\r" dropped), without grapheme-cluster rules
/// (which would glue "\r\n" or a line starting with a combining mark to its neighbour).
func splitLines(_ bytes: [UInt8]) -> [String] {
    var lines: [String] = []
    var start = 0
    for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
        if i == bytes.count && start == i { break }
        let end = i > start && bytes[i - 1] == 0x0D ? i - 1 : i
        lines.append(String(decoding: bytes[start..<end], as: UTF8.self))
        start = i + 1
    }
    return lines
}

/// Parts of `s` between U+0020 spaces, empty parts kept.
func splitOnSpace(_ s: String) -> [String] {
    s.utf8.split(separator: 0x20, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}

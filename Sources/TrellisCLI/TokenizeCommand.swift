import Foundation
import Formats
import PipelineEngine
import Tokenizers
import CLISupport

/// `trellis tokenize`: one JSON array of ids per input line.
enum TokenizeCommand: Command {
    static let name = "tokenize"
    static let summary = "print the token ids of each input line (WordPiece, byte-level BPE, ESM, xTrimoPGLM)"
    static let usage = """
    USAGE: trellis tokenize --tokenizer PATH [--input FILE] [--jsonl] [--field NAME] [--no-special-tokens]
                            [--max-length N] [--pair-field NAME] [--threads N]

    Reads one text per line (stdin when --input is absent), or with --jsonl one JSON object per line whose
    --field (default "text") holds the text, and prints one JSON array of token ids per input line.

    OPTIONS:
    \(schema.usage)

    EXAMPLES:
      echo "Hello world" | trellis tokenize --tokenizer ../shared/models/all-MiniLM-L6-v2
      echo MKTAYIAKQR | trellis tokenize --tokenizer models/pglm-tiny --no-special-tokens
    """

    static let schema = OptionSchema([
        ParameterSpec("tokenizer", .path, required: true,
                      doc: "a model directory or a tokenizer file (tokenizer.json, vocab.txt, vocab.json, tokenizer.model); the algorithm is chosen from the files present"),
        ParameterSpec("input", .path, doc: "input file (default: stdin)"),
        ParameterSpec("jsonl", .bool, default: .bool(false), doc: "input lines are JSON objects"),
        ParameterSpec("field", .string, default: .string("text"), doc: "JSONL field holding the text"),
        ParameterSpec("pair_field", .string, doc: "JSONL field holding a second text, encoded as a pair"),
        ParameterSpec("no_special_tokens", .bool, default: .bool(false), doc: "do not add [CLS]/[SEP], <s>/</s>, <cls>/<eos> …"),
        ParameterSpec("max_length", .int, doc: "truncate so that each encoding has at most N ids (special tokens included)"),
        OptionSchema.threads,
    ]) { p in
        if let n = p.int("max_length"), n < 1 { return [("max_length", "must be at least 1")] }
        return OptionSchema.checkThreads(p)
    }

    static func run(_ args: inout Arguments) throws {
        let p = try schema.parse(&args)
        let path = p.string("tokenizer") ?? ""
        let input = p.string("input")
        let jsonl = p.bool("jsonl") == true
        let field = p.string("field") ?? "text"
        let pairField = p.string("pair_field")
        let special = p.bool("no_special_tokens") != true
        let maxLength = p.int("max_length")
        let threads = p.int("threads") ?? 0   // 0: all cores

        let tok = try TokenizerLoader.load(path: path)
        let source = input ?? "<stdin>"
        let data: Data
        if let input {
            guard let d = FileManager.default.contents(atPath: input) else {
                throw InputError(message: "\(input): cannot read the input file")
            }
            data = d
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        // Split on bytes: String.split works on grapheme clusters, where "\r\n" is one character.
        var lines = [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { $0.last == 0x0D ? $0.dropLast() : $0 }
        if lines.last?.isEmpty == true { lines.removeLast() }

        var out = Data()
        let chunk = 4096
        var start = 0
        while start < lines.count {
            let end = min(lines.count, start + chunk)
            var texts: [String] = [], pairs: [String?] = []
            for i in start..<end {
                let line = String(decoding: lines[i], as: UTF8.self)
                if jsonl {
                    let (a, b) = try jsonText(line, field: field, pairField: pairField, file: source, line: i + 1)
                    texts.append(a); pairs.append(b)
                } else {
                    texts.append(line); pairs.append(nil)
                }
            }
            let encodings: [Encoding]
            if pairField != nil {
                encodings = zip(texts, pairs).map { a, b in
                    b.map { tok.encode(a, $0, addSpecialTokens: special, maxLength: maxLength) }
                        ?? tok.encode(a, addSpecialTokens: special, maxLength: maxLength)
                }
            } else {
                encodings = tok.encodeBatch(texts, addSpecialTokens: special, maxLength: maxLength, threads: threads)
            }
            for e in encodings {
                out.append(UInt8(ascii: "["))
                for (k, id) in e.ids.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(contentsOf: String(id).utf8)
                }
                out.append(contentsOf: "]\n".utf8)
            }
            if let e = DescriptorWrite.all(1, out) {
                throw PipelineError.io(path: "stdout", message: "cannot write: \(DescriptorWrite.reason(e))")
            }
            out.removeAll(keepingCapacity: true)
            start = end
        }
    }

    static func jsonText(_ line: String, field: String, pairField: String?, file: String, line number: Int) throws
        -> (String, String?)
    {
        let value: JSONValue
        do {
            value = try JSONReader.parse(Array(line.utf8), path: file, line: number)
        } catch let e as FormatsError {
            throw InputError(message: e.description)
        }
        guard let text = value[field]?.string else {
            throw InputError(message: "\(file):\(number): expected an object with a string field '\(field)'")
        }
        var pair: String? = nil
        if let pf = pairField {
            guard let p = value[pf]?.string else {
                throw InputError(message: "\(file):\(number): expected a string field '\(pf)'")
            }
            pair = p
        }
        return (text, pair)
    }
}

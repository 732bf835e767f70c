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
      --tokenizer PATH     a model directory or a tokenizer file (tokenizer.json, vocab.txt, vocab.json,
                           tokenizer.model); the algorithm is chosen from the files present
      --input FILE         input file (default: stdin)
      --jsonl              input lines are JSON objects
      --field NAME         JSONL field holding the text (default: text)
      --pair-field NAME    JSONL field holding a second text, encoded as a pair
      --no-special-tokens  do not add [CLS]/[SEP], <s>/</s>, <cls>/<eos> …
      --max-length N       truncate so that each encoding has at most N ids (special tokens included)
      --threads N          worker threads (default: all cores)
    """

    static func run(_ args: inout Arguments) throws {
        let path = try args.required("tokenizer")
        let input = try args.option("input")
        let jsonl = args.flag("jsonl")
        let field = try args.option("field") ?? "text"
        let pairField = try args.option("pair-field")
        let special = !args.flag("no-special-tokens")
        let maxLength: Int? = try args.option("max-length").map {
            guard let n = Int($0), n > 0 else { throw ArgumentError.badValue("--max-length", $0) }
            return n
        }
        let threads = try ThreadsOption.parse(&args, default: 0)   // 0: all cores
        try args.finish()

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

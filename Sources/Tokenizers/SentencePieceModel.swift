import Foundation

/// Reads the token list of a `tokenizer.model`: either a newline-separated list (the xTrimoPGLM release)
/// or a sentencepiece `ModelProto` protobuf, of which only the pieces (field 1, piece text in its field 1)
/// are read; ids are list positions.
enum SentencePieceModel {
    static func read(_ path: String) throws -> [String] {
        let bytes = try TokenizerFileCheck.bytes(path)
        let what = "a sentencepiece ModelProto (starting with byte 0x0a) or a UTF-8 list of tokens, one per line"
        // A protobuf ModelProto starts with field 1, wire type 2 (0x0A); a text list starts with a token.
        let pieces: [String]
        if bytes.first == 0x0A {
            pieces = try parseProto(bytes, path: path)
        } else {
            try TokenizerFileCheck.text(bytes, path: path, what: what)
            pieces = splitLines(bytes)
        }
        guard !pieces.isEmpty else { throw TokenizerError.badBinary(path: path, offset: 0, expected: what + "; found no tokens") }
        try TokenizerFileCheck.uniqueTokens(pieces, path: path)
        return pieces
    }

    static func parseProto(_ b: [UInt8], path: String) throws -> [String] {
        var pos = 0
        func varint(_ end: Int) throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard pos < end, shift < 64 else { throw TokenizerError.badBinary(path: path, offset: pos, expected: "a varint") }
                let x = b[pos]; pos += 1
                v |= UInt64(x & 0x7F) << shift
                if x & 0x80 == 0 { return v }
                shift += 7
            }
        }
        /// A varint length that must fit in the `end − pos` bytes left (`what` names the content, for messages).
        func length(_ end: Int, _ what: String) throws -> Int {
            let raw = try varint(end)
            guard let n = Int(exactly: raw), n <= end - pos else {
                throw TokenizerError.badBinary(path: path, offset: pos, expected: "\(raw) bytes of \(what), but \(end - pos) are left")
            }
            return n
        }
        func skip(_ wire: UInt64, _ end: Int) throws {
            switch wire {
            case 0: _ = try varint(end)
            case 1: pos += 8
            case 2: pos += try length(end, "a field")
            case 5: pos += 4
            default: throw TokenizerError.badBinary(path: path, offset: pos, expected: "a protobuf wire type 0, 1, 2 or 5")
            }
            guard pos <= end else { throw TokenizerError.badBinary(path: path, offset: end, expected: "a field inside the message") }
        }
        var pieces: [String] = []
        while pos < b.count {
            let key = try varint(b.count)
            if key == 0x0A {
                let len = try length(b.count, "a piece"), end = pos + len
                var text: String? = nil
                while pos < end {
                    let k = try varint(end)
                    if k == 0x0A {
                        let n = try length(end, "piece text")
                        text = String(decoding: b[pos..<(pos + n)], as: UTF8.self)
                        pos += n
                    } else {
                        try skip(k & 7, end)
                    }
                }
                guard let t = text else { throw TokenizerError.badBinary(path: path, offset: end, expected: "a piece with text") }
                pieces.append(t)
            } else {
                try skip(key & 7, b.count)
            }
        }
        return pieces
    }
}

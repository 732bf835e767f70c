/// GPT-2's byte-level alphabet and pre-tokenizer.
enum ByteLevel {
    /// Byte → printable scalar (`bytes_to_unicode`): printable Latin-1 bytes map to themselves, the other 68
    /// bytes to U+0100 and up in byte order (so space becomes `Ġ`, newline `Ċ`).
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
            if printable { table[b] = UInt32(b) } else { table[b] = next; next += 1 }
        }
        return table
    }()

    /// The inverse table, scalar → byte, for decoding.
    static let scalarToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for b in 0..<256 { m[byteToScalar[b]] = UInt8(b) }
        return m
    }()

    /// The end of the pre-token starting at `i`, following the GPT-2 pattern
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// (alternatives tried in order at each position, as the regex engine does).
    @inline(__always)
    static func pretokenEnd(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, _ hi: Int) -> Int {
        let c = s[i]
        if c == 0x27, i + 1 < hi {  // contractions, case-sensitive
            let d = s[i + 1]
            if d == 0x73 || d == 0x74 || d == 0x6D || d == 0x64 { return i + 2 }  // 's 't 'm 'd
            if i + 2 < hi {
                let e = s[i + 2]
                if (d == 0x72 && e == 0x65) || (d == 0x76 && e == 0x65) || (d == 0x6C && e == 0x6C) { return i + 3 }
            }
        }
        var j = i
        var f = UnicodeClass.of(c)
        if c == 0x20, i + 1 < hi {
            let g = UnicodeClass.of(s[i + 1])
            if g & UnicodeClass.whitespace == 0 { j = i + 1; f = g }
        }
        let ws = UnicodeClass.whitespace, letter = UnicodeClass.letter, number = UnicodeClass.number
        if f & ws == 0 || j > i {
            // One class run: letters, numbers, or "other" (neither whitespace, letter nor number).
            let kind = f & letter != 0 ? letter : f & number != 0 ? number : 0
            var k = j + 1
            while k < hi {
                let g = UnicodeClass.of(s[k])
                if kind == 0 { if g & (ws | letter | number) != 0 { break } } else if g & kind == 0 { break }
                k += 1
            }
            return k
        }
        // Whitespace run: leave its last character to the next token when a non-space follows.
        var k = i + 1
        while k < hi, UnicodeClass.of(s[k]) & ws != 0 { k += 1 }
        if k < hi && k - i >= 2 { return k - 1 }
        return k
    }
}

extension BPETokenizer {
    /// The GPT-2 pre-tokens of `text` (before byte mapping and merges), exposed to test the hand-written
    /// matcher against the regular expression it implements.
    public static func preTokenize(_ text: String) -> [String] {
        var s: [UInt32] = []
        decodeScalars(text, into: &s)
        var out: [String] = []
        s.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                let e = ByteLevel.pretokenEnd(b, i, b.count)
                var str = String.UnicodeScalarView()
                for k in i..<e { str.append(Unicode.Scalar(b[k])!) }
                out.append(String(str))
                i = e
            }
        }
        return out
    }
}

import Foundation

/// Character classes used by the BERT normalizer and the GPT-2 pre-tokenizer, looked up in a table for the
/// Basic Multilingual Plane and computed from `Unicode.Scalar.Properties` above it.
enum UnicodeClass {
    static let letter: UInt8 = 1        // L*
    static let number: UInt8 = 2        // N*
    static let whitespace: UInt8 = 4    // White_Space (Rust char::is_whitespace, Oniguruma \s)
    static let punctuation: UInt8 = 8   // BERT punctuation: ASCII punctuation or P*
    static let other: UInt8 = 16        // BERT "control": Cc, Cf, Cn, Co, Cs (except \t \n \r)
    static let mark: UInt8 = 32         // Mn (removed by accent stripping)

    /// The reference tables (see ReferenceUnicodeTables.swift) with one flag byte per tested class.
    private static let tables: [(UInt8, [ClosedRange<UInt32>])] = [
        (letter, referenceLetters), (number, referenceNumbers), (whitespace, referenceSpaces),
        (punctuation, referenceBertPunctuation), (other, referenceBertRemoved), (mark, referenceNonspacingMarks),
    ]

    static let bmp: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x10000)
        for (flag, ranges) in tables {
            for r in ranges where r.lowerBound < 0x10000 {
                for c in r.lowerBound...min(r.upperBound, 0xFFFF) { t[Int(c)] |= flag }
            }
        }
        return t
    }()

    @inline(__always)
    static func of(_ c: UInt32) -> UInt8 { c < 0x10000 ? bmp[Int(c)] : compute(c) }

    static func compute(_ c: UInt32) -> UInt8 {
        var f: UInt8 = 0
        for (flag, ranges) in tables where contains(ranges, c) { f |= flag }
        return f
    }

    private static func contains(_ ranges: [ClosedRange<UInt32>], _ c: UInt32) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(c)
    }

    /// CJK Unified Ideographs and their extensions / compatibility blocks, as in `tokenizers`' BertNormalizer
    /// (whose table starts the extension-E range at U+2B920, not BERT's U+2B820).
    @inline(__always)
    static func isCJK(_ c: UInt32) -> Bool {
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
            || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
            || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F)
    }
}

/// Unicode scalars of a string with UTF-8 decoding done by hand (no `Character` / grapheme work).
@inline(__always)
func decodeScalars(_ text: String, into out: inout [UInt32]) {
    out.removeAll(keepingCapacity: true)
    var t = text
    t.withUTF8 { u in
        var i = 0
        let n = u.count
        while i < n {
            let b0 = UInt32(u[i])
            if b0 < 0x80 { out.append(b0); i += 1; continue }
            if b0 < 0xE0 { out.append((b0 & 0x1F) << 6 | UInt32(u[i + 1] & 0x3F)); i += 2; continue }
            if b0 < 0xF0 {
                out.append((b0 & 0x0F) << 12 | UInt32(u[i + 1] & 0x3F) << 6 | UInt32(u[i + 2] & 0x3F)); i += 3; continue
            }
            out.append((b0 & 0x07) << 18 | UInt32(u[i + 1] & 0x3F) << 12 | UInt32(u[i + 2] & 0x3F) << 6
                       | UInt32(u[i + 3] & 0x3F))
            i += 4
        }
    }
}

/// Appends the UTF-8 encoding of scalar `c`.
@inline(__always)
func appendUTF8(_ c: UInt32, to out: inout [UInt8]) {
    if c < 0x80 { out.append(UInt8(c)) } else if c < 0x800 {
        out.append(UInt8(0xC0 | c >> 6)); out.append(UInt8(0x80 | c & 0x3F))
    } else if c < 0x10000 {
        out.append(UInt8(0xE0 | c >> 12)); out.append(UInt8(0x80 | (c >> 6) & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
    } else {
        out.append(UInt8(0xF0 | c >> 18)); out.append(UInt8(0x80 | (c >> 12) & 0x3F))
        out.append(UInt8(0x80 | (c >> 6) & 0x3F)); out.append(UInt8(0x80 | c & 0x3F))
    }
}

@inline(__always)
func utf8Length(_ c: UInt32) -> Int { c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4 }

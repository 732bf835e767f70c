import Foundation

/// Parses JSON text (RFC 8259, strict) into a `JSONValue` tree.
///
/// Strict means: one top-level value and only whitespace around it, no NaN/Infinity, no trailing commas,
/// no raw control characters in strings, `\u` escapes with paired surrogates, UTF-8 validated in strings,
/// and no key twice in one object (the error points at the second occurrence). Nesting is limited (512 by
/// default), so hostile input cannot exhaust the stack. The parser walks bytes, never `Character`s.
public struct JSONReader {
    /// Deepest nesting of arrays/objects accepted by default.
    public static let defaultDepthLimit = 512

    /// Parses `bytes`; `path` names the file in errors, `baseOffset` is added to every byte offset (for a
    /// document embedded in a larger file, such as a safetensors header), and `line` is the line the
    /// bytes start on (for one line of a JSON Lines file).
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String? = nil, baseOffset: Int = 0,
                             line: Int = 1, depthLimit: Int = defaultDepthLimit) throws -> JSONValue {
        var p = JSONReader(bytes: bytes, path: path, base: baseOffset, line: line, depthLimit: depthLimit)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        if p.i != bytes.count { throw p.syntax("end of input after the JSON value, found \(p.describeHere())") }
        return v
    }

    /// Parses a byte array (see `parse(_:path:baseOffset:line:depthLimit:)`).
    public static func parse(_ bytes: [UInt8], path: String? = nil, line: Int = 1,
                             depthLimit: Int = defaultDepthLimit) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, path: path, line: line, depthLimit: depthLimit) }
    }

    /// Parses a string's UTF-8.
    public static func parse(_ text: String, path: String? = nil) throws -> JSONValue {
        try parse(Array(text.utf8), path: path)
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String, depthLimit: Int = defaultDepthLimit) throws -> JSONValue {
        try parse(FileBytes.read(path: path), path: path, depthLimit: depthLimit)
    }

    let bytes: UnsafeRawBufferPointer
    let path: String?
    let base: Int
    let depthLimit: Int
    var i = 0
    var line: Int
    var lineStart = 0
    // Column cache: scalar column `colValue` at byte `colOffset`, advanced incrementally (O(n) per document).
    var colOffset = 0
    var colValue = 1

    init(bytes: UnsafeRawBufferPointer, path: String?, base: Int, line: Int, depthLimit: Int) {
        self.bytes = bytes; self.path = path; self.base = base; self.line = line; self.depthLimit = depthLimit
    }

    mutating func location(_ at: Int) -> SourceLocation {
        if colOffset < lineStart || colOffset > at { colOffset = lineStart; colValue = 1 }
        var c = colValue
        if let base = bytes.baseAddress, colOffset < at {
            let p = base.assumingMemoryBound(to: UInt8.self)
            // Scalars = bytes that are not UTF-8 continuation bytes (10xxxxxx); a branch-free loop.
            for k in colOffset..<at { c &+= p[k] & 0xC0 == 0x80 ? 0 : 1 }
        }
        colOffset = at; colValue = c
        return SourceLocation(path: path, offset: base + at, line: line, column: c)
    }

    mutating func syntax(_ expected: String, at: Int? = nil) -> FormatsError {
        .syntax(at: location(at ?? i), expected: expected)
    }

    func describeHere() -> String {
        guard i < bytes.count else { return "end of input" }
        let c = bytes[i]
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0D: i += 1
            case 0x0A: i += 1; line += 1; lineStart = i
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws -> JSONValue {
        guard i < bytes.count else { throw syntax("a value (object, array, string, number, true, false or null), found end of input") }
        let start = i
        let loc = location(start)
        switch bytes[i] {
        case UInt8(ascii: "{"):
            guard depth < depthLimit else { throw FormatsError.tooDeep(at: loc, limit: depthLimit) }
            return JSONValue(.object(try object(depth: depth)), location: loc)
        case UInt8(ascii: "["):
            guard depth < depthLimit else { throw FormatsError.tooDeep(at: loc, limit: depthLimit) }
            return JSONValue(.array(try array(depth: depth)), location: loc)
        case UInt8(ascii: "\""): return JSONValue(.string(try string()), location: loc)
        case UInt8(ascii: "t"): try literal("true"); return JSONValue(.bool(true), location: loc)
        case UInt8(ascii: "f"): try literal("false"); return JSONValue(.bool(false), location: loc)
        case UInt8(ascii: "n"): try literal("null"); return JSONValue(.null, location: loc)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONValue(try number(), location: loc)
        default: throw syntax("a value (object, array, string, number, true, false or null), found \(describeHere())")
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count, let b = bytes.baseAddress, memcmp(b + i, word.utf8Start, n) == 0 else {
            throw syntax("'\(word)'")
        }
        i += n
    }

    mutating func object(depth: Int) throws -> [(key: String, value: JSONValue)] {
        i += 1  // '{'
        var members: [(key: String, value: JSONValue)] = []
        var keyOffsets: [Int] = []
        var seen = KeyTable()
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return members }
        while true {
            skipWhitespace()
            let keyStart = i
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw syntax("a string key, found \(describeHere())") }
            let key = try string()
            // Small objects scan linearly; larger ones switch to a hash table of key bytes.
            var first: Int?
            if members.count < 16 {
                if let k = members.firstIndex(where: { $0.key.utf8.elementsEqual(key.utf8) }) { first = keyOffsets[k] }
                if members.count == 15 { for m in members { _ = seen.insert(m.key, index: seen.count) { _ in false } } }
            }
            if members.count >= 15 {
                if let k = seen.insert(key, index: members.count, equal: { members[$0].key.utf8.elementsEqual(key.utf8) }) {
                    first = keyOffsets[k]
                }
            }
            keyOffsets.append(keyStart)
            if let first {
                throw FormatsError.duplicateKey(at: location(keyStart), key: key, firstOffset: base + first, depth: depth + 1)
            }
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw syntax("':' after an object key, found \(describeHere())") }
            i += 1
            skipWhitespace()
            members.append((key, try value(depth: depth + 1)))
            if try closes(UInt8(ascii: "}"), after: "an object member") { return members }
        }
    }

    mutating func array(depth: Int) throws -> [JSONValue] {
        i += 1  // '['
        var items: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return items }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth + 1))
            if try closes(UInt8(ascii: "]"), after: "an array element") { return items }
        }
    }

    /// After a member/element: consumes ',' (false: another follows) or `close` (true: the container ends).
    mutating func closes(_ close: UInt8, after what: String) throws -> Bool {
        skipWhitespace()
        let c = i < bytes.count ? bytes[i] : 0
        guard c == close || c == UInt8(ascii: ",") else {
            throw syntax("',' or '\(Character(Unicode.Scalar(close)))' after \(what), found \(describeHere())")
        }
        i += 1
        return c == close
    }

    mutating func number() throws -> JSONValue.Kind {
        let start = i
        var negative = false
        var magnitude: UInt64 = 0
        var exact = true
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { throw syntax("a digit") }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, isDigit(bytes[i]) { throw syntax("no leading zeros in a number") }
        } else {
            while i < bytes.count, isDigit(bytes[i]) {
                if exact {
                    let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] &- 0x30))
                    magnitude = a
                    exact = !(o1 || o2)
                }
                i += 1
            }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            exact = false
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { throw syntax("a digit after '.'") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            exact = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw syntax("a digit in the exponent") }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        // -0 stays a double so its sign survives a round trip.
        if exact && !(negative && magnitude == 0) {
            if !negative, magnitude <= UInt64(Int64.max) { return .integer(Int64(magnitude)) }
            if negative, magnitude <= UInt64(Int64.max) + 1 { return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        // The grammar was checked above, so strtod accepts the text; overflow gives ±infinity.
        return .number(strtod(text, nil), text: text)
    }

    func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
}

/// Open-addressing set of member indices keyed by the UTF-8 bytes of their keys (byte-exact, unlike
/// `String` hashing, which is canonical equivalence, and much cheaper than a `Dictionary` per object).
/// Each slot packs a 32-bit hash tag with the member index, so a probe touches one cache line.
struct KeyTable {
    private var slots: [UInt64] = []     // tag << 32 | (member index + 1); 0 = empty
    private(set) var count = 0

    /// Inserts member `index` with `key`; returns the index of an earlier member with the same key bytes
    /// (`equal` confirms a tag match) instead of inserting.
    mutating func insert(_ key: String, index: Int, equal: (Int) -> Bool) -> Int? {
        var k = key
        let tag = UInt32(truncatingIfNeeded: k.withUTF8 { KeyTable.hash($0) } >> 32)
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var i = Int(tag) & mask
        while slots[i] != 0 {
            let s = slots[i]
            if UInt32(truncatingIfNeeded: s >> 32) == tag {
                let m = Int(truncatingIfNeeded: s & 0xFFFF_FFFF) - 1
                if equal(m) { return m }
            }
            i = (i + 1) & mask
        }
        slots[i] = UInt64(tag) << 32 | UInt64(truncatingIfNeeded: index + 1)
        count += 1
        return nil
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: max(64, old.count * 2))
        let mask = slots.count - 1
        for s in old where s != 0 {
            var i = Int(truncatingIfNeeded: s >> 32) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }

    /// Per-process seed, so a hostile file cannot be built to collide (which would cost quadratic time).
    static let seed = UInt64.random(in: 0...UInt64.max)

    /// FNV-1a from a random seed, with a final mix.
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325 ^ seed
        for c in b { h = (h ^ UInt64(c)) &* 0x100000001b3 }
        h ^= h >> 33; h = h &* 0xff51afd7ed558ccd; h ^= h >> 33
        return h
    }
}

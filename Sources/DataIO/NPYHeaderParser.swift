/// Parses the Python-literal dict of an `.npy` header: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
struct NPYHeaderParser {
    struct Fields {
        var descr: String?
        var fortranOrder = false
        var shape: [Int]?
    }

    let text: [UInt8]
    let path: String
    /// Byte offset of the dict in the file, for errors.
    let offset: Int
    private var i = 0

    init(text: String, path: String, offset: Int) {
        self.text = Array(text.utf8)
        self.path = path
        self.offset = offset
    }

    private func fail(_ expected: String) -> DataIOError {
        .format(SourcePosition(path: path, byteOffset: offset + i), expected: "header: " + expected)
    }

    private mutating func skipSpace() {
        while i < text.count, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < text.count, text[i] == c.asciiValue! else { throw fail("expected '\(c)'") }
        i += 1
    }

    private mutating func peek(_ c: Character) -> Bool {
        skipSpace()
        return i < text.count && text[i] == c.asciiValue!
    }

    private mutating func string() throws -> String {
        skipSpace()
        guard i < text.count, text[i] == 0x27 || text[i] == 0x22 else { throw fail("expected a quoted string") }
        let q = text[i]
        i += 1
        let start = i
        while i < text.count, text[i] != q { i += 1 }
        guard i < text.count else { throw fail("expected a closing quote") }
        defer { i += 1 }
        return String(decoding: text[start..<i], as: UTF8.self)
    }

    private mutating func word() -> String {
        skipSpace()
        let start = i
        while i < text.count, (text[i] >= 0x30 && text[i] <= 0x39) || (text[i] | 0x20 >= 0x61 && text[i] | 0x20 <= 0x7A) { i += 1 }
        return String(decoding: text[start..<i], as: UTF8.self)
    }

    mutating func parse() throws -> Fields {
        var fields = Fields()
        try expect("{")
        while !peek("}") {
            let key = try string()
            try expect(":")
            switch key {
            case "descr":
                fields.descr = try string()
            case "fortran_order":
                let w = word()
                guard w == "True" || w == "False" else { throw fail("expected True or False for fortran_order") }
                fields.fortranOrder = w == "True"
            case "shape":
                try expect("(")
                var dims: [Int] = []
                while !peek(")") {
                    guard let d = Int(word()), d >= 0 else { throw fail("expected a non-negative integer in shape") }
                    dims.append(d)
                    if !peek(")") { try expect(",") }
                }
                try expect(")")
                fields.shape = dims
            default:
                throw fail("expected one of the keys 'descr', 'fortran_order', 'shape', found '\(key)'")
            }
            if !peek("}") { try expect(",") }
        }
        try expect("}")
        return fields
    }
}

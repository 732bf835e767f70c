/// One FASTA record: a `>` header line split into id and description, and its sequence.
public struct FASTARecord: Equatable, Sendable {
    /// Header text up to the first space or tab (may be empty).
    public var id: String
    /// Header text after the id and the whitespace following it (empty when there is none).
    public var description: String
    /// Residues with line breaks and blanks removed; case and symbols such as `*` and `-` kept as read.
    public var sequence: String
    /// 1-based line of the header in the source file (0 for records built in code).
    public var line: Int

    public init(id: String, description: String = "", sequence: String, line: Int = 0) {
        self.id = id
        self.description = description
        self.sequence = sequence
        self.line = line
    }

    /// The header as written after `>`: the id, then a space and the description when there is one.
    public var header: String { description.isEmpty ? id : id + " " + description }

    /// Splits header text (without `>`) at the first run of spaces or tabs; trailing blanks are dropped.
    public static func splitHeader(_ text: String) -> (id: String, description: String) {
        Array(text.utf8).withUnsafeBufferPointer { splitHeader(bytes: $0) }
    }

    /// `splitHeader` on UTF-8 bytes (what the reader calls, avoiding Character-level string scanning).
    static func splitHeader(bytes: UnsafeBufferPointer<UInt8>) -> (id: String, description: String) {
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var cut = 0
        while cut < bytes.count && !blank(bytes[cut]) { cut += 1 }
        var from = cut
        while from < bytes.count && blank(bytes[from]) { from += 1 }
        var to = bytes.count
        while to > from && blank(bytes[to - 1]) { to -= 1 }
        return (String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<cut]), as: UTF8.self),
                String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self))
    }
}

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

    /// Splits header text (without `>`) at the first run of spaces or tabs.
    public static func splitHeader(_ text: Substring) -> (id: String, description: String) {
        guard let cut = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (String(text), "") }
        let rest = text[cut...].drop(while: { $0 == " " || $0 == "\t" })
        var desc = rest
        while let last = desc.last, last == " " || last == "\t" { desc = desc.dropLast() }
        return (String(text[..<cut]), String(desc))
    }
}

/// Streams the records of a FASTA file (plain, `.gz` or `.zst`) one at a time, in constant memory.
///
/// Accepted input: multi-line records, empty sequences, CRLF line ends, blank lines, and `;` comment lines
/// (skipped anywhere). Spaces and tabs inside sequence lines are dropped. Errors (with `file:line:column`):
/// sequence data before the first header, and bytes that cannot be residues (control characters,
/// non-ASCII). Use it as `while let record = try reader.next() { … }` or `try reader.forEach { … }`.
public final class FASTAReader {
    /// The path given at creation.
    public var path: String { lines.path }
    private let lines: LineReader
    /// Header of the record whose sequence comes next (text after `>`), with its line number.
    private var pendingHeader: (text: String, line: Int)?
    private var started = false
    private var sequence: [UInt8] = []

    /// Opens `path`; compression is detected from the content.
    public init(path: String) throws {
        lines = try LineReader(path: path)
    }

    /// The next record, or nil after the last one.
    public func next() throws -> FASTARecord? {
        if !started {
            started = true
            pendingHeader = try firstHeader()
        }
        guard let header = pendingHeader else { return nil }
        pendingHeader = nil
        sequence.removeAll(keepingCapacity: true)
        while let kind = try lines.withNextLine({ try consume($0) }) {
            if case .header(let text) = kind {
                pendingHeader = (text, lines.lineNumber)
                break
            }
        }
        let (id, description) = FASTARecord.splitHeader(Substring(header.text))
        return FASTARecord(id: id, description: description,
                           sequence: String(decoding: sequence, as: UTF8.self), line: header.line)
    }

    /// Calls `body` with each remaining record; stops at (and rethrows) the first error.
    public func forEach(_ body: (FASTARecord) throws -> Void) throws {
        while let record = try next() { try body(record) }
    }

    /// Every record of `path` (small files only: this holds them all in memory).
    public static func readAll(path: String) throws -> [FASTARecord] {
        let reader = try FASTAReader(path: path)
        var out: [FASTARecord] = []
        try reader.forEach { out.append($0) }
        return out
    }

    private enum LineKind { case header(String), other }

    /// Skips blank and comment lines up to the first header; sequence data there is an error.
    private func firstHeader() throws -> (text: String, line: Int)? {
        while let kind = try lines.withNextLine({ line -> LineKind in
            guard let first = firstNonBlank(line) else { return .other }
            if line[first] == UInt8(ascii: ";") { return .other }
            if line[first] == UInt8(ascii: ">") && first == 0 {
                return .header(String(decoding: UnsafeBufferPointer(rebasing: line[1...]), as: UTF8.self))
            }
            throw DataIOError.syntax(
                SourcePosition(path: path, line: lines.lineNumber, column: LineReader.column(of: first, in: line)),
                expected: "expected a '>' header line before sequence data")
        }) {
            if case .header(let text) = kind { return (text, lines.lineNumber) }
        }
        return nil
    }

    /// Appends a sequence line's residues, or reports a header; comments and blank lines are `.other`.
    private func consume(_ line: UnsafeBufferPointer<UInt8>) throws -> LineKind {
        guard let first = line.first else { return .other }
        if first == UInt8(ascii: ">") {
            return .header(String(decoding: UnsafeBufferPointer(rebasing: line[1...]), as: UTF8.self))
        }
        if first == UInt8(ascii: ";") { return .other }
        // Fast path: a line of printable ASCII without blanks is appended as a whole.
        var clean = true
        for byte in line where byte <= 0x20 || byte >= 0x7F { clean = false; break }
        if clean {
            sequence.append(contentsOf: line)
            return .other
        }
        for (i, byte) in line.enumerated() {
            if byte == 0x20 || byte == 0x09 || byte == 0x0D { continue }
            if byte < 0x20 || byte >= 0x7F {
                throw DataIOError.syntax(
                    SourcePosition(path: path, line: lines.lineNumber, column: LineReader.column(of: i, in: line)),
                    expected: "expected a residue letter, found byte 0x\(String(byte, radix: 16))")
            }
            sequence.append(byte)
        }
        return .other
    }

    private func firstNonBlank(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
        line.firstIndex { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
    }
}

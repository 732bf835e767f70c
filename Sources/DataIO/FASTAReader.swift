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
    /// Header bytes (after `>`) of the record whose sequence comes next, and its line number.
    private var header: [UInt8] = []
    private var headerLine = 0
    private var haveHeader = false
    private var started = false
    private var sequence: [UInt8] = []

    /// Bytes of the file read so far (compressed bytes for `.gz` / `.zst`), for progress reports.
    public var fileBytesRead: Int { lines.source.fileBytesRead }

    /// Opens `path`; compression is detected from the content.
    public init(path: String) throws {
        lines = try LineReader(path: path)
    }

    /// The next record, or nil after the last one.
    public func next() throws -> FASTARecord? {
        if !started {
            started = true
            try findFirstHeader()
        }
        guard haveHeader else { return nil }
        let (id, description) = header.withUnsafeBufferPointer { FASTARecord.splitHeader(bytes: $0) }
        let line = headerLine
        haveHeader = false
        // A local buffer (swapped with the stored one to keep its capacity) avoids a dynamic exclusivity
        // check on every line.
        var residues: [UInt8] = []
        swap(&residues, &sequence)
        residues.removeAll(keepingCapacity: true)
        while try lines.withNextLine({ try consume($0, into: &residues) }) == .some(false) {}
        let text = String(decoding: residues, as: UTF8.self)
        swap(&residues, &sequence)
        return FASTARecord(id: id, description: description, sequence: text, line: line)
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

    /// Keeps a header line's text (after `>`) as the pending header.
    private func takeHeader(_ line: UnsafeBufferPointer<UInt8>) {
        header.removeAll(keepingCapacity: true)
        header.append(contentsOf: UnsafeBufferPointer(rebasing: line[1...]))
        headerLine = lines.lineNumber
        haveHeader = true
    }

    /// Skips blank and comment lines up to the first header; sequence data there is an error.
    private func findFirstHeader() throws {
        while try lines.withNextLine({ line -> Bool in
            guard let first = firstNonBlank(line) else { return false }
            if line[first] == UInt8(ascii: ";") { return false }
            if line[first] == UInt8(ascii: ">") && first == 0 {
                takeHeader(line)
                return true
            }
            throw DataIOError.syntax(
                SourcePosition(path: path, line: lines.lineNumber, column: LineReader.column(of: first, in: line)),
                expected: "expected a '>' header line before sequence data")
        }) == .some(false) {}
    }

    /// Appends a sequence line's residues; returns true when the line is the next record's header.
    private func consume(_ line: UnsafeBufferPointer<UInt8>, into sequence: inout [UInt8]) throws -> Bool {
        guard let first = line.first else { return false }
        if first == UInt8(ascii: ">") {
            takeHeader(line)
            return true
        }
        if first == UInt8(ascii: ";") { return false }
        // Fast path: a line of printable ASCII without blanks is appended as a whole.
        if ResidueScan.isPrintable(line) {
            sequence.append(contentsOf: line)
            return false
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
        return false
    }

    private func firstNonBlank(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
        line.firstIndex { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
    }
}

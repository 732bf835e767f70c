/// Streams the records of a FASTA file (plain, `.gz` or `.zst`) one at a time, in constant memory.
///
/// Accepted input: multi-line records, empty sequences, CRLF line ends, blank lines, and `;` comment lines
/// (skipped anywhere). Spaces and tabs inside sequence lines are dropped. Errors (with `file:line:column`):
/// sequence data before the first header, and bytes that cannot be residues (control characters,
/// non-ASCII). Use it as `while let record = try reader.next() { … }` or `try reader.forEach { … }`.
public final class FASTAReader: RecordStream {
    /// The path given at creation.
    public var path: String { lines.path }
    private let lines: LineReader
    /// Header bytes (after `>`) of the record whose sequence comes next, and its line number.
    private var header: [UInt8] = []
    private var headerLine = 0
    private var haveHeader = false
    private var started = false
    private var sequence: [UInt8] = []
    /// Whether the line being read is a header (its continuation pieces are header text too).
    private var inHeader = false
    /// Pieces of the current record's header line beyond the first (a header longer than a read buffer).
    private var headerTail: [UInt8] = []

    /// Longest sequence held, in residues: a longer record is an error naming it and the limit (a few KB of
    /// `.zst` can expand to gigabytes). 256 Mi covers proteins and single-line chromosomes alike.
    public var maxSequenceLength = 256 << 20
    /// Longest header line, in bytes.
    public static let maxHeaderLength = 1 << 20
    /// When false, records come back with empty sequences and nothing is held or capped: for checking
    /// and counting files of any size in constant memory (`trellis validate`).
    public var retainsSequences = true
    /// Residues of the record most recently returned (counted even when not retained).
    public private(set) var lastSequenceLength = 0
    private var recordLine = 0

    /// Bytes of the file read so far (compressed bytes for `.gz` / `.zst`), for progress reports.
    public var fileBytesRead: Int { lines.source.fileBytesRead }

    /// Opens `path`; compression is detected from the content.
    public init(path: String) throws {
        lines = try LineReader(path: path)
        // Sequence lines may be arbitrarily long: read them in pieces so memory stays bounded.
        lines.maxLineLength = 1 << 20
        lines.splitsLongLines = true
    }

    /// The next record, or nil after the last one.
    public func next() throws -> FASTARecord? {
        if !started {
            started = true
            try findFirstHeader()
        }
        guard haveHeader else { return nil }
        let line = headerLine
        haveHeader = false
        headerTail.removeAll(keepingCapacity: true)
        var current: [UInt8] = []
        swap(&current, &header) // the loop may read the next record's header into `header`
        // A local buffer (swapped with the stored one to keep its capacity) avoids a dynamic exclusivity
        // check on every line.
        var residues: [UInt8] = []
        swap(&residues, &sequence)
        residues.removeAll(keepingCapacity: true)
        lastSequenceLength = 0
        recordLine = line
        while try lines.withNextLine({ try consume($0, into: &residues) }) == .some(false) {}
        let text = String(decoding: residues, as: UTF8.self)
        if residues.capacity > 1 << 24 { residues = [] } // do not keep a huge record's buffer for the next one
        swap(&residues, &sequence)
        if !headerTail.isEmpty { current += headerTail }
        let (id, description) = current.withUnsafeBufferPointer { FASTARecord.splitHeader(bytes: $0) }
        return FASTARecord(id: id, description: description, sequence: text, line: line)
    }

    /// Every record of `path` (small files only: this holds them all in memory).
    public static func readAll(path: String) throws -> [FASTARecord] {
        try FASTAReader(path: path).remaining()
    }

    /// Keeps a header line's text (after `>`) as the pending header.
    private func takeHeader(_ line: UnsafeBufferPointer<UInt8>) {
        inHeader = true
        header.removeAll(keepingCapacity: true)
        header.append(contentsOf: UnsafeBufferPointer(rebasing: line[1...]))
        headerLine = lines.lineNumber
        haveHeader = true
    }

    /// Skips blank and comment lines up to the first header; sequence data there is an error.
    private func findFirstHeader() throws {
        while try lines.withNextLine({ line -> Bool in
            if lines.isContinuation { return try continueLine(line) }
            inHeader = false
            guard let first = firstNonBlank(line) else { return false }
            if line[first] == UInt8(ascii: ";") { inComment = true; return false }
            inComment = false
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
        if lines.isContinuation {
            if inHeader || inComment { return try continueLine(line) }
        } else {
            inHeader = false
            inComment = false
            guard let first = line.first else { return false }
            if first == UInt8(ascii: ">") {
                takeHeader(line)
                return true
            }
            if first == UInt8(ascii: ";") { inComment = true; return false }
        }
        lastSequenceLength += line.count
        if !retainsSequences { return try checkResidues(line) }
        if sequence.count + line.count > maxSequenceLength {
            throw DataIOError.format(SourcePosition(path: path, line: lines.lineNumber, column: 1),
                                     expected: "a record of at most \(maxSequenceLength) residues; the record starting at line \(recordLine) is longer")
        }
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

    /// A piece of a header or comment line too long to read whole.
    private var inComment = false
    private func continueLine(_ line: UnsafeBufferPointer<UInt8>) throws -> Bool {
        if inComment { return false }
        guard headerTail.count + line.count <= Self.maxHeaderLength else {
            throw DataIOError.format(SourcePosition(path: path, line: lines.lineNumber, column: 1),
                                     expected: "a header line of at most \(Self.maxHeaderLength) bytes")
        }
        headerTail.append(contentsOf: line)
        return false
    }

    /// Checks a sequence line without keeping it.
    private func checkResidues(_ line: UnsafeBufferPointer<UInt8>) throws -> Bool {
        if ResidueScan.isPrintable(line) { return false }
        for (i, byte) in line.enumerated() where byte < 0x20 || byte >= 0x7F {
            if byte == 0x09 || byte == 0x0D { continue }
            throw DataIOError.syntax(
                SourcePosition(path: path, line: lines.lineNumber, column: LineReader.column(of: i, in: line)),
                expected: "expected a residue letter, found byte 0x\(String(byte, radix: 16))")
        }
        return false
    }

    private func firstNonBlank(_ line: UnsafeBufferPointer<UInt8>) -> Int? {
        line.firstIndex { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
    }
}

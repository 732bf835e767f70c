/// Streams the records of a CSV or TSV file (RFC 4180; plain, `.gz` or `.zst`) in constant memory.
///
/// Quoted fields may hold delimiters, doubled quotes and line breaks; CRLF and LF both end records; empty
/// lines between records are skipped. Errors carry `file:line:column` and say what was expected: a closing
/// quote followed by anything but a delimiter or a line end (a missing record break), a quote inside an
/// unquoted field, an unterminated quoted field, and (with `strictFieldCount`) a record whose field count
/// differs from the header's or the first record's. Use as `while let row = try reader.next() { … }`.
public final class CSVReader: RecordStream {
    /// The path given at creation.
    public let path: String
    /// The options in use.
    public let options: CSVOptions
    /// Field names from the header record, when `options.hasHeader`.
    public private(set) var header: [String]?
    /// Problems met so far when `options.onError == .collect` (always empty with `.fail`).
    public private(set) var problems: [DataIOError] = []

    private let source: ByteReader
    private var buffer: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 16
    private var pos = 0
    private var end = 0
    private var eof = false
    private var line = 1
    private var column = 1
    private var expectedFields: Int?
    private var reference = ""
    private var fieldBytes: [UInt8] = []
    private var atStart = true

    /// Bytes of the file read so far (compressed bytes for `.gz` / `.zst`), for progress reports.
    public var fileBytesRead: Int { source.fileBytesRead }

    /// Opens `path` and reads the header record when `options.hasHeader`.
    public init(path: String, options: CSVOptions = .csv) throws {
        self.path = path
        self.options = options
        source = try ByteReader(path: path)
        buffer = .allocate(capacity: capacity)
        if options.hasHeader, let first = try parseRecord() {
            header = first.fields
            expectedFields = first.fields.count
            reference = "header"
        }
    }

    deinit { buffer.deallocate() }

    /// The index of the header field called `name`.
    public func index(of name: String) -> Int? { header?.firstIndex(of: name) }

    /// The next record, or nil after the last one.
    public func next() throws -> CSVRow? {
        guard let row = try parseRecord() else { return nil }
        if options.strictFieldCount {
            if let expected = expectedFields {
                if row.fields.count != expected {
                    try report(.fieldCount(SourcePosition(path: path, line: row.line), expected: expected,
                                           actual: row.fields.count, reference: reference))
                }
            } else {
                expectedFields = row.fields.count
                reference = "first record, line \(row.line)"
            }
        }
        return row
    }

    /// Every record of `path` (the header excluded); holds them all in memory.
    public static func readAll(path: String, options: CSVOptions = .csv) throws -> [CSVRow] {
        try CSVReader(path: path, options: options).remaining()
    }

    /// Reads the whole file with `.collect` and returns every problem found (empty when the file is clean).
    public static func validate(path: String, options: CSVOptions = .csv) throws -> [DataIOError] {
        var opts = options
        opts.onError = .collect
        let reader = try CSVReader(path: path, options: opts)
        while try reader.next() != nil {}
        return reader.problems
    }

    // MARK: - Parsing

    private func report(_ error: DataIOError) throws {
        if options.onError == .fail { throw error }
        problems.append(error)
    }

    /// The next byte without consuming it, or nil at the end of input.
    @inline(__always)
    private func peek() throws -> UInt8? {
        if pos == end {
            if eof { return nil }
            pos = 0
            end = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: capacity))
            if end == 0 { eof = true; return nil }
            if atStart {
                atStart = false
                if end >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { pos = 3 }
                if pos == end { return try peek() }
            }
        }
        return buffer[pos]
    }

    /// Consumes one byte, keeping line and column up to date.
    @inline(__always)
    private func advance(_ byte: UInt8) {
        pos += 1
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
    }

    /// Consumes a line end starting at `byte` (`\n`, `\r\n`, or a lone `\r`).
    private func consumeLineEnd(_ byte: UInt8) throws {
        advance(byte)
        if byte == 0x0D {
            if try peek() == 0x0A { advance(0x0A) } else { line += 1; column = 1 }
        }
    }

    private func takeField(into fields: inout [String]) {
        fields.append(String(decoding: fieldBytes, as: UTF8.self))
        fieldBytes.removeAll(keepingCapacity: true)
    }

    /// The character starting at the current position, quoted, for error messages (a raw byte when it is
    /// a control character or its UTF-8 sequence is cut by the buffer end).
    private func printable(_ byte: UInt8) -> String {
        if (0x20..<0x7F).contains(byte) { return "'\(Character(UnicodeScalar(byte)))'" }
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 0
        if length > 0 && pos + length <= end {
            let text = String(decoding: UnsafeBufferPointer(start: buffer + pos, count: length), as: UTF8.self)
            if !text.contains("\u{FFFD}") { return "'\(text)'" }
        }
        return "byte 0x\(String(byte, radix: 16))"
    }

    private enum State { case fieldStart, unquoted, quoted, afterQuote }

    private func parseRecord() throws -> CSVRow? {
        // Skip empty lines between records.
        while let b = try peek(), b == 0x0A || b == 0x0D { try consumeLineEnd(b) }
        guard try peek() != nil else { return nil }
        let delimiter = options.delimiter, quote = options.quote
        let startLine = line
        var fields: [String] = []
        var state = State.fieldStart
        var quoteLine = 0, quoteColumn = 0
        fieldBytes.removeAll(keepingCapacity: true)
        while true {
            guard let b = try peek() else {
                if state == .quoted {
                    try report(.syntax(SourcePosition(path: path, line: quoteLine, column: quoteColumn),
                                       expected: "unterminated quoted field: expected a closing '\(Character(UnicodeScalar(quote)))' before the end of the file"))
                }
                takeField(into: &fields)
                return CSVRow(fields: fields, line: startLine)
            }
            // Outside quotes a delimiter ends the field and a line break the record, in every state.
            if state != .quoted {
                if b == delimiter {
                    advance(b)
                    takeField(into: &fields)
                    state = .fieldStart
                    continue
                }
                if b == 0x0A || b == 0x0D {
                    try consumeLineEnd(b)
                    takeField(into: &fields)
                    return CSVRow(fields: fields, line: startLine)
                }
            }
            switch state {
            case .fieldStart, .unquoted:
                if b == quote && state == .fieldStart {
                    quoteLine = line
                    quoteColumn = column
                    advance(b)
                    state = .quoted
                } else {
                    if b == quote {
                        try report(.syntax(SourcePosition(path: path, line: line, column: column),
                                           expected: "unexpected quote inside an unquoted field (quote the whole field and double the quote)"))
                    }
                    advance(b)
                    fieldBytes.append(b)
                    state = .unquoted
                }
            case .quoted:
                advance(b)
                if b == quote { state = .afterQuote } else { fieldBytes.append(b) }
            case .afterQuote:
                if b == quote {
                    advance(b)
                    fieldBytes.append(b)
                    state = .quoted
                } else {
                    let d = options.delimiter == 0x09 ? "'\\t'" : "'\(Character(UnicodeScalar(options.delimiter)))'"
                    try report(.syntax(SourcePosition(path: path, line: line, column: column),
                                       expected: "expected \(d) or end of record after closing quote, found \(printable(b))"))
                    // Read on as Python's csv does: the byte belongs to the field, which is no longer quoted.
                    advance(b)
                    fieldBytes.append(b)
                    state = .unquoted
                }
            }
        }
    }
}

/// Writes CSV or TSV atomically (see `AtomicFileWriter`), quoting like Python's `csv.QUOTE_MINIMAL`.
///
/// A field is quoted when it holds the delimiter, the quote character, `\r` or `\n` (quotes are doubled);
/// a record made of one empty field is written as `""` so it reads back as one field, not a blank line.
public final class CSVWriter {
    /// The options in use (`delimiter`, `quote`, `lineTerminator`).
    public let options: CSVOptions
    private let file: AtomicFileWriter
    private let terminator: [UInt8]
    /// Records written so far (the header included).
    public private(set) var count = 0

    /// Starts writing `path`; with `header`, writes it as the first record.
    public init(path: String, options: CSVOptions = .csv, header: [String]? = nil) throws {
        self.options = options
        terminator = Array(options.lineTerminator.utf8)
        file = try AtomicFileWriter(path: path)
        if let header { try write(header) }
    }

    /// Appends one record.
    public func write(_ fields: [String]) throws {
        var out: [UInt8] = []
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(options.delimiter) }
            appendField(field, to: &out)
        }
        if fields.count == 1 && fields[0].isEmpty { out += [options.quote, options.quote] }
        out += terminator
        try file.write(out)
        count += 1
    }

    /// Appends one record of values printed with `description`.
    public func write(_ values: [CustomStringConvertible]) throws {
        try write(values.map { $0.description })
    }

    private func appendField(_ field: String, to out: inout [UInt8]) {
        let bytes = field.utf8
        let needsQuotes = bytes.contains { $0 == options.delimiter || $0 == options.quote || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else { out += bytes; return }
        out.append(options.quote)
        for b in bytes {
            out.append(b)
            if b == options.quote { out.append(b) }
        }
        out.append(options.quote)
    }

    /// Completes the file and renames it into place.
    public func finish() throws { try file.finish() }

    /// Abandons the output, leaving no file behind.
    public func cancel() { file.cancel() }
}

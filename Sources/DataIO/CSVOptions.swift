/// How a CSV (or TSV) file is laid out and how strictly it is read.
public struct CSVOptions: Sendable {
    /// Field separator: `,` for CSV, `\t` for TSV (one ASCII byte).
    public var delimiter: UInt8
    /// Quote character (one ASCII byte).
    public var quote: UInt8
    /// The first record names the fields and is not returned as a row.
    public var hasHeader: Bool
    /// Every record must have as many fields as the header (or, without a header, the first record).
    public var strictFieldCount: Bool
    /// What a reader does with malformed records: stop with an error (default), or record the error in
    /// `CSVReader.problems`, read the record as Python's `csv` module would, and go on.
    public var onError: ErrorPolicy
    /// Line end written by `CSVWriter`: "\r\n" (RFC 4180 and Python's default) or "\n".
    public var lineTerminator: String

    public enum ErrorPolicy: Sendable { case fail, collect }

    public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\""), hasHeader: Bool = false,
                strictFieldCount: Bool = true, onError: ErrorPolicy = .fail, lineTerminator: String = "\r\n") {
        self.delimiter = delimiter
        self.quote = quote
        self.hasHeader = hasHeader
        self.strictFieldCount = strictFieldCount
        self.onError = onError
        self.lineTerminator = lineTerminator
    }

    /// Comma-separated, no header, strict.
    public static let csv = CSVOptions()
    /// Comma-separated with a header row, strict.
    public static let csvWithHeader = CSVOptions(hasHeader: true)
    /// Tab-separated with a header row, strict.
    public static let tsvWithHeader = CSVOptions(delimiter: UInt8(ascii: "\t"), hasHeader: true)
    /// Tab-separated, no header, strict.
    public static let tsv = CSVOptions(delimiter: UInt8(ascii: "\t"))
}

/// One CSV record.
public struct CSVRow: Equatable, Sendable {
    /// The fields, unquoted.
    public var fields: [String]
    /// 1-based line on which the record starts (a quoted field may carry it over several lines).
    public var line: Int

    public init(fields: [String], line: Int = 0) {
        self.fields = fields
        self.line = line
    }

    /// The field at `index`.
    public subscript(index: Int) -> String { fields[index] }

    /// Number of fields.
    public var count: Int { fields.count }
}

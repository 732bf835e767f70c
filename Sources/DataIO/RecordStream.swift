/// A reader that hands out one record at a time (FASTA, CSV, UniProt XML, feeds, JSON Lines …) in
/// constant memory; the record-at-a-time loops every reader offers are written once, here.
public protocol RecordStream: AnyObject {
    associatedtype Record
    /// The next record, or nil at the end; throws at the first malformed one.
    func next() throws -> Record?
}

extension RecordStream {
    /// Calls `body` with each remaining record; stops at (and rethrows) the first error.
    public func forEach(_ body: (Record) throws -> Void) throws {
        while let record = try next() { try body(record) }
    }

    /// Every remaining record (small files only: this holds them all in memory).
    public func remaining() throws -> [Record] {
        var out: [Record] = []
        try forEach { out.append($0) }
        return out
    }
}

/// Writes FASTA records atomically (see `AtomicFileWriter`); `.gz` / `.zst` paths are compressed.
public final class FASTAWriter {
    /// Residues per sequence line; 0 writes each sequence on one line.
    public let lineWidth: Int
    private let file: AtomicFileWriter

    /// Starts writing `path` (which appears only on `finish()`).
    public init(path: String, lineWidth: Int = 60) throws {
        precondition(lineWidth >= 0, "lineWidth must be >= 0")
        self.lineWidth = lineWidth
        file = try AtomicFileWriter(path: path)
    }

    /// Appends one record: `>header` then the sequence wrapped at `lineWidth`.
    public func write(_ record: FASTARecord) throws {
        try write(header: record.header, sequence: record.sequence)
    }

    /// Appends one record given its header text (without `>`) and sequence.
    public func write(header: String, sequence: String) throws {
        var out: [UInt8] = []
        out.reserveCapacity(header.utf8.count + sequence.utf8.count + sequence.utf8.count / max(lineWidth, 1) + 4)
        out.append(UInt8(ascii: ">"))
        out.append(contentsOf: header.utf8)
        out.append(0x0A)
        let residues = Array(sequence.utf8)
        if lineWidth == 0 || residues.count <= lineWidth {
            if !residues.isEmpty {
                out.append(contentsOf: residues)
                out.append(0x0A)
            }
        } else {
            var i = 0
            while i < residues.count {
                let j = min(i + lineWidth, residues.count)
                out.append(contentsOf: residues[i..<j])
                out.append(0x0A)
                i = j
            }
        }
        try file.write(out)
    }

    /// Completes the file and renames it into place.
    public func finish() throws { try file.finish() }

    /// Abandons the output, leaving no file behind.
    public func cancel() { file.cancel() }
}

import DataIO
import Foundation

/// How raw FASTA sequences become model residues: lowercase is upper-cased, one trailing `*` (a stop
/// symbol, as Prodigal writes) is stripped, and any other character outside the 25 amino-acid letters
/// `LAGVSERTIDPKQNFYMHWCXBUZO` is handled by `invalid`.
public struct ResiduePolicy: Sendable, Equatable {
    /// What to do with a character that is not an amino-acid letter.
    public enum Invalid: String, Sendable, CaseIterable {
        /// Fail, naming the record and the 1-based position (the default).
        case error
        /// Replace it by `X` (unknown residue).
        case x
        /// Leave it out.
        case remove
    }

    public var invalid: Invalid

    public init(invalid: Invalid = .error) { self.invalid = invalid }

    /// The 25 letters both ESM-2 and xTrimoPGLM vocabularies hold, in vocabulary order.
    public static let alphabet = Array("LAGVSERTIDPKQNFYMHWCXBUZO".utf8)
    /// The 20 standard amino acids (what generation may emit).
    public static let standard = Array("ACDEFGHIKLMNPQRSTVWY".utf8)

    /// Index in `alphabet` per ASCII byte, −1 when not a residue.
    static let index: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, b) in alphabet.enumerated() { t[Int(b)] = Int8(i) }
        return t
    }()

    /// The cleaned residues of `record` (ASCII bytes, upper case).
    public func residues(of record: FASTARecord, file: String) throws -> [UInt8] {
        var bytes = Array(record.sequence.utf8)
        if bytes.last == UInt8(ascii: "*") { bytes.removeLast() }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for (i, raw) in bytes.enumerated() {
            var b = raw
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            if Self.index[Int(b)] >= 0 { out.append(b); continue }
            switch invalid {
            case .error:
                throw ProteinLMError.invalidResidue(file: file, record: record.header, line: record.line,
                                                    position: i + 1, character: String(decoding: [raw], as: UTF8.self))
            case .x: out.append(UInt8(ascii: "X"))
            case .remove: break
            }
        }
        return out
    }
}

/// A protein ready for a model: its label (the whole header, as extract.py takes it), header line and residues.
public struct Protein: Sendable {
    /// The FASTA header after `>` (extract.py's label); `seqnum<line>` when the header is empty.
    public var label: String
    /// 0-based index of the record in its file.
    public var index: Int
    /// 1-based line of the header.
    public var line: Int
    /// Upper-case residue letters.
    public var residues: [UInt8]

    public init(label: String, index: Int, line: Int, residues: [UInt8]) {
        self.label = label
        self.index = index
        self.line = line
        self.residues = residues
    }

    public var sequence: String { String(decoding: residues, as: UTF8.self) }
}

/// Streams a FASTA file as `Protein`s: applies the residue policy, rejects duplicate labels, and reports
/// (instead of yielding) records with no residues.
public final class ProteinReader: RecordStream {
    public let path: String
    public let policy: ResiduePolicy
    private let reader: FASTAReader
    private var seen: [String: Int] = [:]
    private var count = 0
    /// Labels (and lines) of records skipped because they hold no residues.
    public private(set) var empty: [(label: String, line: Int)] = []
    /// Bytes of the file read so far.
    public var fileBytesRead: Int { reader.fileBytesRead }

    public init(path: String, policy: ResiduePolicy = ResiduePolicy()) throws {
        self.path = path
        self.policy = policy
        reader = try FASTAReader(path: path)
    }

    /// The next protein with residues, nil at the end.
    public func next() throws -> Protein? {
        while let record = try reader.next() {
            let header = record.header
            let label = header.isEmpty ? String(format: "seqnum%09d", record.line) : header
            if let first = seen[label] {
                throw ProteinLMError.duplicateLabel(file: path, label: label, firstLine: first, line: record.line)
            }
            seen[label] = record.line
            let residues = try policy.residues(of: record, file: path)
            let index = count
            count += 1
            if residues.isEmpty { empty.append((label, record.line)); continue }
            return Protein(label: label, index: index, line: record.line, residues: residues)
        }
        return nil
    }

    /// Up to `maxRecords` proteins or `maxResidues` residues (at least one protein), empty at the end.
    public func window(maxRecords: Int, maxResidues: Int) throws -> [Protein] {
        var out: [Protein] = []
        var residues = 0
        while out.count < maxRecords && (out.isEmpty || residues < maxResidues), let p = try next() {
            out.append(p)
            residues += p.residues.count
        }
        return out
    }

    /// Every protein of `path` (small files).
    public static func readAll(path: String, policy: ResiduePolicy = ResiduePolicy()) throws -> [Protein] {
        try ProteinReader(path: path, policy: policy).remaining()
    }
}

import DataIO
import Foundation
import XCTest
import _TestSupport

/// Issue 14: a small compressed FASTA can expand to one record of gigabytes. Readers read long lines in
/// pieces, hold at most `maxSequenceLength` residues (an error names the record and the limit beyond), and
/// checking a file holds nothing.
final class BoundedMemoryTests: XCTestCase {
    /// Writes `>big desc\n` + `length` residues on one line + `>small\nMK\n`, zstd-compressed.
    func hugeRecordFile(length: Int, header: String = "big desc") throws -> String {
        let path = try TestSupport.temporaryDirectory().appendingPathComponent("huge.faa.zst").path
        let w = try AtomicFileWriter(path: path)
        try w.write(Array(">\(header)\n".utf8))
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        var left = length
        while left > 0 { let n = min(left, chunk.count); try w.write(Array(chunk[0..<n])); left -= n }
        try w.write(Array("\n>small\nMK\n".utf8))
        try w.finish()
        return path
    }

    func testLongSingleLineRecordReadsWholeInPieces() throws {
        let path = try hugeRecordFile(length: 3 << 20 | 12345)
        let records = try FASTAReader.readAll(path: path)
        XCTAssertEqual(records.map(\.id), ["big", "small"])
        XCTAssertEqual(records[0].description, "desc")
        XCTAssertEqual(records[0].sequence.utf8.count, 3 << 20 | 12345)
        XCTAssertTrue(records[0].sequence.utf8.allSatisfy { $0 == UInt8(ascii: "A") })
        XCTAssertEqual(records[1].sequence, "MK")
        XCTAssertEqual(records[1].line, 3)
    }

    func testRecordBeyondTheLimitIsAnErrorNamingIt() throws {
        let path = try hugeRecordFile(length: 5 << 20)
        let reader = try FASTAReader(path: path)
        reader.maxSequenceLength = 4 << 20
        XCTAssertThrowsError(try reader.forEach { _ in }) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix(path + ":"), text)
            XCTAssertTrue(text.contains("at most 4194304 residues; the record starting at line 1 is longer"), text)
        }
    }

    func testCheckingHoldsNoSequence() throws {
        let path = try hugeRecordFile(length: 8 << 20)
        let reader = try FASTAReader(path: path)
        reader.retainsSequences = false
        reader.maxSequenceLength = 1000 // not applied: nothing is held
        var lengths: [Int] = []
        while let r = try reader.next() {
            XCTAssertEqual(r.sequence, "")
            lengths.append(reader.lastSequenceLength)
        }
        XCTAssertEqual(lengths, [8 << 20, 2])
    }

    func testHeaderLongerThanTheLimitIsAnError() throws {
        let path = try hugeRecordFile(length: 10, header: String(repeating: "h", count: 3 << 20))
        XCTAssertThrowsError(try FASTAReader.readAll(path: path)) { e in
            XCTAssertTrue("\(e)".contains("a header line of at most 1048576 bytes"), "\(e)")
        }
    }

    func testLineReaderCapsLineLength() throws {
        let path = try scratchDirectory().appendingPathComponent("long.txt").path
        try (String(repeating: "x", count: 300_000) + "\nshort\n").write(toFile: path, atomically: true, encoding: .utf8)
        let capped = try LineReader(path: path)
        capped.maxLineLength = 100_000
        XCTAssertThrowsError(try capped.nextLine()) { e in
            XCTAssertTrue("\(e)".contains("\(path):1:1"), "\(e)")
            XCTAssertTrue("\(e)".contains("a line of at most 100000 bytes"), "\(e)")
        }
        let split = try LineReader(path: path)
        split.maxLineLength = 100_000
        split.splitsLongLines = true
        var pieces: [(Int, Bool, Int)] = []
        while let n = try split.withNextLine({ $0.count }) { pieces.append((split.lineNumber, split.isContinuation, n)) }
        XCTAssertEqual(pieces.map(\.2).reduce(0, +), 300_005)
        XCTAssertEqual(pieces.last?.0, 2)
        XCTAssertEqual(pieces.last?.1, false)
        XCTAssertTrue(pieces.dropLast().allSatisfy { $0.0 == 1 })
        XCTAssertEqual(pieces.first?.1, false)
        XCTAssertTrue(pieces.dropFirst().dropLast().allSatisfy { $0.1 })
    }
}

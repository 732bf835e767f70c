import DataIO
import Foundation
import XCTest
import _TestSupport

final class FASTAReaderTests: XCTestCase {
    static let expected: [FASTARecord] = [
        FASTARecord(id: "sp|P1|ONE", description: "first protein, with description", sequence: "MKTAYIAKQRQISFVKSHFSRQ*", line: 2),
        FASTARecord(id: "empty", description: "description after two spaces", sequence: "", line: 7),
        FASTARecord(id: "lower", description: "", sequence: "mktayiakqrACDEF-GHIK*", line: 8),
        FASTARecord(id: "tabbed", description: "desc with\ttab", sequence: "MKT", line: 12),
        FASTARecord(id: "last", description: "", sequence: "MKV", line: 14),
    ]

    func testBasicRecords() throws {
        XCTAssertEqual(try FASTAReader.readAll(path: Fixture.path("basic.faa")), Self.expected)
    }

    func testCRLFAndCompressedVariantsReadTheSame() throws {
        for name in ["basic_crlf.faa", "basic.faa.gz", "basic.faa.zst", "gzip_named_plain.faa",
                     "multi_member.faa.gz", "multi_frame.faa.zst"] {
            XCTAssertEqual(try FASTAReader.readAll(path: Fixture.path(name)), Self.expected, name)
        }
    }

    func testHeaderSplit() {
        let (id, desc) = FASTARecord.splitHeader("abc \t def ghi  ")
        XCTAssertEqual(id, "abc")
        XCTAssertEqual(desc, "def ghi")
        XCTAssertEqual(FASTARecord(id: "a", description: "b c", sequence: "").header, "a b c")
        XCTAssertEqual(FASTARecord(id: "a", sequence: "").header, "a")
    }

    func testSequenceBeforeFirstHeaderIsAnError() throws {
        let path = Fixture.path("data_before_header.faa")
        expectDataIOError("\(path):3:3: expected a '>' header line before sequence data") { _ = try FASTAReader.readAll(path: path) }
    }

    func testControlCharacterIsAnError() throws {
        let path = Fixture.path("control_char.faa")
        expectDataIOError("\(path):2:3: expected a residue letter, found byte 0x1") { _ = try FASTAReader.readAll(path: path) }
    }

    func testEmptyFileHasNoRecords() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("empty.faa").path
        try Data().write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try FASTAReader.readAll(path: path), [])
        try Data("\n; only a comment\n\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try FASTAReader.readAll(path: path), [])
    }

    func testRealProteome() throws {
        let url = URL(fileURLWithPath: try Fixture.shared("data/proteins/proteome-938293.faa"))
        let records = try FASTAReader.readAll(path: url.path)
        XCTAssertEqual(records.count, 2100)
        XCTAssertEqual(records[0].id, "938293.PRJEB85.HG003688_1")
        XCTAssertTrue(records[0].description.hasPrefix("# 204 # 629 # -1 # ID=1_1;"))
        XCTAssertEqual(records[0].sequence.count, (629 - 204 + 1) / 3)
        XCTAssertTrue(records[0].sequence.hasSuffix("ELPA*"))
        // Residue count equals the file's non-header bytes minus line ends.
        let text = try String(contentsOf: url, encoding: .utf8)
        let residues = text.split(separator: "\n").filter { !$0.hasPrefix(">") }.reduce(0) { $0 + $1.count }
        XCTAssertEqual(records.reduce(0) { $0 + $1.sequence.count }, residues)
    }
}

final class ResidueScanTests: XCTestCase {
    /// The word-at-a-time check agrees with the naive one on every byte value at every position.
    func testFastScanMatchesNaive() {
        var checked = 0
        for length in [1, 7, 8, 9, 16, 23, 60] {
            for position in 0..<length {
                for value in 0...255 {
                    var line = [UInt8](repeating: UInt8(ascii: "M"), count: length)
                    line[position] = UInt8(value)
                    if position > 0 { line[position - 1] = UInt8(ascii: "!") } // 0x21: borrow edge
                    line.withUnsafeBufferPointer {
                        XCTAssertEqual(ResidueScan.isPrintable($0), ResidueScan.isPrintableNaive($0), "\(line)")
                    }
                    checked += 1
                }
            }
        }
        print("residue scan: \(checked) lines agree with the naive reference")
    }
}

import XCTest
import DataIO

/// Formats are recognised by content; content that matches none is refused rather than read as CSV.
final class DataFormatTests: XCTestCase {
    func detect(_ text: String, ext: String = "") -> DataFormat? {
        DataFormat.detect(head: Array(text.utf8), extension: ext)
    }

    func testTextFormats() {
        XCTAssertEqual(detect(">a\nMKT\n"), .fasta)
        XCTAssertEqual(detect("\u{FEFF}  >a\nMKT\n"), .fasta)
        XCTAssertEqual(detect("{\"a\": 1}\n"), .json)
        XCTAssertEqual(detect("[1, 2]"), .json)
        XCTAssertEqual(detect("{\"a\": 1}\n{\"a\": 2}\n"), .jsonl)
        XCTAssertEqual(detect("<?xml version=\"1.0\"?>\n<uniprot xmlns=\"x\">"), .uniprot)
        XCTAssertEqual(detect("<?xml version=\"1.0\"?>\n<rss version=\"2.0\">"), .feed)
        XCTAssertEqual(detect("a,b\n1,2\n"), .csv)
        XCTAssertEqual(detect("a\tb\n1\t2\n"), .tsv)
        XCTAssertEqual(detect("single\ncolumn\n", ext: "csv"), .csv)
        XCTAssertEqual(detect("a,b\n", ext: "tsv"), nil)
        XCTAssertNil(detect("just words\n"))
        XCTAssertNil(detect(""))
    }

    func testBinaryFormats() throws {
        var st = [UInt8](repeating: 0, count: 8)
        let header = Array("{\"__metadata__\":{}}".utf8)
        st[0] = UInt8(header.count)
        XCTAssertEqual(DataFormat.detect(head: st + header), .safetensors)
        XCTAssertNil(DataFormat.detect(head: st + header, compressed: true), "a compressed file cannot be safetensors")
        XCTAssertEqual(DataFormat.detect(head: [0x93] + Array("NUMPY".utf8) + [1, 0]), .npy)
        XCTAssertNil(DataFormat.detect(head: [0, 1, 2, 3, 0xff, 0x10, 0x00, 0x00, 0x41, 0x42]))
    }

    func testCompressedFileIsReadThrough() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dataformat-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("x.unknown").path
        try AtomicFileWriter.write(Array(">a\nMKT\n".utf8), to: path, compression: .gzip)
        XCTAssertEqual(try DataFormat.detect(path: path), .fasta)
        let odd = dir.appendingPathComponent("y.dat").path
        try Data("no delimiters here\n".utf8).write(to: URL(fileURLWithPath: odd))
        XCTAssertThrowsError(try DataFormat.detect(path: odd)) { XCTAssertTrue("\($0)".contains("y.dat: unsupported"), "\($0)") }
    }
}

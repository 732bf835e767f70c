import DataIO
import Foundation
import XCTest
import _TestSupport

final class FASTAWriterTests: XCTestCase {
    func testLineWidthsAndRoundTrip() throws {
        let dir = try scratchDirectory()
        let records = FASTAReaderTests.expected
        for (width, name) in [(60, "w60.faa"), (4, "w4.faa.gz"), (0, "w0.faa.zst")] {
            let path = dir.appendingPathComponent(name).path
            let writer = try FASTAWriter(path: path, lineWidth: width)
            for r in records { try writer.write(r) }
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "visible before finish")
            try writer.finish()
            let back = try FASTAReader.readAll(path: path)
            XCTAssertEqual(back.map(\.id), records.map(\.id), name)
            XCTAssertEqual(back.map(\.description), records.map(\.description), name)
            XCTAssertEqual(back.map(\.sequence), records.map(\.sequence), name)
        }
        let w4 = String(decoding: try ByteReader.readAll(path: dir.appendingPathComponent("w4.faa.gz").path), as: UTF8.self)
        XCTAssertTrue(w4.hasPrefix(">sp|P1|ONE first protein, with description\nMKTA\nYIAK\nQRQI\n"))
        XCTAssertTrue(w4.contains(">empty description after two spaces\n>lower\n"))
        let w0 = String(decoding: try ByteReader.readAll(path: dir.appendingPathComponent("w0.faa.zst").path), as: UTF8.self)
        XCTAssertTrue(w0.hasPrefix(">sp|P1|ONE first protein, with description\nMKTAYIAKQRQISFVKSHFSRQ*\n"))
    }
}

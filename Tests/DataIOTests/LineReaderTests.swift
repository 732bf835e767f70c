import DataIO
import Foundation
import XCTest
import _TestSupport

final class LineReaderTests: XCTestCase {
    func lines(_ text: [UInt8], bufferSize: Int = 16) throws -> [(String, Int, Int)] {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.txt").path
        try Data(text).write(to: URL(fileURLWithPath: path))
        let reader = try LineReader(path: path, bufferSize: bufferSize)
        var out: [(String, Int, Int)] = []
        while let line = try reader.nextLine() { out.append((line, reader.lineNumber, reader.lineOffset)) }
        return out
    }

    func testLineEndsOffsetsAndLongLines() throws {
        let long = String(repeating: "x", count: 100)
        let text = Array("a\r\n\nb\(long)\r\nlast".utf8)
        let got = try lines(text)
        XCTAssertEqual(got.map(\.0), ["a", "", "b" + long, "last"])
        XCTAssertEqual(got.map(\.1), [1, 2, 3, 4])
        XCTAssertEqual(got.map(\.2), [0, 3, 4, 4 + 101 + 2])
    }

    func testByteOrderMarkOnlyAtStart() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let got = try lines(bom + Array("x\n".utf8) + bom + Array("y\n".utf8), bufferSize: 4)
        XCTAssertEqual(got.map(\.0), ["x", "\u{FEFF}y"])
        XCTAssertEqual(try lines(Array("\n".utf8)).map(\.0), [""])
        XCTAssertEqual(try lines([]).count, 0)
        XCTAssertEqual(try lines(Array("ab".utf8), bufferSize: 1).map(\.0), ["ab"])
    }

    func testColumnCountsCharactersNotBytes() {
        let bytes = Array("é€x".utf8)
        bytes.withUnsafeBufferPointer { line in
            XCTAssertEqual(LineReader.column(of: 0, in: line), 1)
            XCTAssertEqual(LineReader.column(of: 2, in: line), 2)
            XCTAssertEqual(LineReader.column(of: 5, in: line), 3)
        }
    }

    /// Members and frames whose boundaries fall anywhere in the input buffer decode as one stream.
    func testConcatenatedMembersAcrossBufferBoundaries() throws {
        let dir = try scratchDirectory()
        var expected = ""
        var parts: [String] = []
        for i in 0..<3 {
            var text = ""
            for j in 0..<(3000 + i * 777) { text += ">r\(i)_\(j)\nMKV\(j % 10)\n" }
            parts.append(text)
            expected += text
        }
        for ext in ["gz", "zst"] {
            var joined = Data()
            for (i, part) in parts.enumerated() {
                let path = dir.appendingPathComponent("p\(i).\(ext)").path
                let w = try AtomicFileWriter(path: path)
                try w.write(part)
                try w.finish()
                joined += try Data(contentsOf: URL(fileURLWithPath: path))
            }
            let path = dir.appendingPathComponent("all.faa.\(ext)").path
            try joined.write(to: URL(fileURLWithPath: path))
            for chunk in [64, 1000, 1 << 17] {
                let reader = try ByteReader(path: path, chunkSize: chunk)
                XCTAssertEqual(String(decoding: try reader.readAll(), as: UTF8.self), expected, "\(ext) chunk \(chunk)")
            }
            XCTAssertEqual(try FASTAReader.readAll(path: path).count, parts.indices.reduce(0) { $0 + 3000 + $1 * 777 })
        }
    }
}

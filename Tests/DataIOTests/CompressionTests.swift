import DataIO
import Foundation
import Formats
import XCTest
import _TestSupport

final class CompressionTests: XCTestCase {
    func testDetectionByMagicBytes() throws {
        XCTAssertEqual(try ByteReader(path: Fixture.path("basic.faa")).compression, .none)
        XCTAssertEqual(try ByteReader(path: Fixture.path("basic.faa.gz")).compression, .gzip)
        XCTAssertEqual(try ByteReader(path: Fixture.path("basic.faa.zst")).compression, .zstd)
        XCTAssertEqual(try ByteReader(path: Fixture.path("gzip_named_plain.faa")).compression, .gzip)
        let plain = try ByteReader.readAll(path: Fixture.path("basic.faa"))
        let gz = try ByteReader(path: Fixture.path("basic.faa.gz"))
        _ = try gz.readAll()
        XCTAssertEqual(gz.offset, plain.count)
        XCTAssertEqual(gz.fileBytesRead, try FileManager.default.attributesOfItem(atPath: Fixture.path("basic.faa.gz"))[.size] as? Int)
        XCTAssertEqual(try ByteReader.readAll(path: Fixture.path("multi_member.faa.gz")), plain)
        XCTAssertEqual(try ByteReader.readAll(path: Fixture.path("multi_frame.faa.zst")), plain)
    }

    /// Files made by the command line tools (gzip stores the file name; zstd -T2 --long writes its own frames).
    func testFilesFromCommandLineTools() throws {
        let dir = try scratchDirectory()
        let plain = dir.appendingPathComponent("named.faa").path
        try FileManager.default.copyItem(atPath: Fixture.path("basic.faa"), toPath: plain)
        let expected = try FASTAReader.readAll(path: plain)
        for (tool, args, out) in [("/usr/bin/gzip", ["-k", plain], plain + ".gz"),
                                  ("/usr/bin/zstd", ["-q", "-T2", "--long=27", plain, "-o", plain + ".zst"], plain + ".zst")] {
            guard FileManager.default.fileExists(atPath: tool) else { continue }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = args
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(try FASTAReader.readAll(path: out), expected, tool)
        }
    }

    func testTruncatedGzipReportsOffset() throws {
        let path = Fixture.path("truncated.faa.gz")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        expectDataIOError("\(path): byte \(size): corrupt gzip data: unexpected end of file inside a gzip member") { _ = try ByteReader.readAll(path: path) }
    }

    func testCorruptGzipReportsOffset() throws {
        let path = Fixture.path("corrupt.faa.gz")
        let e = expectDataIOError { _ = try ByteReader.readAll(path: path) }
        guard case .decompression(let pos, let format, _)? = e else { return XCTFail("wrong case") }
        XCTAssertEqual(format, "gzip")
        XCTAssertNotNil(pos.byteOffset)
        XCTAssertLessThan(pos.byteOffset!, 80)
    }

    func testGarbageAfterGzipMemberIsAnError() throws {
        let path = Fixture.path("garbage_after_member.faa.gz")
        let e = expectDataIOError { _ = try ByteReader.readAll(path: path) }
        guard case .decompression(let pos, _, _)? = e else { return XCTFail("wrong case") }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        XCTAssertGreaterThanOrEqual(pos.byteOffset!, size - "not gzip at all".count)
    }

    func testTruncatedZstdReportsOffset() throws {
        let path = Fixture.path("truncated.faa.zst")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        expectDataIOError("\(path): byte \(size): corrupt zstd data: unexpected end of file inside a frame") { _ = try ByteReader.readAll(path: path) }
    }

    func testMissingFile() {
        expectDataIOError("/nonexistent/x.faa: cannot open for reading: No such file or directory") { _ = try ByteReader(path: "/nonexistent/x.faa") }
    }

    func testWriterRoundTripAllCompressions() throws {
        let dir = try scratchDirectory()
        var payload: [UInt8] = []
        for i in 0..<300_000 { payload.append(UInt8(truncatingIfNeeded: i * 7 % 251)) }
        for ext in ["bin", "bin.gz", "bin.zst"] {
            let path = dir.appendingPathComponent("x.\(ext)").path
            let w = try AtomicFileWriter(path: path)
            try w.write(Array(payload[0..<1000]))
            try w.write(Array(payload[1000...]))
            XCTAssertFalse(FileManager.default.fileExists(atPath: path), "visible before finish")
            try w.finish()
            let reader = try ByteReader(path: path)
            XCTAssertEqual(reader.compression, Compression.forPath(path))
            XCTAssertEqual(try reader.readAll(), payload, ext)
        }
        // Files we wrote are readable by the command line tools too.
        let gz = dir.appendingPathComponent("x.bin.gz").path, zs = dir.appendingPathComponent("x.bin.zst").path
        for (tool, path) in [("/usr/bin/gzip", gz), ("/usr/bin/zstd", zs)] where FileManager.default.fileExists(atPath: tool) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = ["-t", "-q", path]
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, tool)
        }
    }

    func testStaleTemporariesOfDeadProcesses() throws {
        let dir = try scratchDirectory()
        let live = try AtomicFileWriter(path: dir.appendingPathComponent("a.txt").path)
        // A pid that cannot be running (above the kernel's pid_max limit of 2^22).
        let dead = dir.appendingPathComponent(".b.txt.tmp-99999999-abc").path
        try Data("partial".utf8).write(to: URL(fileURLWithPath: dead))
        try Data().write(to: dir.appendingPathComponent("c.txt"))
        XCTAssertEqual(AtomicFile.staleTemporaries(in: dir.path), [dead])
        live.cancel()
    }

    func testCancelledWriterLeavesNothing() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("out.faa").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let w = try AtomicFileWriter(path: path)
            try w.write("new content")
            // dropped without finish()
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "old")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.faa"])
    }
}

import Foundation
import Tensors
import XCTest
import _TestSupport

/// The streaming writer lays out the same header as `SafetensorsWriter`, so files written either way in the
/// same tensor order are byte-identical; it publishes atomically and leaves nothing behind on failure.
final class StreamingSafetensorsWriterTests: XCTestCase {
    func testSameBytesAsSafetensorsWriterAndReordering() throws {
        let dir = try scratchDirectory("st-stream")
        let a: [Float] = (0..<12).map { Float($0) * 0.5 - 2 }, b: [Float] = [3.25], c: [Float] = []
        var w = SafetensorsWriter(metadata: ["k\"ey": "v\u{1}"])
        try w.add("alpha", floats: a, shape: [3, 4])
        try w.add("beta", floats: b, shape: [])
        try w.add("gamma", floats: c, shape: [0, 2])
        let reference = dir.appendingPathComponent("ref.safetensors")
        try w.write(to: reference)

        // Arrival order gamma, alpha, beta; finish in the SafetensorsWriter order (same dtype → by name).
        let url = dir.appendingPathComponent("stream.safetensors")
        let s = try StreamingSafetensorsWriter(url: url, metadata: ["k\"ey": "v\u{1}"])
        try s.add("gamma", floats: c, shape: [0, 2])
        try s.add("alpha", floats: a, shape: [3, 4])
        try s.add("beta", floats: b, shape: [])
        XCTAssertThrowsError(try s.add("alpha", floats: a, shape: [3, 4]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "nothing is published before finish")
        try s.finish(order: [1, 2, 0])
        XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: reference))
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)),
                       ["ref.safetensors", "stream.safetensors"], "temporary files are removed")

        // Arrival order kept when no order is given.
        let url2 = dir.appendingPathComponent("arrival.safetensors")
        let s2 = try StreamingSafetensorsWriter(url: url2)
        try s2.add("z", floats: b, shape: [1])
        try s2.add("a", floats: a, shape: [12])
        try s2.finish()
        let f = try SafetensorsFile(url: url2)
        XCTAssertEqual(try f.floats("z"), b)
        XCTAssertEqual(try f.floats("a"), a)
        XCTAssertEqual(try f.info("z").dataOffsets, 0..<4, "arrival order is data order")
        XCTAssertEqual(try f.info("a").dataOffsets, 4..<52)
    }

    func testCancelLeavesNothing() throws {
        let dir = try scratchDirectory("st-stream-cancel")
        let s = try StreamingSafetensorsWriter(url: dir.appendingPathComponent("x.safetensors"))
        try s.add("a", floats: [1, 2], shape: [2])
        s.cancel()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
        XCTAssertThrowsError(try StreamingSafetensorsWriter(url: dir.appendingPathComponent("missing/x.safetensors")))
    }
}

import Foundation
import Tensors
import XCTest
import _TestSupport

/// Reads files written by Python's `safetensors` and compares every value with expected.json.
final class SafetensorsReaderTests: XCTestCase {
    func check(_ read: (String) throws -> SafetensorsTensorInfo, floats: (String) throws -> [Float],
               ints: (String) throws -> [Int64], spec: SafetensorsFixtures.FileSpec, label: String) throws {
        for (name, e) in spec.tensors.sorted(by: { $0.key < $1.key }) {
            let info = try read(name)
            XCTAssertEqual(info.dtype.rawValue, e.dtype, "\(label) \(name) dtype")
            XCTAssertEqual(info.shape, e.shape, "\(label) \(name) shape")
            switch e.dtype {
            case "F32", "BF16", "F16", "F64":
                SafetensorsFixtures.assertSameFloats(try floats(name), e.floats, "\(label) \(name)")
            default:
                XCTAssertEqual(try ints(name), e.int64s, "\(label) \(name)")
            }
        }
    }

    func testEveryDTypeWrittenByPython() throws {
        let spec = try SafetensorsFixtures.load().files["dtypes.safetensors"]!
        let f = try SafetensorsFile(url: SafetensorsFixtures.root.appendingPathComponent("dtypes.safetensors"))
        XCTAssertEqual(f.metadata, spec.metadata)
        XCTAssertEqual(Set(f.names), Set(spec.tensors.keys))
        try check(f.info, floats: f.floats, ints: f.int64s, spec: spec, label: "dtypes")
        // Data order is the Rust crate's: 8-byte types first, then 4-, 2-, 1-byte, each by name.
        XCTAssertEqual(f.names, ["i64", "f64", "empty", "f32", "f32_special", "scalar", "i32", "bf16", "f16", "u8", "bool"])
        XCTAssertEqual(try f.shape("scalar"), [])
        XCTAssertEqual(try f.floats("empty"), [])
    }

    func testMetadataAndEscapedNames() throws {
        let spec = try SafetensorsFixtures.load().files["metadata.safetensors"]!
        let f = try SafetensorsFile(url: SafetensorsFixtures.root.appendingPathComponent("metadata.safetensors"))
        XCTAssertEqual(f.metadata, spec.metadata)
        XCTAssertEqual(f.metadata["note"]?.contains("蛋白质 😀"), true)
        XCTAssertTrue(f.contains("a\"b\\c\n"))
        try check(f.info, floats: f.floats, ints: f.int64s, spec: spec, label: "metadata")
    }

    func testShardedCheckpointThroughIndex() throws {
        let spec = try SafetensorsFixtures.load().files["sharded"]!
        let dir = SafetensorsFixtures.root.appendingPathComponent("sharded")
        let ckpt = try SafetensorsCheckpoint(directory: dir)
        XCTAssertEqual(ckpt.files.count, 2)
        XCTAssertEqual(ckpt.names, spec.tensors.keys.sorted())
        XCTAssertEqual(ckpt.metadata["total_size"], "144")
        XCTAssertTrue(ckpt.path.hasSuffix("model.safetensors.index.json"))
        try check(ckpt.info, floats: ckpt.floats, ints: ckpt.int64s, spec: spec, label: "sharded")
        XCTAssertTrue(try ckpt.file(containing: "embed.weight").path.hasSuffix("model-00001-of-00002.safetensors"))
        // The same checkpoint through its index path, and one shard alone as a single-file checkpoint.
        XCTAssertEqual(try SafetensorsCheckpoint(url: dir.appendingPathComponent("model.safetensors.index.json")).names, ckpt.names)
        XCTAssertEqual(try SafetensorsCheckpoint(url: dir.appendingPathComponent("model-00002-of-00002.safetensors")).names,
                       ["layer.0.bias", "layer.0.weight"])
        XCTAssertEqual(try SafetensorsCheckpoint(url: dir).files.count, 2)
    }

    func testDirectoryWithSingleFile() throws {
        let dir = try scratchDirectory("st-single")
        var w = SafetensorsWriter()
        try w.add("w", floats: [1, 2, 3], shape: [3])
        try w.write(to: dir.appendingPathComponent("model.safetensors"))
        let ckpt = try SafetensorsCheckpoint(directory: dir)
        XCTAssertEqual(ckpt.names, ["w"])
        XCTAssertEqual(try ckpt.floats("w"), [1, 2, 3])
        XCTAssertThrowsError(try ckpt.floats("nope")) { XCTAssertEqual(caseName($0), "tensorNotFound") }
    }

    func testConversionErrors() throws {
        let f = try SafetensorsFile(url: SafetensorsFixtures.root.appendingPathComponent("dtypes.safetensors"))
        XCTAssertThrowsError(try f.floats("i64")) { XCTAssertEqual(caseName($0), "unsupportedConversion") }
        XCTAssertThrowsError(try f.int64s("f32")) { XCTAssertEqual(caseName($0), "unsupportedConversion") }
        XCTAssertThrowsError(try f.info("missing")) { error in
            XCTAssertEqual(error as? SafetensorsError, .tensorNotFound(path: f.path, name: "missing"))
        }
        let raw = try f.rawBytes("u8")
        XCTAssertEqual(Array(raw), [0, 127, 255])
    }

    /// The real 90 MB MiniLM checkpoint opens by mapping, without reading tensor data.
    func testOpensRealModelByMapping() throws {
        let url = try TestSupport.sharedPath("models/all-MiniLM-L6-v2/model.safetensors")
        let f = try SafetensorsFile(url: url)
        XCTAssertEqual(try f.shape("embeddings.word_embeddings.weight"), [30522, 384])
        XCTAssertEqual(try f.dtype("embeddings.word_embeddings.weight"), .f32)
        XCTAssertEqual(f.tensors.last.map { f.dataStart + $0.dataOffsets.upperBound },
                       (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue)
        let ln = try f.floats("encoder.layer.0.output.LayerNorm.weight")
        XCTAssertEqual(ln.count, 384)
        XCTAssertTrue(ln.allSatisfy(\.isFinite))
        let ckpt = try SafetensorsCheckpoint(directory: url.deletingLastPathComponent())
        XCTAssertEqual(ckpt.names.count, f.tensors.count)
    }
}

/// Reading a tensor as Float drops its file pages (a model keeps its own packed copy); the mapping must stay valid.
final class SafetensorsPageReleaseTests: XCTestCase {
    func testValuesSurviveReleasedPages() throws {
        let n = 300_000                                                   // ~1.2 MB: many pages, unaligned ends
        let a = (0..<n).map { Float($0 % 977) * 0.25 - 3 }
        let b = (0..<1001).map { Float($0) }
        var w = SafetensorsWriter(metadata: [:])
        try w.add("a", floats: a, shape: [n])
        try w.add("b", floats: b, shape: [1001], as: .bf16)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("release-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try w.write(to: url)
        let f = try SafetensorsFile(url: url)
        let widened = try f.floats("b")                                   // BF16: 999 is not exact, compare reads
        XCTAssertEqual(widened[1000], 1000)
        for _ in 0..<3 {                                                  // each read released the pages of the last
            XCTAssertEqual(try f.floats("a"), a)
            XCTAssertEqual(try f.floats("b"), widened)
        }
        let raw = try f.rawBytes("a")
        XCTAssertEqual(raw.loadUnaligned(fromByteOffset: 4 * (n - 1), as: Float.self), a[n - 1])
    }
}

import Foundation
import Tensors
import XCTest
import _TestSupport

/// Writing: round trips, byte identity with Python's `save_file`, and the from-trellis fixtures.
final class SafetensorsWriterTests: XCTestCase {
    func testRoundTripEveryWrittenDType() throws {
        let dir = try scratchDirectory("st-write")
        let values: [Float] = (0..<24).map { Float($0) * 0.37 - 3.1 }   // [2, 3, 4]
        var w = SafetensorsWriter(metadata: ["format": "pt", "source": "trellis"])
        try w.add("f32", floats: values, shape: [2, 3, 4])
        try w.add("bf16", floats: values, shape: [2, 3, 4], as: .bf16)
        try w.add("f16", floats: values, shape: [2, 3, 4], as: .f16)
        try w.add("i64", int64s: [Int64.min, -1, 0, Int64.max], shape: [2, 2])
        try w.add("i32", int32s: [Int32.min, 7], shape: [2])
        try w.add("scalar", floats: [1.25], shape: [])
        try w.add("empty", floats: [], shape: [3, 0])
        let url = dir.appendingPathComponent("out.safetensors")
        try w.write(to: url)

        let f = try SafetensorsFile(url: url)
        XCTAssertEqual(f.metadata, ["format": "pt", "source": "trellis"])
        XCTAssertEqual(try f.floats("f32"), values)
        XCTAssertEqual(try f.shape("f32"), [2, 3, 4])
        // bf16 keeps 8 significant bits, f16 11: rounding to nearest errs by ≤ 2^-8 and 2^-11 relative.
        for (name, tol) in [("bf16", Float(1) / 256), ("f16", Float(1) / 2048)] {
            let got = try f.floats(name)
            let worst = zip(got, values).map { abs($0 - $1) / max(abs($1), 1e-3) }.max()!
            print("max rel diff [\(name) round trip]: \(worst)")
            XCTAssertLessThanOrEqual(worst, tol, name)
        }
        XCTAssertEqual(try f.int64s("i64"), [Int64.min, -1, 0, Int64.max])
        XCTAssertEqual(try f.int64s("i32"), [Int64(Int32.min), 7])
        XCTAssertEqual(try f.floats("scalar"), [1.25])
        XCTAssertEqual(try f.shape("empty"), [3, 0])
        // The header is padded to 8 bytes, so the data section is 8-byte aligned.
        XCTAssertEqual(f.dataStart % 8, 0)
        // Written to a temporary name and renamed: nothing else is left in the directory.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.safetensors"])
    }

    /// Same tensors and metadata as Python's `save_file` produced → the same bytes (order, header
    /// JSON, padding). Tensor bytes are Python's own here: NaN payloads are the producer's choice.
    func testBytesIdenticalToPythonSaveFile() throws {
        let spec = try SafetensorsFixtures.load().files["dtypes.safetensors"]!
        let python = try Data(contentsOf: SafetensorsFixtures.root.appendingPathComponent("dtypes.safetensors"))
        let ours = try SafetensorsFixtures.writer(for: spec, rawBytes: true).serialized()
        XCTAssertEqual(ours.count, python.count)
        XCTAssertTrue(ours == Array(python), "Trellis bytes differ from Python's save_file")
    }

    /// Our float → BF16/F16 rounding gives torch's bits (ties to even, subnormals, overflow to inf).
    func testHalfRoundingMatchesTorch() throws {
        let spec = try SafetensorsFixtures.load().files["dtypes.safetensors"]!
        for (name, convert) in [("bf16", BFloat16.bits(from:)), ("f16", Float16Bits.bits(from:))] {
            let e = spec.tensors[name]!
            let source = SafetensorsFixtures.Expected.floats(e.source!)
            for (i, x) in source.enumerated() where !x.isNaN {
                let torch = UInt16(e.bytes[2 * i]) | UInt16(e.bytes[2 * i + 1]) << 8
                XCTAssertEqual(convert(x), torch, "\(name)[\(i)] from \(x)")
            }
        }
    }

    /// With several metadata keys Python's order is random (a Rust HashMap); all else must match.
    func testSameContentAsPythonWithManyMetadataKeys() throws {
        let spec = try SafetensorsFixtures.load().files["metadata.safetensors"]!
        let pythonURL = SafetensorsFixtures.root.appendingPathComponent("metadata.safetensors")
        let dir = try scratchDirectory("st-meta")
        let url = dir.appendingPathComponent("m.safetensors")
        try SafetensorsFixtures.writer(for: spec).write(to: url)
        let (a, b) = (try SafetensorsFile(url: url), try SafetensorsFile(url: pythonURL))
        XCTAssertEqual(a.metadata, b.metadata)
        XCTAssertEqual(a.tensors, b.tensors)
        XCTAssertEqual(a.dataStart, b.dataStart)
        for t in a.tensors { XCTAssertEqual(Array(try a.rawBytes(t.name)), Array(try b.rawBytes(t.name)), t.name) }
    }

    /// Tests/Fixtures/safetensors/from-trellis/ holds what SafetensorsWriter writes, for the Python
    /// side to load (scripts/fixtures/safetensors_files.py checks it). TRELLIS_REGENERATE_FIXTURES=1
    /// rewrites the files; otherwise they must equal what the writer produces now.
    func testFromTrellisFixturesAreCurrent() throws {
        let (files, fromTrellis) = try SafetensorsFixtures.load()
        let dir = SafetensorsFixtures.root.appendingPathComponent("from-trellis")
        let regenerate = ProcessInfo.processInfo.environment["TRELLIS_REGENERATE_FIXTURES"] == "1"
        if regenerate { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        XCTAssertFalse(fromTrellis.isEmpty)
        for (file, source) in fromTrellis.sorted(by: { $0.key < $1.key }) {
            let writer = try SafetensorsFixtures.writer(for: files[source]!)
            let url = dir.appendingPathComponent(file)
            if regenerate {
                try writer.write(to: url)
                print("wrote \(url.path)")
                continue
            }
            guard let committed = try? Data(contentsOf: url) else {
                XCTFail("\(url.path) missing: run TRELLIS_REGENERATE_FIXTURES=1 swift test -c release --filter SafetensorsWriterTests")
                continue
            }
            XCTAssertTrue(Array(committed) == writer.serialized(), "\(file) is stale: regenerate it (see test doc)")
        }
    }

    func testWriterRejectsInconsistentTensors() throws {
        var w = SafetensorsWriter()
        try w.add("a", floats: [1, 2], shape: [2])
        XCTAssertThrowsError(try w.add("a", floats: [1, 2], shape: [2])) { XCTAssertEqual(caseName($0), "invalidTensor") }
        XCTAssertThrowsError(try w.add("b", floats: [1, 2, 3], shape: [2, 2])) { XCTAssertEqual(caseName($0), "invalidTensor") }
        XCTAssertThrowsError(try w.add("c", floats: [1], shape: [1], as: .i64)) { XCTAssertEqual(caseName($0), "invalidTensor") }
        XCTAssertThrowsError(try w.add("__metadata__", floats: [1], shape: [1])) { XCTAssertEqual(caseName($0), "invalidTensor") }
        XCTAssertThrowsError(try w.add("d", floats: [], shape: [-1, 0])) { XCTAssertEqual(caseName($0), "invalidTensor") }
        XCTAssertEqual(w.count, 1)
        // A failed write (missing directory) leaves nothing behind and reports the path.
        let missing = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/x.safetensors")
        XCTAssertThrowsError(try w.write(to: missing)) { XCTAssertEqual(caseName($0), "io") }
    }

    /// Rewriting a file that a reader has mapped replaces it; the reader keeps its old contents.
    func testRewriteWhileMapped() throws {
        let dir = try scratchDirectory("st-rewrite")
        let url = dir.appendingPathComponent("x.safetensors")
        var w = SafetensorsWriter()
        try w.add("x", floats: [1, 2, 3, 4], shape: [4])
        try w.write(to: url)
        let old = try SafetensorsFile(url: url)
        var w2 = SafetensorsWriter()
        try w2.add("x", floats: [5, 6, 7, 8], shape: [4])
        try w2.write(to: url)
        XCTAssertEqual(try old.floats("x"), [1, 2, 3, 4])
        XCTAssertEqual(try SafetensorsFile(url: url).floats("x"), [5, 6, 7, 8])
    }
}

/// The bridge to the compute core's `Tensor` and `DType`.
final class SafetensorsTensorBridgeTests: XCTestCase {
    func testTensorRoundTripAndDTypeMapping() throws {
        for d in DType.allCases { XCTAssertEqual(SafetensorsDType(d).dtype, d) }
        XCTAssertNil(SafetensorsDType.i8.dtype)
        let t = Tensor(shape: [2, 3], data: [1, -2, 3.5, 0, 0.25, -0.0])   // [2, 3]
        var w = SafetensorsWriter()
        try w.add("t", tensor: t)
        try w.add("h", tensor: t, as: .bf16)
        let dir = try scratchDirectory("st-tensor")
        let url = dir.appendingPathComponent("model.safetensors")
        try w.write(to: url)
        let ckpt = try SafetensorsCheckpoint(directory: dir)
        XCTAssertEqual(try ckpt.tensor("t"), t)
        XCTAssertEqual(try ckpt.tensor("h"), t)   // all values exact in bf16
        XCTAssertEqual(try ckpt.dtype("h").dtype, .bf16)
    }
}

import Foundation
import Tensors
import XCTest
import _TestSupport

/// Every malformed file gives the specific typed error, naming the file; none crashes.
final class SafetensorsMalformedTests: XCTestCase {
    var malformed: URL { SafetensorsFixtures.root.appendingPathComponent("malformed") }

    func open(_ name: String) throws {
        let url = malformed.appendingPathComponent(name)
        if name.hasSuffix(".json") {
            _ = try SafetensorsCheckpoint(index: url)
        } else {
            _ = try SafetensorsFile(url: url)
        }
    }

    /// Drives every case of malformed/manifest.json (written by scripts/fixtures/safetensors_files.py,
    /// which also records that Python's safetensors rejects each file).
    func testManifestCases() throws {
        let data = try Data(contentsOf: malformed.appendingPathComponent("manifest.json"))
        let manifest = try JSONSerialization.jsonObject(with: data) as! [[String: String]]
        XCTAssertGreaterThanOrEqual(manifest.count, 20)
        for entry in manifest {
            let file = entry["file"]!
            XCTAssertThrowsError(try open(file), file) { error in
                XCTAssertEqual(caseName(error), entry["error"], "\(file): \(error)")
                let text = String(describing: error)
                XCTAssertTrue(text.contains("malformed/"), "\(file): message must name the file: \(text)")
                print("\(file): \(text)")
            }
            if entry["python"]!.hasPrefix("accepted") { XCTFail("\(file): Python accepts it; fixture is not malformed") }
        }
    }

    func path(_ name: String) -> String { malformed.appendingPathComponent(name).path }

    func expect(_ name: String, _ expected: SafetensorsError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try open(name), file: file, line: line) { error in
            XCTAssertEqual(error as? SafetensorsError, expected, file: file, line: line)
        }
    }

    func testTruncated() {
        expect("empty.safetensors", .truncated(path: path("empty.safetensors"), fileSize: 0, expectedSize: 8))
        expect("short-length.safetensors", .truncated(path: path("short-length.safetensors"), fileSize: 5, expectedSize: 8))
        XCTAssertThrowsError(try open("truncated-data.safetensors")) { error in
            guard case let .truncated(_, size, want)? = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(want - size, 10)
        }
    }

    func testHeaderLength() {
        expect("header-past-end.safetensors",
               .headerLengthPastEnd(path: path("header-past-end.safetensors"), headerLength: 1000, fileSize: 79))
        expect("header-too-large.safetensors",
               .headerTooLarge(path: path("header-too-large.safetensors"), headerLength: 1 << 62, limit: 100_000_000))
        expect("not-object.safetensors", .headerNotObject(path: path("not-object.safetensors"), offset: 8))
    }

    func testInvalidJSONCarriesOffset() {
        XCTAssertThrowsError(try open("invalid-json.safetensors")) { error in
            guard case let .invalidJSON(_, offset, _)? = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 8 + 23)  // the end of the 23-byte header (its padding)
        }
        XCTAssertThrowsError(try open("trailing-garbage-json.safetensors")) { error in
            guard case let .invalidJSON(_, offset, expected)? = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(offset, 8 + 55)
            XCTAssertTrue(expected.contains("end of input"), expected)
        }
    }

    func testLayoutErrorsNameTheTensor() {
        expect("offsets-out-of-range.safetensors",
               .offsetsOutOfRange(path: path("offsets-out-of-range.safetensors"), name: "b", begin: 1000, end: 1016, dataLength: 32))
        expect("overlapping.safetensors",
               .overlappingOffsets(path: path("overlapping.safetensors"), name: "b", other: "a", begin: 8, otherEnd: 16))
        expect("hole.safetensors", .uncoveredData(path: path("hole.safetensors"), begin: 16, end: 32))
        expect("shape-mismatch.safetensors",
               .shapeMismatch(path: path("shape-mismatch.safetensors"), name: "a", dtype: "F32", shape: [2, 3],
                              expectedBytes: 24, actualBytes: 16))
        expect("shape-overflow.safetensors",
               .shapeMismatch(path: path("shape-overflow.safetensors"), name: "a", dtype: "F32",
                              shape: [4294967296, 4294967296], expectedBytes: nil, actualBytes: 16))
    }

    func testEntryErrors() {
        expect("unknown-dtype.safetensors",
               .unknownDType(path: path("unknown-dtype.safetensors"), name: "a", dtype: "F31", offset: 8 + 14))
        expect("duplicate-names.safetensors",
               .duplicateName(path: path("duplicate-names.safetensors"), name: "a", offset: 8 + 55, firstOffset: 8 + 1))
        XCTAssertThrowsError(try open("metadata-not-strings.safetensors")) { XCTAssertEqual(caseName($0), "invalidMetadata") }
    }

    func testShardErrorsNameIndexAndShard() {
        let index = path("missing-shard/model.safetensors.index.json")
        expect("missing-shard/model.safetensors.index.json",
               .missingShard(index: index, shard: "model-00002-of-00002.safetensors"))
        XCTAssertTrue(String(describing: SafetensorsError.missingShard(index: index, shard: "s"))
            .contains("missing-shard/model.safetensors.index.json"))
        expect("wrong-shard/model.safetensors.index.json",
               .tensorNotInShard(index: path("wrong-shard/model.safetensors.index.json"), name: "zz",
                                 shard: "model-00001-of-00001.safetensors"))
        let empty = URL(fileURLWithPath: path("."))
        XCTAssertThrowsError(try SafetensorsCheckpoint(directory: empty)) { XCTAssertEqual(caseName($0), "noCheckpoint") }
    }

    func testIndexErrors() throws {
        let dir = try scratchDirectory("st-index")
        let cases: [(String, String)] = [
            (#"{"metadata": {}}"#, "invalidIndex"),
            (#"{"weight_map": {"a": 3}}"#, "invalidIndex"),
            (#"{"weight_map": {"a": "../x.safetensors"}}"#, "invalidIndex"),
            (#"{"weight_map": {"a": "x", "a": "y"}}"#, "invalidIndex"),
            (#"{"weight_map": {"a": "x.safetensors"}"#, "invalidJSON"),
            (#"{"weight_map": {"a": "x.safetensors"}}"#, "missingShard"),
        ]
        for (text, want) in cases {
            let url = dir.appendingPathComponent("model.safetensors.index.json")
            try Data(text.utf8).write(to: url)
            XCTAssertThrowsError(try SafetensorsCheckpoint(directory: dir), text) { XCTAssertEqual(caseName($0), want, text) }
        }
    }

    /// Byte flips and truncations of a valid file: each either opens (and every tensor reads) or
    /// throws a SafetensorsError; none crashes. TRELLIS_HEAVY=1 runs 30,000 mutations instead of 600.
    func testMutationsNeverCrash() throws {
        let original = try Data(contentsOf: SafetensorsFixtures.root.appendingPathComponent("dtypes.safetensors"))
        let dir = try scratchDirectory("st-fuzz")
        let url = dir.appendingPathComponent("m.safetensors")
        var rng = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        let headerEnd = 8 + Int(original.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let trials = ProcessInfo.processInfo.environment["TRELLIS_HEAVY"] == "1" ? 30_000 : 600
        for trial in 0..<trials {
            var bytes = [UInt8](original)
            if trial % 5 == 0 {
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng))
            } else {
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    // Mostly in the header, where the parser works.
                    let i = trial % 2 == 0 ? Int.random(in: 0..<headerEnd, using: &rng) : Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] = trial % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : Array("{}[],:\"0123456789 e-".utf8).randomElement(using: &rng)!
                }
            }
            try Data(bytes).write(to: url)
            do {
                let f = try SafetensorsFile(url: url)
                for t in f.tensors {
                    _ = try? f.floats(t.name)
                    _ = try? f.int64s(t.name)
                }
                outcomes["ok", default: 0] += 1
            } catch let e as SafetensorsError {
                outcomes[caseName(e), default: 0] += 1
            }
        }
        print("mutation outcomes: \(outcomes.sorted { $0.key < $1.key })")
        XCTAssertGreaterThan(outcomes.count, 3)
    }
}

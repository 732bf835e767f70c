import Foundation
import Tensors
import XCTest
import _TestSupport

/// Reads Tests/Fixtures/safetensors/expected.json (written by scripts/fixtures/safetensors_files.py).
enum SafetensorsFixtures {
    static var root: URL { TestSupport.fixtures.appendingPathComponent("safetensors") }

    struct Expected {
        let dtype: String
        let shape: [Int]
        let values: [Any]
        /// The stored bytes, as Python wrote them (NaN payloads included).
        let bytes: [UInt8]
        /// For BF16/F16: the float32 values torch rounded to get `values`.
        let source: [Any]?

        /// Values as Float (JSON numbers or "nan"/"inf"/"-inf"); F64 values rounded like the reader does.
        var floats: [Float] { Self.floats(values) }

        static func floats(_ values: [Any]) -> [Float] {
            values.map { v in
                if let s = v as? String { return s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity) }
                return Float((v as! NSNumber).doubleValue)
            }
        }

        var doubles: [Double] {
            values.map { v in
                if let s = v as? String { return s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity) }
                return (v as! NSNumber).doubleValue
            }
        }

        /// Integer values (I64 are strings in the JSON so no reader rounds them through Double).
        var int64s: [Int64] {
            values.map { v in (v as? String).flatMap { Int64($0) } ?? (v as! NSNumber).int64Value }
        }
    }

    struct FileSpec {
        let metadata: [String: String]
        let tensors: [String: Expected]
    }

    static func load() throws -> (files: [String: FileSpec], fromTrellis: [String: String]) {
        let data = try Data(contentsOf: root.appendingPathComponent("expected.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        var files: [String: FileSpec] = [:]
        for (name, spec) in json["files"] as! [String: Any] {
            let spec = spec as! [String: Any]
            var tensors: [String: Expected] = [:]
            for (t, e) in spec["tensors"] as! [String: Any] {
                let e = e as! [String: Any]
                let hex = Array((e["hex"] as! String).utf8)
                let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
                tensors[t] = Expected(dtype: e["dtype"] as! String, shape: (e["shape"] as! [NSNumber]).map(\.intValue),
                                      values: e["values"] as! [Any], bytes: bytes, source: e["source"] as? [Any])
            }
            files[name] = FileSpec(metadata: spec["metadata"] as! [String: String], tensors: tensors)
        }
        var fromTrellis: [String: String] = [:]
        for (file, spec) in json["from_trellis"] as! [String: Any] {
            fromTrellis[file] = (spec as! [String: Any])["source"] as? String
        }
        return (files, fromTrellis)
    }

    /// A writer holding the same tensors and metadata as a Python-written fixture: from the stored
    /// bytes when `rawBytes`, else through the typed `add` calls (floats rounded by Trellis).
    static func writer(for spec: FileSpec, rawBytes: Bool = false) throws -> SafetensorsWriter {
        var w = SafetensorsWriter(metadata: spec.metadata)
        for (name, e) in spec.tensors {
            if rawBytes {
                try w.add(name, dtype: SafetensorsDType(rawValue: e.dtype)!, shape: e.shape, bytes: e.bytes)
                continue
            }
            switch e.dtype {
            case "F32": try w.add(name, floats: e.floats, shape: e.shape, as: .f32)
            case "BF16": try w.add(name, floats: e.floats, shape: e.shape, as: .bf16)
            case "F16": try w.add(name, floats: e.floats, shape: e.shape, as: .f16)
            case "F64":
                let bytes = e.doubles.flatMap { d in withUnsafeBytes(of: d.bitPattern.littleEndian) { Array($0) } }
                try w.add(name, dtype: .f64, shape: e.shape, bytes: bytes)
            case "I64": try w.add(name, int64s: e.int64s, shape: e.shape)
            case "I32": try w.add(name, int32s: e.int64s.map { Int32($0) }, shape: e.shape)
            case "U8", "BOOL":
                try w.add(name, dtype: SafetensorsDType(rawValue: e.dtype)!, shape: e.shape,
                          bytes: e.int64s.map { UInt8($0) })
            default: XCTFail("fixture dtype \(e.dtype) not handled")
            }
        }
        return w
    }

    /// Bitwise float equality (NaN equals NaN, -0 differs from +0); reports the first mismatch.
    static func assertSameFloats(_ got: [Float], _ want: [Float], _ label: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, "\(label): count", file: file, line: line)
        for (i, (g, w)) in zip(got, want).enumerated() where !(g.isNaN && w.isNaN) && g.bitPattern != w.bitPattern {
            XCTFail("\(label)[\(i)]: got \(g), want \(w)", file: file, line: line)
            return
        }
    }
}

/// The case name of an error, so tests can assert the specific case a fixture must produce.
func caseName(_ error: Error) -> String {
    guard let e = error as? SafetensorsError else { return "not a SafetensorsError: \(error)" }
    switch e {
    case .io: return "io"
    case .truncated: return "truncated"
    case .headerLengthPastEnd: return "headerLengthPastEnd"
    case .headerTooLarge: return "headerTooLarge"
    case .headerNotObject: return "headerNotObject"
    case .invalidJSON: return "invalidJSON"
    case .invalidUTF8: return "invalidUTF8"
    case .duplicateName: return "duplicateName"
    case .invalidEntry: return "invalidEntry"
    case .invalidMetadata: return "invalidMetadata"
    case .unknownDType: return "unknownDType"
    case .shapeMismatch: return "shapeMismatch"
    case .offsetsOutOfRange: return "offsetsOutOfRange"
    case .overlappingOffsets: return "overlappingOffsets"
    case .uncoveredData: return "uncoveredData"
    case .tensorNotFound: return "tensorNotFound"
    case .unsupportedConversion: return "unsupportedConversion"
    case .missingShard: return "missingShard"
    case .invalidIndex: return "invalidIndex"
    case .tensorNotInShard: return "tensorNotInShard"
    case .noCheckpoint: return "noCheckpoint"
    case .invalidTensor: return "invalidTensor"
    }
}

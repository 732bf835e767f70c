import Foundation
import Tensors
import XCTest
import _TestSupport

/// Header edge cases that valid writers may produce, and ones the reader must refuse, built in Swift.
final class SafetensorsHeaderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try TestSupport.temporaryDirectory("st-header") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    /// Writes `8-byte length + header + data` and opens it.
    func open(_ header: String, data: [UInt8] = []) throws -> SafetensorsFile {
        let url = dir.appendingPathComponent("h-\(UUID().uuidString.prefix(6)).safetensors")
        let h = Array(header.utf8)
        var bytes = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) }
        bytes += h + data
        try Data(bytes).write(to: url)
        return try SafetensorsFile(url: url)
    }

    func expectError(_ header: String, data: [UInt8] = [], _ want: String, line: UInt = #line) {
        XCTAssertThrowsError(try open(header, data: data), line: line) { XCTAssertEqual(caseName($0), want, "\(header): \($0)", line: line) }
    }

    let four = [UInt8](repeating: 0, count: 16)

    func testAcceptedForms() throws {
        let empty = try open("{}")
        XCTAssertTrue(empty.tensors.isEmpty)
        // Whitespace inside and after the JSON, metadata null, unknown fields ignored (as serde does).
        let f = try open("{\"__metadata__\" : null ,\n \"a\":{\"shape\":[4],\"extra\":[1,{\"x\":true}],\"dtype\":\"F32\",\"data_offsets\":[0,16]}}\t\r\n  ",
                         data: four)
        XCTAssertEqual(f.names, ["a"])
        XCTAssertEqual(f.metadata, [:])
        // Escaped names: \u escapes, a surrogate pair, \/.
        let g = try open(#"{"\u00e9\/\ud83d\ude00":{"dtype":"U8","shape":[2,2],"data_offsets":[0,4]}}"#, data: [1, 2, 3, 4])
        XCTAssertEqual(g.names, ["é/😀"])
        XCTAssertEqual(try g.int64s("é/😀"), [1, 2, 3, 4])
        // Empty tensors may share an offset with their neighbours.
        let e = try open(#"{"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"I64","shape":[2,0],"data_offsets":[16,16]}}"#, data: four)
        XCTAssertEqual(e.tensors.map(\.name), ["z", "a", "y"])
        // Dtypes the compute core lacks still validate and read as integers where they are integers.
        let i = try open(#"{"a":{"dtype":"I16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[4,6]},"c":{"dtype":"F4","shape":[4],"data_offsets":[6,8]}}"#,
                         data: [0xFF, 0xFF, 2, 0, 9, 9, 1, 1])
        XCTAssertEqual(try i.int64s("a"), [-1, 2])
        XCTAssertThrowsError(try i.floats("b")) { XCTAssertEqual(caseName($0), "unsupportedConversion") }
    }

    func testRefusedForms() {
        expectError(" {}      ", "headerNotObject")  // the format requires '{' first
        expectError(#"{"a":{"dtype":"F32","dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: four, "invalidJSON")
        expectError(#"{"\ud83d":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: four, "invalidJSON")
        expectError(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16,32]}}"#, data: four, "invalidEntry")
        expectError(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},}"#, data: four, "invalidJSON")
        expectError(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,99999999999999999999]}}"#, data: four, "invalidEntry")
        expectError(#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#, data: [0], "shapeMismatch")  // 12 bits
        expectError(#"{"a":{"dtype":7,"shape":[4],"data_offsets":[0,16]}}"#, data: four, "invalidEntry")
        expectError(#"{"a":[1]}"#, "invalidEntry")
        expectError(#"{"__metadata__":[],"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: four, "invalidMetadata")
        expectError("{\"a\u{01}\":1}", "invalidJSON")
        expectError(#"{"a":tru}"#, "invalidJSON")
        expectError(#"{"a":01}"#, "invalidJSON")
        expectError("{}\0\0\0\0\0\0", "invalidJSON")  // NUL padding is not whitespace
    }
}

import XCTest
import Formats

final class JSONWriterTests: XCTestCase {
    func testRoundTrip() throws {
        let text = #"{"z":[1,-2,0.1,-0.0,1e+300,9223372036854775807,true,false,null],"a":{"s":"q\"\\\/\n\t\u0001é😀"}}"#
        let v = try JSONReader.parse(text)
        let out = try JSONWriter.string(v)
        XCTAssertEqual(out, #"{"z":[1,-2,0.1,-0.0,1e+300,9223372036854775807,true,false,null],"a":{"s":"q\"\\/\n\t\u0001é😀"}}"#)
        let again = try JSONReader.parse(out)
        XCTAssertEqual(try JSONWriter.string(again), out)
        for d in [0.1, 1.0 / 3.0, Double.leastNonzeroMagnitude, 1.7976931348623157e308, -2.5e-8] {
            XCTAssertEqual(try JSONReader.parse(JSONWriter.string(JSONValue(d))).double, d)
        }
    }

    func testPrettyAndSortedDictionaries() throws {
        let v = JSONValue(["b": JSONValue(1), "a": JSONValue([JSONValue("x")]), "c": JSONValue([String: JSONValue]())])
        XCTAssertEqual(try JSONWriter.string(v, pretty: true), "{\n  \"a\": [\n    \"x\"\n  ],\n  \"b\": 1,\n  \"c\": {}\n}")
    }

    func testNonFiniteRejected() {
        let v = JSONValue(["loss": JSONValue([JSONValue(1.0), JSONValue(Double.nan)])])
        XCTAssertThrowsError(try JSONWriter.bytes(v)) { XCTAssertTrue("\($0)".contains("loss[1]"), "\($0)") }
        XCTAssertThrowsError(try JSONValue(foundation: ["x": Double.infinity]))
    }

    struct Config: Codable, Equatable {
        var hidden_size: Int
        var eps: Double
        var name: String?
        var dims: [UInt8]
    }

    func testCodableBridges() throws {
        let c = Config(hidden_size: 64, eps: 1e-5, name: nil, dims: [1, 2])
        let bytes = try JSONEncoding.bytes(c)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), #"{"dims":[1,2],"eps":1e-05,"hidden_size":64}"#)
        XCTAssertEqual(try JSONDecoding.decode(Config.self, from: JSONReader.parse(bytes)), c)
        let bad = try JSONReader.parse(Array("{\"dims\": [1, 2],\n \"eps\": 1, \"hidden_size\": 64.5}".utf8), path: "config.json")
        XCTAssertThrowsError(try JSONDecoding.decode(Config.self, from: bad)) {
            XCTAssertEqual("\($0)", "config.json:2:27: hidden_size: expected an integer, found 64.5")
        }
        let wide = try JSONReader.parse(#"{"dims": [1, 300], "eps": 1, "hidden_size": 1}"#)
        XCTAssertThrowsError(try JSONDecoding.decode(Config.self, from: wide)) { XCTAssertTrue("\($0)".contains("dims[1]"), "\($0)") }
        let missing = try JSONReader.parse(#"{"dims": [], "eps": 1}"#)
        XCTAssertThrowsError(try JSONDecoding.decode(Config.self, from: missing)) {
            XCTAssertTrue("\($0)".contains("missing key 'hidden_size'"), "\($0)")
        }
    }

    func testFoundationBridge() throws {
        let v = try JSONReader.parse(#"{"i": 3, "d": 2.5, "b": true, "n": null, "a": ["x"]}"#)
        let f = try XCTUnwrap(v.foundation as? [String: Any])
        XCTAssertEqual(f["i"] as? Int, 3)
        XCTAssertEqual(f["d"] as? Double, 2.5)
        XCTAssertEqual(f["b"] as? Bool, true)
        XCTAssertEqual(try JSONWriter.string(JSONValue(foundation: f)), #"{"a":["x"],"b":true,"d":2.5,"i":3,"n":null}"#)
    }
}

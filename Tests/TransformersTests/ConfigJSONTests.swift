import Foundation
import XCTest
import _TestSupport
import Transformers

/// config.json is read through the one JSON reader: errors carry line:column and the key, numbers are typed.
final class ConfigJSONTests: XCTestCase {
    private func family(_ json: String) throws -> String {
        let dir = try TestSupport.temporaryDirectory("config-json")
        try json.write(to: dir.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        do { return "\(try ModelLoader.family(directory: dir))" } catch { return "\(error)" }
    }

    func testValidNumbersOfTheWrongTypeArePositioned() throws {
        // Before: "not valid JSON" without a position, or a Foundation type-mismatch message.
        let m = try family("{\n  \"model_type\": \"pglm\",\n  \"num_layers\": 64.5\n}")
        XCTAssertTrue(m.hasSuffix("config.json: 3:17: num_layers: expected an integer, found 64.5"), m)
        let big = try family(#"{"model_type": "pglm", "num_layers": 1e30}"#)
        XCTAssertTrue(big.contains("num_layers: expected an integer in") && big.contains("out of range 1e30"), big)
    }

    func testSyntaxErrorsArePositioned() throws {
        let m = try family("{\n  \"model_type\": \"bert\",\n}")
        XCTAssertTrue(m.contains("config.json: 3:1 (byte 26): invalid JSON: expected a string key"), m)
        XCTAssertEqual(try family(#"{"model_type": "bert"}"#), "bert")
    }
}

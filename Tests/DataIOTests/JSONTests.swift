import DataIO
import Foundation
import XCTest
import _TestSupport

final class JSONTests: XCTestCase {
    func testJSONLinesRead() throws {
        for name in ["good.jsonl", "good.jsonl.gz"] {
            let values = try JSONLReader.readAll(path: Fixture.path(name))
            XCTAssertEqual(values.count, 3, name)
            let first = values[0] as! [String: Any]
            XCTAssertEqual(first["text"] as? String, "café")
            XCTAssertEqual(first["tags"] as? [String], ["a", "b"])
            XCTAssertTrue((values[1] as! [String: Any])["text"] is NSNull)
            XCTAssertEqual((values[2] as! [Any]).count, 3)
        }
    }

    struct Item: Codable, Equatable {
        var id: Int
        var text: String?
    }

    func testJSONLinesDecodable() throws {
        let reader = try JSONLReader(path: Fixture.path("good.jsonl"))
        XCTAssertEqual(try reader.next(as: Item.self), Item(id: 1, text: "café"))
        XCTAssertEqual(try reader.next(as: Item.self), Item(id: 2, text: nil))
        expectDataIOError("\(Fixture.path("good.jsonl")):3:1: expected Item: expected an object, found an array") { _ = try reader.next(as: Item.self) }
    }

    func testMalformedLineIsLocated() throws {
        let path = Fixture.path("bad.jsonl")
        expectDataIOError("\(path):3:19: expected a closing '\"' for the string") { _ = try JSONLReader.readAll(path: path) }
        let path2 = Fixture.path("bad_comma.jsonl")
        expectDataIOError("\(path2):3:10: expected ',' or '}' after an object member, found '\"'") { _ = try JSONLReader.readAll(path: path2) }
    }

    func testMalformedDocumentIsLocated() throws {
        let path = Fixture.path("bad.json")
        let e = expectDataIOError("\(path):3:19: expected a value (object, array, string, number, true, false or null), found ','") { _ = try JSONFile.read(path: path) }
        XCTAssertEqual(e?.position?.byteOffset, 35)
    }

    func testStrictGrammar() throws {
        let good = ["{}", "[]", "[1,2]", "{\"a\":[true,false,null]}", "-0.5e+3", "\"\\u00e9\\n\"", " 1 "]
        let bad = ["{\"a\" 1}", "01", "1.", "-", "[1 2]", "tru", "\"abc", "\"\\x\"", "[[[", "",
                   "{1:2}", "1 2", "\"a\u{1}b\"", "[-]", "1e", "nul", "[1,]", "{\"a\":1,}", "NaN"]
        for text in good { XCTAssertNoThrow(try JSONFile.value(Array(text.utf8), path: "x"), text) }
        for text in bad { XCTAssertThrowsError(try JSONFile.value(Array(text.utf8), path: "x"), text) }
    }

    func testJSONLWriterRoundTrip() throws {
        let dir = try scratchDirectory()
        for name in ["out.jsonl", "out.jsonl.zst"] {
            let path = dir.appendingPathComponent(name).path
            let writer = try JSONLWriter(path: path)
            try writer.write(["b": 1, "a": "x/y"] as [String: Any])
            try writer.write(encodable: Item(id: 7, text: "t"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: path))
            try writer.finish()
            let text = String(decoding: try ByteReader.readAll(path: path), as: UTF8.self)
            XCTAssertEqual(text, "{\"a\":\"x/y\",\"b\":1}\n{\"id\":7,\"text\":\"t\"}\n")
        }
        let doc = dir.appendingPathComponent("doc.json").path
        try JSONFile.write(["k": [1, 2]], to: doc)
        XCTAssertEqual((try JSONFile.read(path: doc) as! [String: [Int]])["k"], [1, 2])
    }
}

final class JSONLAppenderTests: XCTestCase {
    func testAppendsWholeLinesAcrossOpenings() throws {
        let dir = try scratchDirectory()
        let path = dir.appendingPathComponent("trace.jsonl").path
        for i in 0..<2 {
            let log = try JSONLAppender(path: path)
            try log.append(["stage": "s\(i)", "wall": 0.5] as [String: Any])
            log.close()
        }
        let values = try JSONLReader.readAll(path: path) as! [[String: Any]]
        XCTAssertEqual(values.map { $0["stage"] as? String }, ["s0", "s1"])
    }
}

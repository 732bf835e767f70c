import XCTest
import Formats

final class JSONReaderTests: XCTestCase {
    private func fail(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> FormatsError? {
        do {
            _ = try JSONReader.parse(Array(text.utf8), path: "t.json")
            XCTFail("accepted \(text)", file: file, line: line)
            return nil
        } catch let e as FormatsError {
            return e
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testOrderedObjectsAndPositions() throws {
        let v = try JSONReader.parse(Array("{\n  \"b\": 1,\n  \"a\": [true, null, \"x\"]\n}".utf8), path: "t.json")
        XCTAssertEqual(v.object?.map(\.key), ["b", "a"])
        let a = try v.member("a")
        XCTAssertEqual(a.location, SourceLocation(path: "t.json", offset: 19, line: 3, column: 8))
        XCTAssertEqual(a.array?[2].location.column, 21)
        XCTAssertEqual(a.array?[2].string, "x")
    }

    func testSyntaxErrorsArePositioned() {
        let e = fail("{\n  \"a\": 1,\n}")
        XCTAssertEqual(e?.location, SourceLocation(path: "t.json", offset: 12, line: 3, column: 1))
        XCTAssertTrue("\(e!)".hasPrefix("t.json:3:1 (byte 12): invalid JSON: expected a string key"), "\(e!)")
        XCTAssertNotNil(fail("[1,]"))
        XCTAssertNotNil(fail("[NaN]"))
        XCTAssertNotNil(fail("[01]"))
        XCTAssertNotNil(fail("[1.]"))
        XCTAssertNotNil(fail("{\"a\" 1}"))
        XCTAssertNotNil(fail("\"a\u{01}\""))
        XCTAssertNotNil(fail("\"\\x\""))
        XCTAssertNotNil(fail("1 2"))
        XCTAssertNotNil(fail(""))
        // Columns count Unicode scalars, not bytes.
        XCTAssertEqual(fail("[\"é\", x]")?.location?.column, 7)
    }

    func testNumberTyping() throws {
        let v = try JSONReader.parse(Array(#"{"a": 64.5, "b": 1e30, "c": 1e300, "d": -0, "e": 9223372036854775808, "f": 9223372036854775807, "g": -9223372036854775808, "h": 2.0}"#.utf8), path: "c.json")
        XCTAssertThrowsError(try v.member("a").int(key: "a")) {
            XCTAssertEqual("\($0)", "c.json:1:7: a: expected an integer, found 64.5")
        }
        XCTAssertThrowsError(try v.member("b").int(key: "b")) { XCTAssertTrue("\($0)".hasSuffix("found out of range 1e30"), "\($0)") }
        XCTAssertThrowsError(try v.member("c").int(in: 0...(1 << 24), key: "ids[0]")) {
            XCTAssertTrue("\($0)".hasSuffix("ids[0]: expected an integer in 0...16777216, found out of range 1e300"), "\($0)")
        }
        let d = try v.member("d")
        guard case .number(let z, _) = d.kind else { return XCTFail("-0 should stay a double") }
        XCTAssertEqual(z.sign, .minus)
        XCTAssertEqual(try d.int(key: "d"), 0)
        XCTAssertThrowsError(try v.member("e").int(key: "e")) { XCTAssertTrue("\($0)".contains("out of range 9223372036854775808"), "\($0)") }
        XCTAssertEqual(try v.member("f").int(key: "f"), Int.max)
        XCTAssertEqual(try v.member("g").int(key: "g"), Int.min)
        XCTAssertEqual(try v.member("h").int(key: "h"), 2)
        XCTAssertThrowsError(try v.member("f").int(in: 0...10, key: "f"))
        XCTAssertThrowsError(try v.member("zz")) { XCTAssertEqual("\($0)", "c.json:1:1: missing key 'zz'") }
    }

    func testDuplicateKeysPointAtTheSecond() {
        guard case let .duplicateKey(at, key, first, depth)? = fail(#"{"a": 1, "b": {"x": 1, "x": 2}}"#) else { return XCTFail() }
        XCTAssertEqual(key, "x"); XCTAssertEqual(at.offset, 23); XCTAssertEqual(first, 15); XCTAssertEqual(depth, 2)
        // Large objects use a hash set: the rule is the same.
        let many = (0..<100).map { "\"k\($0)\": \($0)" }.joined(separator: ",")
        guard case let .duplicateKey(_, key2, _, _)? = fail("{\(many), \"k42\": 0}") else { return XCTFail() }
        XCTAssertEqual(key2, "k42")
        // Canonically equivalent but different bytes are different keys.
        XCTAssertNoThrow(try JSONReader.parse(Array(#"{"\u00e9": 1, "e\u0301": 2}"#.utf8)))
    }

    func testDepthLimitWithoutStackOverflow() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        guard case let .tooDeep(at, limit)? = fail(deep) else { return XCTFail() }
        XCTAssertEqual(limit, 512); XCTAssertEqual(at.offset, 512)
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try JSONReader.parse(Array(ok.utf8)))
    }

    func testStringsUTF8AndSurrogates() throws {
        XCTAssertEqual(try JSONReader.parse(#""\ud83d\ude00 \u00e9\n""#).string, "😀 é\n")
        XCTAssertNotNil(fail(#""\ud83d""#))          // lone high surrogate
        XCTAssertNotNil(fail(#""\ude00""#))          // lone low surrogate
        XCTAssertNotNil(fail(#""\ud83d\u0041""#))    // high surrogate + non-surrogate
        XCTAssertNotNil(fail(#""\u12G4""#))
        for bad: [UInt8] in [[0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF]] {
            let doc: [UInt8] = [0x5B, 0x22] + bad + [0x22, 0x5D]
            XCTAssertThrowsError(try JSONReader.parse(doc, path: "u.json")) {
                guard case .invalidUTF8(let at)? = $0 as? FormatsError else { return XCTFail("\($0)") }
                XCTAssertEqual(at.offset, 2)
            }
        }
    }
}

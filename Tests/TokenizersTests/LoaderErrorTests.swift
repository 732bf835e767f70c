import Foundation
import XCTest
import _TestSupport
import Tokenizers

/// Malformed tokenizer files give errors that name the file and the position.
final class LoaderErrorTests: XCTestCase {
    func write(_ files: [String: String]) throws -> URL {
        let dir = try TestSupport.temporaryDirectory("tok-err")
        for (name, text) in files {
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testBadJSONReportsOffset() throws {
        let dir = try write(["tokenizer.json": "{\"model\": {\"type\": \"BPE\",\n  \"vocab\": {\"a\": 1,}}}"])
        do {
            _ = try TokenizerLoader.load(path: dir.path)
            XCTFail("expected an error")
        } catch let TokenizerError.badJSON(path, offset, line, column, expected) {
            XCTAssertTrue(path.hasSuffix("tokenizer.json"))
            XCTAssertEqual(offset, 45)
            XCTAssertEqual(line, 2)
            XCTAssertEqual(column, 20)
            XCTAssertEqual(expected, "a string key, found '}'")
        }
    }

    func testMissingMerges() throws {
        let dir = try write(["vocab.json": #"{"a": 0}"#])
        let m = message { try TokenizerLoader.load(path: dir.path) }
        XCTAssertTrue(m.contains("merges.txt") && m.contains("not found"), m)
    }

    func testMalformedMergesLine() throws {
        let dir = try write(["vocab.json": #"{"a": 0, "b": 1, "ab": 2}"#, "merges.txt": "#version: 0.2\na b\nab\n"])
        XCTAssertEqual(message { try TokenizerLoader.load(path: dir.path) },
                       "\(dir.path)/merges.txt:3: expected two tokens separated by one space, got 'ab'")
        let dir2 = try write(["vocab.json": #"{"a": 0, "b": 1}"#, "merges.txt": "a b\n"])
        let m = message { try TokenizerLoader.load(path: dir2.path) }
        XCTAssertTrue(m.hasSuffix("merges.txt:1: expected a merge whose result 'ab' is in the vocabulary"), m)
    }

    func testVocabularyWithoutUnk() throws {
        let dir = try write(["vocab.txt": "[PAD]\n[CLS]\n[SEP]\nhello\n"])
        let m = message { try TokenizerLoader.load(path: dir.path) }
        XCTAssertEqual(m, "\(dir.path)/vocab.txt: vocabulary has no '[UNK]' token (WordPiece needs it for words it cannot split)")
    }

    func testEmptyDirectoryAndUnsupportedModel() throws {
        let empty = try write([:])
        XCTAssertTrue(message { try TokenizerLoader.load(path: empty.path) }.contains("expected tokenizer.json"))
        let uni = try write(["tokenizer.json": #"{"model": {"type": "Unigram", "vocab": {}}}"#])
        XCTAssertTrue(message { try TokenizerLoader.load(path: uni.path) }.contains("model type 'Unigram'"))
        XCTAssertTrue(message { try TokenizerLoader.load(path: "/nonexistent/tok") }.contains("not found"))
    }

    func testBadProtobuf() throws {
        let dir = try scratchDirectory("tok-pb")
        let path = dir.appendingPathComponent("tokenizer.model")
        try Data([0x0A, 0x20, 0x0A, 0x01]).write(to: path)
        XCTAssertEqual(message { try TokenizerLoader.load(path: path.path) }, "\(path.path): byte 2: expected 32 bytes of a piece, but 2 are left")
    }
}

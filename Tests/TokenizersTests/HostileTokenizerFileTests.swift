import Foundation
import XCTest
import _TestSupport
import Formats
import Tokenizers

/// Hostile tokenizer files (issue 14): out-of-range JSON numbers, binary or empty vocab.txt, duplicate
/// tokens, malformed sentencepiece protobufs. Each is an error naming the file and the line or byte; before,
/// 1e300 trapped converting to Int, a huge protobuf varint trapped, and garbage lists loaded silently.
final class HostileTokenizerFileTests: XCTestCase {
    func dir(_ files: [String: [UInt8]]) throws -> URL {
        let d = try TestSupport.temporaryDirectory("tok-hostile")
        for (name, bytes) in files { try Data(bytes).write(to: d.appendingPathComponent(name)) }
        return d
    }

    func message(_ path: URL) -> String {
        do { _ = try TokenizerLoader.load(path: path.path); return "no error" } catch { return "\(error)" }
    }

    func testHugeJSONNumbersAreRejectedNotTrapped() throws {
        XCTAssertNil(try JSONReader.parse(Array("1e300".utf8), path: "x").int)
        XCTAssertNil(try JSONReader.parse(Array("-9.3e18".utf8), path: "x").int)
        XCTAssertNil(try JSONReader.parse(Array("2.5".utf8), path: "x").int)
        XCTAssertEqual(try JSONReader.parse(Array("42".utf8), path: "x").int, 42)
        let d = try dir(["vocab.json": Array(#"{"a": 1e300, "b": 1}"#.utf8), "merges.txt": Array("#version: 0.2\n".utf8)])
        let m = message(d.appendingPathComponent("vocab.json"))
        XCTAssertTrue(m.contains("vocab.json: field 'a") && m.contains("expected an integer"), m)
        let t = try dir(["tokenizer.json": Array(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 1e300}}}"#.utf8)])
        let mt = message(t.appendingPathComponent("tokenizer.json"))
        XCTAssertTrue(mt.contains("field 'model.vocab.[UNK]"), mt)
    }

    func testGarbageVocabTxtIsAnError() throws {
        var binary = Array("[UNK]\nhello\n".utf8); binary += [0, 1, 2, 0xFF, 0xFE]
        XCTAssertTrue(message(try dir(["vocab.txt": binary]).appendingPathComponent("vocab.txt")).contains("NUL byte"))
        let invalid = Array("[UNK]\nh".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let mi = message(try dir(["vocab.txt": invalid]).appendingPathComponent("vocab.txt"))
        XCTAssertTrue(mi.contains("byte 7") && mi.contains("not UTF-8"), mi)
        let me = message(try dir(["vocab.txt": []]).appendingPathComponent("vocab.txt"))
        XCTAssertTrue(me.contains("vocab.txt") && me.contains("empty"), me)
        let md = message(try dir(["vocab.txt": Array("[UNK]\na\nb\na\n".utf8)]).appendingPathComponent("vocab.txt"))
        XCTAssertTrue(md.contains("vocab.txt:4: expected unique tokens; 'a' is already on line 2"), md)
        let mu = message(try dir(["vocab.txt": Array("[PAD]\na\n".utf8)]).appendingPathComponent("vocab.txt"))
        XCTAssertTrue(mu.contains("no '[UNK]' token"), mu)
        // A well-formed vocab.txt still loads (a trailing blank line is allowed).
        XCTAssertEqual(message(try dir(["vocab.txt": Array("[PAD]\n[UNK]\nhello\n\n".utf8)]).appendingPathComponent("vocab.txt")), "no error")
    }

    func testMalformedSentencepieceIsAnError() throws {
        // Field 1 with a length varint of 2^63 − 1: the old reader trapped converting and adding it.
        let huge: [UInt8] = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        let m = message(try dir(["tokenizer.model": huge]).appendingPathComponent("tokenizer.model"))
        XCTAssertTrue(m.contains("tokenizer.model: byte 10: expected 9223372036854775807 bytes of a piece, but 0 are left"), m)
        let text = Array("<pad>\nA\n".utf8) + [0, 0x13, 0x37]
        let mt = message(try dir(["tokenizer.model": text]).appendingPathComponent("tokenizer.model"))
        XCTAssertTrue(mt.contains("sentencepiece ModelProto") && mt.contains("NUL byte"), mt)
        let dup = message(try dir(["tokenizer.model": Array("<pad>\nA\nA\n".utf8)]).appendingPathComponent("tokenizer.model"))
        XCTAssertTrue(dup.contains("tokenizer.model:3"), dup)
    }

    func testDirectoryGivenAsFile() throws {
        let d = try dir([:])
        try FileManager.default.createDirectory(at: d.appendingPathComponent("vocab.txt"), withIntermediateDirectories: true)
        let m = message(d)
        XCTAssertTrue(m.contains("vocab.txt: cannot read: is a directory"), m)
    }
}

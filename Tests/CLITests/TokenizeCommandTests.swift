import Foundation
import XCTest
import _TestSupport

/// `trellis tokenize` end to end against the reference ids of the fixture.
final class TokenizeCommandTests: XCTestCase {
    func testPlainAndJSONLInput() throws {
        let cases = try Self.cases().filter { $0["kind"] as? String == "bpe" }
            .filter { !($0["text"] as! String).contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\u{2028}" }) }.prefix(40)
        let dir = try scratchDirectory("tok-cli")
        let plain = dir.appendingPathComponent("in.txt"), jsonl = dir.appendingPathComponent("in.jsonl")
        try cases.map { $0["text"] as! String }.joined(separator: "\n").appending("\n").write(to: plain, atomically: true, encoding: .utf8)
        let lines = try cases.map { String(decoding: try JSONSerialization.data(withJSONObject: ["text": $0["text"]!]), as: UTF8.self) }
        try lines.joined(separator: "\n").write(to: jsonl, atomically: true, encoding: .utf8)
        let bpe = Self.tokenizers.appendingPathComponent("bpe").path
        for args in [["--input", plain.path], ["--input", jsonl.path, "--jsonl"]] {
            let r = try TestSupport.runTrellis(["tokenize", "--tokenizer", bpe] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            let got = try r.stdout.split(separator: "\n").map { try Self.ints(try JSONSerialization.jsonObject(with: Data($0.utf8))) }
            XCTAssertEqual(got, try cases.map { try Self.ints($0["ids"] as Any) })
        }
        let t = try TestSupport.runTrellis(["tokenize", "--tokenizer", bpe, "--input", plain.path, "--max-length", "5", "--no-special-tokens"])
        XCTAssertTrue(t.stdout.split(separator: "\n").allSatisfy { $0.split(separator: ",").count <= 5 })
        let bad = try TestSupport.runTrellis(["tokenize", "--tokenizer", bpe, "--input", plain.path, "--jsonl"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("in.txt:1:"), bad.stderr)
    }

    static let tokenizers = TestSupport.fixtures.appendingPathComponent("tokenizers")

    /// The reference cases of scripts/fixtures/tokenizer_cases.py, one JSON object a line.
    static func cases() throws -> [[String: Any]] {
        let path = tokenizers.appendingPathComponent("cases.jsonl").path
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").enumerated().map {
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.element.utf8)) as? [String: Any],
                          "\(path):\($0.offset + 1): expected a JSON object")
        }
    }

    static func ints(_ v: Any) throws -> [Int] {
        try XCTUnwrap(v as? [NSNumber], "expected an array of integers, found \(v)").map(\.intValue)
    }
}
